import { describe, expect, it } from 'vitest'
import type { PiecePicker } from '../../lib/pieces/piece-picker.js'
import { rarestFirst } from '../../lib/pieces/rarest-first.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { simTorrent } from '../../pipelines/sim/sim-torrent.js'
import { simulateSwarm, type SimPeerContext, type SimPeerResult, type SimulateSwarmOptions } from '../../pipelines/sim/index.js'

const KiB = 1024
const MiB = 1024 * 1024
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)
const byName = (peers: readonly SimPeerResult[], name: string): SimPeerResult => peers.find((p) => p.name === name) as SimPeerResult

const MODELS = ['engine', 'wire'] as const

describe.each(MODELS)('simulateSwarm, %s model', (model) => {
  it('gives the same result for the same seed, byte for byte, and another for another seed', async () => {
    const made: string[] = []
    const options = (seed: number): SimulateSwarmOptions => ({
      model,
      torrent: { length: 2 * MiB + 12345, pieceLength: 64 * KiB },
      seeds: [{ uploadRate: 400 * KiB, latencyMs: 30 }, { name: 'slow-seed', uploadRate: 100 * KiB, joinAtMs: 3000 }],
      leechers: [
        ...Array.from({ length: 6 }, (_, i) => ({ uploadRate: (50 + 25 * i) * KiB, downloadRate: 1 * MiB, latencyMs: 5 + 10 * i })),
        { name: 'late', joinAtMs: 8000, uploadSlots: 2 }
      ],
      peerDefaults: {
        picker: (peer: SimPeerContext): PiecePicker => { made.push(`${peer.role} ${peer.name}`); return rarestFirst({ random: peer.random }) }
      },
      seed,
      timeLimitMs: 10 * 60_000,
      traceChokes: true
    })
    const first = await simulateSwarm(options(5))
    const second = await simulateSwarm(options(5))
    const other = await simulateSwarm(options(6))
    expect(first.complete).toBe(true)
    expect(second).toEqual(first)
    expect(JSON.stringify(second)).toBe(JSON.stringify(first))
    expect(other).not.toEqual(first)
    expect(first.chokeRounds.length).toBeGreaterThan(10)
    // One picker per peer, made by the factory with the peer's name and role.
    expect(made.slice(0, 9).sort()).toEqual(['leecher late', ...Array.from({ length: 6 }, (_, i) => `leecher leecher-${i}`), 'seed seed-0', 'seed slow-seed'].sort())
    const late = byName(first.peers, 'late')
    expect(late.joinedAt).toBe(8000)
    expect(late.completedAt).toBeGreaterThan(8000)
    expect(first.totals.uploaded).toBe(first.totals.downloaded)
    expect(first.totals.wireBytes).toBeGreaterThan(first.totals.uploaded)
  }, 120_000)

  it("a link's rates bound the transfer: 1 MiB at 100 KiB/s takes about 10 s, at 50 KiB/s download about 20 s", async () => {
    const run = async (downloadRate?: number): Promise<number> => {
      const r = await simulateSwarm({
        model,
        torrent: { length: MiB, pieceLength: 32 * KiB },
        seeds: [{ uploadRate: 100 * KiB, latencyMs: 25 }],
        leechers: [{ latencyMs: 25, ...(downloadRate === undefined ? {} : { downloadRate }) }],
        timeLimitMs: 600_000
      })
      const leecher = byName(r.peers, 'leecher-0')
      expect(leecher.downloaded).toBe(MiB)
      return leecher.completedAt ?? -1
    }
    const fast = await run()
    expect(fast).toBeGreaterThanOrEqual(10_000)
    expect(fast).toBeLessThan(11_000)
    const slow = await run(50 * KiB)
    expect(slow).toBeGreaterThanOrEqual(20_000)
    expect(slow).toBeLessThan(21_500)
  }, 60_000)

  it('stops at the time limit: the leecher that could not finish has no completion time', async () => {
    const r = await simulateSwarm({
      model,
      torrent: { length: MiB, pieceLength: 16 * KiB },
      seeds: [{ uploadRate: 10 * KiB }],
      leechers: 1,
      timeLimitMs: 30_000
    })
    expect(r.complete).toBe(false)
    expect(r.endedAt).toBe(30_000)
    const leecher = byName(r.peers, 'leecher-0')
    expect(leecher.completedAt).toBeNull()
    expect(leecher.leftAt).toBeNull()
    expect(leecher.downloaded).toBeGreaterThan(200 * KiB)
    expect(leecher.downloaded).toBeLessThanOrEqual(300 * KiB)
  }, 60_000)
})

describe('simulateSwarm', () => {
  it('the engine model and the wire model agree on a swarm: completion times, seed upload and waste within a few percent', async () => {
    const run = async (model: 'engine' | 'wire'): Promise<{ first: number, last: number, seedCopies: number, copies: number }> => {
      const r = await simulateSwarm({
        model,
        torrent: { length: 4 * MiB, pieceLength: 128 * KiB },
        seeds: [{ uploadRate: 400 * KiB, latencyMs: 20 }],
        leechers: Array.from({ length: 10 }, (_, i) => ({ uploadRate: (100 + 20 * i) * KiB, downloadRate: MiB, latencyMs: 5 + 3 * i })),
        seed: 1,
        timeLimitMs: 600_000
      })
      expect(r.complete).toBe(true)
      const done = r.peers.filter((p) => p.role === 'leecher').map((p) => p.completedAt ?? Infinity)
      return { first: Math.min(...done), last: Math.max(...done), seedCopies: byName(r.peers, 'seed-0').uploaded / r.length, copies: r.totals.downloaded / r.length }
    }
    const engine = await run('engine')
    const wire = await run('wire')
    const near = (a: number, b: number, within: number): boolean => Math.abs(a - b) <= within * Math.max(a, b)
    expect(near(engine.first, wire.first, 0.15)).toBe(true)
    expect(near(engine.last, wire.last, 0.15)).toBe(true)
    expect(near(engine.seedCopies, wire.seedCopies, 0.2)).toBe(true)
    expect(near(engine.copies, wire.copies, 0.05)).toBe(true)
    // Ten leechers, each a copy, and little waste in either.
    expect(engine.copies).toBeGreaterThanOrEqual(10)
    expect(engine.copies).toBeLessThan(11)
  }, 120_000)

  it('runs the wire model when an option only it has is given, the engine model otherwise', async () => {
    const options = (extra: Partial<SimulateSwarmOptions>): SimulateSwarmOptions => ({
      torrent: { length: MiB, pieceLength: 64 * KiB }, seeds: [{ uploadRate: 400 * KiB, latencyMs: 10 }], leechers: 3, seed: 7, timeLimitMs: 600_000, ...extra
    })
    const implied = await simulateSwarm(options({ payload: 'virtual' }))
    expect(implied).toEqual(await simulateSwarm(options({ model: 'wire' })))
    expect(await simulateSwarm(options({}))).toEqual(await simulateSwarm(options({ model: 'engine' })))
    expect(await simulateSwarm(options({}))).not.toEqual(implied)
  }, 60_000)

  it("payload 'virtual' gives the bytes mode's result for the same seed, and the same result run after run", async () => {
    const options = (payload: 'bytes' | 'virtual', seed: number): SimulateSwarmOptions => ({
      model: 'wire',
      torrent: { length: 3 * MiB + 7777, pieceLength: 128 * KiB },
      seeds: [{ uploadRate: 500 * KiB, latencyMs: 20 }],
      leechers: Array.from({ length: 8 }, (_, i) => ({ uploadRate: (60 + 30 * i) * KiB, downloadRate: 2 * MiB, latencyMs: 5 + 7 * i, joinAtMs: 400 * i })),
      payload,
      seed,
      timeLimitMs: 10 * 60_000,
      traceChokes: true
    })
    const virtual = await simulateSwarm(options('virtual', 9))
    const again = await simulateSwarm(options('virtual', 9))
    const bytes = await simulateSwarm(options('bytes', 9))
    expect(virtual.complete).toBe(true)
    expect(JSON.stringify(again)).toBe(JSON.stringify(virtual))
    // Completion times, byte counts (payload and wire), choke rounds: all as with real bytes.
    expect(virtual).toEqual(bytes)
    expect(virtual.totals.uploaded).toBeGreaterThanOrEqual(8 * virtual.length)
    expect(await simulateSwarm(options('virtual', 10))).not.toEqual(virtual)
  }, 120_000)

  it("payload 'virtual' with a torrent of one's own leaves its data as given and gives the bytes mode's result", async () => {
    const { torrent, data } = await simTorrent({ length: MiB + 999, pieceLength: 32 * KiB }, 3, nodeHasher)
    const before = data.slice()
    const options = (payload: 'bytes' | 'virtual'): SimulateSwarmOptions => ({
      model: 'wire', torrent: { torrent, data }, seeds: [{ uploadRate: 500 * KiB, latencyMs: 10 }], leechers: 3, payload, seed: 2, timeLimitMs: 600_000
    })
    const virtual = await simulateSwarm(options('virtual'))
    expect(virtual.complete).toBe(true)
    expect(virtual).toEqual(await simulateSwarm(options('bytes')))
    expect(data).toEqual(before)
  }, 60_000)

  // The 64 MiB case is bench/sim.ts; here a small torrent and peer sets of 15 keep the run short.
  it('one seed and a hundred leechers all complete, the seed serving a few copies', async () => {
    const started = performance.now()
    const r = await simulateSwarm({
      torrent: { length: MiB, pieceLength: 64 * KiB },
      leechers: 100,
      peerDefaults: { uploadRate: 1 * MiB, downloadRate: 4 * MiB, latencyMs: 20, maxConnections: 15 },
      trackerPeers: 15,
      seed: 3,
      timeLimitMs: 10 * 60_000
    })
    const leechers = r.peers.filter((p) => p.role === 'leecher')
    const seed = byName(r.peers, 'seed-0')
    console.log(`100 leechers of 1 MiB: done at ${(r.endedAt / 1000).toFixed(1)} s virtual in ${((performance.now() - started) / 1000).toFixed(1)} s wall; seed uploaded ${(seed.uploaded / r.length).toFixed(2)} copies; ${(r.totals.downloaded / r.length).toFixed(2)} copies downloaded`)
    expect(r.complete).toBe(true)
    expect(r.totals.completed).toBe(100)
    expect(leechers.every((l) => l.downloaded >= r.length)).toBe(true)
    expect(seed.uploaded).toBeLessThan(20 * r.length)
    expect(r.totals.uploaded).toBe(r.totals.downloaded)
    // No leecher can finish before its own download link has carried the torrent.
    expect(Math.min(...leechers.map((l) => l.completedAt ?? 0))).toBeGreaterThanOrEqual(r.length / (4 * MiB) * 1000)
    expect(sum(leechers.map((l) => l.uploaded))).toBeGreaterThan(r.totals.downloaded / 2)
  }, 300_000)

  it('refuses bad options with typed errors', async () => {
    await expect(simulateSwarm({ torrent: { length: MiB, pieceLength: 1000 }, leechers: 1, timeLimitMs: 1 })).rejects.toMatchObject({ name: 'UsageError', code: 'bad-sim-torrent' })
    await expect(simulateSwarm({ torrent: { length: MiB, pieceLength: 16 * KiB }, leechers: [{ name: 'x' }, { name: 'x' }], timeLimitMs: 1 })).rejects.toMatchObject({ code: 'bad-sim-peers' })
    await expect(simulateSwarm({ torrent: { length: MiB, pieceLength: 16 * KiB }, leechers: -1, timeLimitMs: 1 })).rejects.toMatchObject({ code: 'bad-sim-peers' })
    await expect(simulateSwarm({ torrent: { length: MiB, pieceLength: 16 * KiB }, leechers: [{ uploadRate: -5 }], timeLimitMs: 1000 })).rejects.toMatchObject({ code: 'bad-link' })
    await expect(simulateSwarm({ torrent: { length: MiB, pieceLength: 16 * KiB }, leechers: 1, payload: 'none' as 'bytes', timeLimitMs: 1000 })).rejects.toMatchObject({ code: 'bad-sim-torrent' })
    await expect(simulateSwarm({ torrent: { length: MiB, pieceLength: 16 * KiB }, leechers: 1, model: 'fast' as 'engine', timeLimitMs: 1000 })).rejects.toMatchObject({ code: 'bad-sim-peers' })
    await expect(simulateSwarm({ torrent: { length: MiB, pieceLength: 16 * KiB }, leechers: 1, windowBytes: 0, timeLimitMs: 1000 })).rejects.toMatchObject({ code: 'bad-link' })
    await expect(simulateSwarm({ torrent: { length: MiB, pieceLength: 16 * KiB }, leechers: 1, model: 'engine', payload: 'bytes', timeLimitMs: 1000 })).rejects.toMatchObject({ name: 'UsageError', code: 'bad-sim-model' })
    await expect(simulateSwarm({ torrent: { length: MiB, pieceLength: 16 * KiB }, leechers: 1, trackerPeers: -1, timeLimitMs: 1000 })).rejects.toMatchObject({ code: 'bad-sim-peers' })
  })

  it('stops when its signal is aborted, rejecting with the reason', async () => {
    const ac = new AbortController()
    const run = simulateSwarm({
      torrent: { length: MiB, pieceLength: 16 * KiB },
      seeds: [{ uploadRate: 10 * KiB }],
      leechers: [{ leaveWhen: (s) => { if (s.now >= 5000) ac.abort(new Error('enough')); return false } }],
      timeLimitMs: 600_000,
      signal: ac.signal
    })
    await expect(run).rejects.toThrow('enough')
  })
})
