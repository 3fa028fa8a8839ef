import { afterEach, describe, expect, it } from 'vitest'
import type { Subscription } from 'rxjs'
import type { ChokeContext, ChokePeer, Choker } from '../../lib/choke/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { VirtualClock } from '../../operators/virtual-clock.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import { download } from '../../pipelines/download.js'
import { seed } from '../../pipelines/seed.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import type { TorrentRuntime } from '../../pipelines/torrent-runtime.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { filledStorage, makeData, makeTorrent } from './swarm-helpers.js'
import { runUntil } from '../sim/helpers.js'
import { EARLY_ROUND_BURST, EARLY_ROUND_MIN_MS } from '../../pipelines/torrent-runtime.js'

/** A user's choker: only the interested peer we upload to fastest (ties: the lowest id) is unchoked. */
const fastestOnly = (log: Array<{ early: boolean, unchoke: string[] }>): Choker => ({
  name: 'fastest-only',
  decide (peers: readonly ChokePeer[], ctx: ChokeContext) {
    const best = peers.filter((p) => p.interested).sort((a, b) => b.uploadRate - a.uploadRate || (a.id < b.id ? -1 : 1))[0]
    const unchoke = new Set(best === undefined ? [] : [best.id])
    log.push({ early: ctx.early === true, unchoke: [...unchoke] })
    return { unchoke }
  }
})

const subs: Subscription[] = []
afterEach(() => { while (subs.length > 0) subs.pop()?.unsubscribe() })

describe('the choker is in control', () => {
  it('a fastest-only choker on a seed with four leechers never has more than one peer unchoked', async () => {
    const data = makeData(64 * 16384, 7)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const clock = new VirtualClock()
    const log: Array<{ early: boolean, unchoke: string[] }> = []
    let seedRt: TorrentRuntime | undefined
    let listening!: (a: PeerAddress) => void
    const address = new Promise<PeerAddress>((resolve) => { listening = resolve })
    subs.push(seed(torrent, {
      data: '/unused', storage: await filledStorage(data), hasher: nodeHasher, transport: net.transport('10.0.0.1'), port: 0,
      trackers: false, pex: false, scheduler: clock, uploadLimit: 64 * 1024, choker: fastestOnly(log),
      onRuntime: (rt) => { seedRt = rt }, onListening: listening
    }).subscribe())
    const seedAddress = await address
    let mostUnchoked = 0
    const watch = seedRt?.swarm$.subscribe((s) => {
      const unchoked = [...s.peers.values()].filter((p) => !p.amChoking).length
      mostUnchoked = Math.max(mostUnchoked, unchoked)
    })
    if (watch !== undefined) subs.push(watch)
    const leechers = ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'].map((host) => {
      const storage = new MemoryStorage(torrent.length)
      let done = false
      subs.push(download(torrent, {
        out: '/unused', storage, hasher: nodeHasher, transport: net.transport(host), peers: [seedAddress], trackers: false, pex: false, scheduler: clock
      }).subscribe({ complete: () => { done = true } }))
      return { storage, done: () => done }
    })
    await runUntil(clock, () => leechers.every((l) => l.done()), 10 * 60_000, 'every leecher complete')
    // Every leecher was interested and served, one at a time.
    expect(mostUnchoked).toBe(1)
    expect(log.some((r) => r.early)).toBe(true)
    for (const l of leechers) expect(Buffer.compare(Buffer.from(await l.storage.read(0, data.length)), Buffer.from(data))).toBe(0)
  }, 60_000)

  it('leechers that arrive together are each unchoked by an early round at once, not one per EARLY_ROUND_MIN_MS', async () => {
    const data = makeData(256 * 16384, 11)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const clock = new VirtualClock()
    let seedRt: TorrentRuntime | undefined
    let listening!: (a: PeerAddress) => void
    const address = new Promise<PeerAddress>((resolve) => { listening = resolve })
    subs.push(seed(torrent, {
      data: '/unused', storage: await filledStorage(data), hasher: nodeHasher, transport: net.transport('10.0.0.1'), port: 0,
      trackers: false, pex: false, scheduler: clock, uploadSlots: 8, uploadLimit: 64 * 1024,
      onRuntime: (rt) => { seedRt = rt }, onListening: listening
    }).subscribe())
    const seedAddress = await address
    // When each peer was first seen interested, and first unchoked, in virtual ms.
    const interestedAt = new Map<string, number>()
    const unchokedAt = new Map<string, number>()
    const watch = seedRt?.swarm$.subscribe((s) => {
      for (const p of s.peers.values()) {
        if (p.peerInterested && !interestedAt.has(p.key)) interestedAt.set(p.key, clock.now())
        if (!p.amChoking && !unchokedAt.has(p.key)) unchokedAt.set(p.key, clock.now())
      }
    })
    if (watch !== undefined) subs.push(watch)
    const count = 6
    expect(count).toBeLessThanOrEqual(EARLY_ROUND_BURST)
    for (let i = 0; i < count; i++) {
      subs.push(download(torrent, {
        out: '/unused', storage: new MemoryStorage(torrent.length), hasher: nodeHasher, transport: net.transport(`10.0.0.${i + 2}`),
        peers: [seedAddress], trackers: false, pex: false, scheduler: clock
      }).subscribe())
    }
    await runUntil(clock, () => unchokedAt.size === count, 60_000, 'every leecher unchoked')
    for (const [key, at] of unchokedAt) expect(at - (interestedAt.get(key) ?? -Infinity)).toBeLessThan(EARLY_ROUND_MIN_MS)
  }, 60_000)

  it('a choker that throws stops the torrent with strategy-failed', async () => {
    const data = makeData(8 * 16384, 3)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const clock = new VirtualClock()
    const broken: Choker = { name: 'broken', decide: () => { throw new Error('no idea') } }
    const failure = new Promise<unknown>((resolve) => {
      void filledStorage(data).then((storage) => {
        subs.push(seed(torrent, { data: '/unused', storage, hasher: nodeHasher, transport: net.transport('10.0.0.1'), port: 0, trackers: false, scheduler: clock, choker: broken })
          .subscribe({ error: resolve }))
      })
    })
    await runUntil(clock, () => false, 100, 'nothing').catch(() => {})
    const err = await failure as { code?: string, message?: string }
    expect(err.code).toBe('strategy-failed')
    expect(err.message).toContain('choker broken failed')
  })
})
