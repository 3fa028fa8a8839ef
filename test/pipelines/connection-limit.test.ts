import { describe, expect, it } from 'vitest'
import { pushable } from 'it-pushable'
import { isRxTorrentError } from '../../lib/errors.js'
import { canonicalPeerPriority } from '../../lib/swarm/peer-priority.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { encodeHandshake, encodeMessage, makeReserved } from '../../lib/wire/index.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { seed } from '../../pipelines/seed.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import type { TorrentWarning } from '../../pipelines/types.js'
import { filledStorage, makeData, makeTorrent } from './swarm-helpers.js'

type Torrent = ReturnType<typeof makeTorrent>

interface RawPeer {
  /** Resolves once the seed admitted us (its handshake and first message arrived). */
  readonly admitted: Promise<void>
  /** Resolves when the seed hung up. */
  readonly ended: Promise<void>
  readonly isOpen: () => boolean
  readonly close: () => void
}

/** A leecher scripted on the wire: handshake, have-none, then it waits. */
async function rawPeer (net: ReturnType<typeof memoryNetwork>, host: string, to: PeerAddress, torrent: Torrent, n: number): Promise<RawPeer> {
  const conn = await net.transport(host).dial(to)
  const out = pushable<Uint8Array>()
  out.push(encodeHandshake({ reserved: makeReserved({ fast: true }), infoHash: torrent.infoHash, peerId: new TextEncoder().encode(`-EV0001-${String(n).padStart(12, '0')}`) }))
  out.push(encodeMessage({ type: 'have-none' }))
  void conn.sink(out).catch(() => {})
  let open = true
  let received = 0
  let onAdmitted!: () => void
  const admitted = new Promise<void>((resolve) => { onAdmitted = resolve })
  const ended = (async () => {
    try {
      for await (const chunk of conn.source) {
        received += chunk.byteLength
        if (received > 68) onAdmitted()
      }
    } catch { /* closed with an error: ended all the same */ }
    open = false
  })()
  return { admitted, ended, isOpen: () => open, close: () => { out.end(); conn.close() } }
}

/** Lets the event loop turn (setImmediate, no timers) until `done` holds, at most 100 turns. */
async function turnsUntil (done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise<void>((resolve) => { setImmediate(resolve) })
}

/** Hosts sorted by BEP 40 priority with `self`, lowest first. */
function byRank (self: PeerAddress, hosts: string[]): string[] {
  return [...hosts].sort((a, b) => canonicalPeerPriority(self, { host: a, port: 1 }) - canonicalPeerPriority(self, { host: b, port: 1 }))
}

async function startSeed (net: ReturnType<typeof memoryNetwork>, torrent: Torrent, data: Uint8Array, warnings: TorrentWarning[]): Promise<{ address: PeerAddress, stop: () => void }> {
  let resolve!: (a: PeerAddress) => void
  const listening = new Promise<PeerAddress>((r) => { resolve = r })
  const sub = seed(torrent, {
    data: '', storage: await filledStorage(data), transport: net.transport('10.0.0.1'), port: 0, hasher: nodeHasher,
    connectQueue: { maxConnections: 2 }, onListening: resolve, onWarning: (w) => warnings.push(w)
  }).subscribe()
  return { address: await listening, stop: () => { sub.unsubscribe() } }
}

const hosts = ['10.1.0.7', '10.2.0.7', '10.3.0.7', '10.4.0.7', '10.5.0.7', '10.6.0.7']

describe('BEP 40 at the connection limit (memory network, maxConnections 2)', () => {
  it('a newcomer of higher priority replaces the lowest-priority peer, which is closed with replaced-by-priority', async () => {
    const data = makeData(4 * 16384, 61)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const warnings: TorrentWarning[] = []
    const s = await startSeed(net, torrent, data, warnings)
    const [lowest, middle, , , , highest] = byRank(s.address, hosts) as [string, string, string, string, string, string]
    const a = await rawPeer(net, middle, s.address, torrent, 1)
    const b = await rawPeer(net, lowest, s.address, torrent, 2)
    await Promise.all([a.admitted, b.admitted])
    const c = await rawPeer(net, highest, s.address, torrent, 3)
    await b.ended
    await c.admitted
    // The replaced peer's warning follows its close by a few turns (the newcomer is now weighed at its handshake).
    await turnsUntil(() => warnings.some((w) => isRxTorrentError(w.error) && w.error.code === 'replaced-by-priority'))
    expect(a.isOpen()).toBe(true)
    expect(c.isOpen()).toBe(true)
    const replaced = warnings.filter((w) => isRxTorrentError(w.error) && w.error.code === 'replaced-by-priority')
    expect(replaced.map((w) => w.peer?.split(':')[0])).toEqual([lowest])
    expect(replaced[0]?.message).toMatch(new RegExp(`replaced by ${highest.replace(/\./g, '\\.')}:`))
    s.stop()
    for (const p of [a, b, c]) p.close()
  })

  it('a newcomer of lower priority than every peer is refused as before', async () => {
    const data = makeData(4 * 16384, 67)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const warnings: TorrentWarning[] = []
    const s = await startSeed(net, torrent, data, warnings)
    const [lowest, , , , high, highest] = byRank(s.address, hosts) as [string, string, string, string, string, string]
    const a = await rawPeer(net, high, s.address, torrent, 1)
    const b = await rawPeer(net, highest, s.address, torrent, 2)
    await Promise.all([a.admitted, b.admitted])
    const c = await rawPeer(net, lowest, s.address, torrent, 3)
    await c.ended
    expect(a.isOpen()).toBe(true)
    expect(b.isOpen()).toBe(true)
    expect(warnings.some((w) => isRxTorrentError(w.error) && w.error.code === 'replaced-by-priority')).toBe(false)
    s.stop()
    for (const p of [a, b, c]) p.close()
  })
})
