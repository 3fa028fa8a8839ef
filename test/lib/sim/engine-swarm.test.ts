import { describe, expect, it } from 'vitest'
import type { Choker } from '../../../lib/choke/types.js'
import { geometryOf } from '../../../lib/pieces/geometry.js'
import { xorshift32 } from '../../../lib/pieces/xorshift32.js'
import { EngineSwarm, type EngineSwarmPeer } from '../../../lib/sim/engine-swarm.js'

const KiB = 1024
const geometry = geometryOf({ length: 2 * 1024 * KiB, pieceLength: 64 * KiB })
const infoHash = new Uint8Array(20).fill(7)

function peer (i: number, over: Partial<EngineSwarmPeer> = {}): EngineSwarmPeer {
  const random = xorshift32(1000 + i)
  return {
    name: i === 0 ? 'seed' : `leecher-${i}`,
    role: i === 0 ? 'seed' : 'leecher',
    host: `10.0.0.${i + 1}`,
    port: 6881,
    peerId: Uint8Array.from({ length: 20 }, (_, k) => (i * 31 + k) & 255),
    random,
    strategies: {},
    link: { uploadRate: 200 * KiB, downloadRate: 1024 * KiB, latencyMs: 10 },
    pex: true,
    ...over
  }
}

function swarm (peers: EngineSwarmPeer[], trackerPeers = 50, codes: string[] = []): EngineSwarm {
  return new EngineSwarm({ geometry, infoHash, trackerPeers, trackerRandom: xorshift32(5), peers, onWarning: (_n, _m, _p, e) => { codes.push((e as { code?: string } | undefined)?.code ?? '') } })
}

/** Run action by action, calling `check` after each; returns how the run ended. */
function runChecked (s: EngineSwarm, limitMs: number, check: () => void): string {
  for (let i = 0; i < 2_000_000; i++) {
    const r = s.run(limitMs, 1)
    check()
    if (r !== 'more') return r
  }
  return 'budget'
}

describe('EngineSwarm (lib/sim)', () => {
  it('every leecher completes from one seed; what is uploaded is downloaded; the same options give the same times', () => {
    const times = (): Array<number | undefined> => {
      const s = swarm(Array.from({ length: 6 }, (_, i) => peer(i)))
      expect(s.run(600_000, Infinity)).toBe('done')
      const up = s.nodes.reduce((a, n) => a + n.uploaded, 0)
      const down = s.nodes.reduce((a, n) => a + n.downloaded, 0)
      expect(up).toBe(down)
      expect(down).toBeGreaterThanOrEqual(5 * geometry.length)
      expect(s.nodes.every((n) => n.state.have.complete)).toBe(true)
      return s.nodes.map((n) => n.completedAt)
    }
    const first = times()
    expect(times()).toEqual(first)
    // 2 MiB at the seed's 200 KiB/s: no leecher before ~10 s.
    for (const t of first.slice(1)) expect(t).toBeGreaterThan(2 * 1024 / 200 * 1000 / 5)
  })

  it('the choker is obeyed: a seed whose choker unchokes only the fastest peer never has two peers unchoked', () => {
    const fastestOnly: Choker = {
      name: 'fastest-only',
      decide: (peers) => {
        const best = [...peers].filter((p) => p.interested).sort((a, b) => (b.uploadRate - a.uploadRate) || (a.id < b.id ? -1 : 1))[0]
        return { unchoke: new Set(best === undefined ? [] : [best.id]) }
      }
    }
    const s = swarm([peer(0, { strategies: { choker: fastestOnly } }), ...Array.from({ length: 4 }, (_, i) => peer(i + 1))])
    const seed = s.nodes[0]
    let most = 0
    let ever = 0
    const r = runChecked(s, 600_000, () => {
      const unchoked = [...(seed?.state.swarm.peers.values() ?? [])].filter((p) => !p.amChoking).length
      most = Math.max(most, unchoked)
      ever += unchoked
    })
    expect(r).toBe('done')
    expect(most).toBe(1)
    expect(ever).toBeGreaterThan(0)
  })

  it('a node never holds more connections than its limit, though more peers dial it; newcomers of higher BEP 40 priority replace some', () => {
    const peers = Array.from({ length: 12 }, (_, i) => peer(i, { maxConnections: 4 }))
    const codes: string[] = []
    const s = swarm(peers, 11, codes)
    let most = 0
    const r = runChecked(s, 600_000, () => {
      for (const n of s.nodes) most = Math.max(most, n.conns.size, n.queue.connectedCount + n.queue.dialing)
    })
    expect(r).toBe('done')
    expect(most).toBeLessThanOrEqual(4)
    // Twelve peers dialing each other with room for four each: refusals and replacements happen.
    expect(codes.filter((c) => c === 'connection-limit' || c === 'replaced-by-priority').length).toBeGreaterThan(0)
  })

  it('a choker that throws stops its own peer with strategy-failed; the others complete from the seed', () => {
    const broken: Choker = { name: 'broken', decide: () => { throw new Error('nope') } }
    const s = swarm([peer(0), peer(1, { strategies: { choker: broken } }), peer(2), peer(3)])
    expect(s.run(600_000, Infinity)).toBe('done')
    const [, bad, ...good] = s.nodes
    expect((bad?.error as { code?: string } | undefined)?.code).toBe('strategy-failed')
    expect(bad?.leftAt).toBeDefined()
    for (const n of good) expect(n.completedAt).toBeDefined()
  })

  it('leaves and late joins: a peer leaving mid-download closes its connections at both ends; a late one completes from the rest', () => {
    const s = swarm([peer(0, { leaveAtMs: 30_000 }), peer(1), peer(2), peer(3, { joinAtMs: 60_000 })])
    const r = s.run(3_600_000, Infinity)
    expect(r).toBe('done')
    const [seed, a, b, late] = s.nodes
    expect(seed?.leftAt).toBe(30_000)
    expect(seed?.conns.size).toBe(0)
    for (const n of [a, b]) expect([...(n?.conns.values() ?? [])].some((c) => c.peer === seed)).toBe(false)
    expect(late?.joinedAt).toBe(60_000)
    expect(late?.completedAt).toBeGreaterThan(60_000)
  })
})
