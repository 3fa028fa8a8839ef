import { describe, expect, it } from 'vitest'
import type { SchedulerAction, Subscription } from 'rxjs'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { VirtualClock } from '../../operators/virtual-clock.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { seed } from '../../pipelines/seed.js'
import type { TorrentRuntime } from '../../pipelines/torrent-runtime.js'
import { filledStorage, makeData, makeTorrent } from './swarm-helpers.js'

const settle = (): Promise<void> => new Promise<void>((resolve) => { setImmediate(resolve) })

/** A virtual clock that counts work scheduled with no delay. */
class CountingClock extends VirtualClock {
  zeroDelays = 0
  override schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    if (delay <= 0) this.zeroDelays++
    return super.schedule(work, delay, state)
  }
}

describe('dialing at the half-open limit', () => {
  it('dials the next waiting peer as soon as a dial finishes, without polling on zero-delay timers', async () => {
    const data = makeData(8 * 16384, 5)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const clock = new CountingClock()
    const seeds: PeerAddress[] = []
    const subs: Subscription[] = []
    for (let i = 0; i < 4; i++) {
      let listening!: (a: PeerAddress) => void
      const bound = new Promise<PeerAddress>((resolve) => { listening = resolve })
      subs.push(seed(torrent, { data: '', storage: await filledStorage(data), transport: net.transport(`s${i}`), port: 0, hasher: nodeHasher, trackers: false, pex: false, scheduler: clock, onListening: listening }).subscribe())
      seeds.push(await bound)
    }
    let rt: TorrentRuntime | undefined
    let done = false
    let mostPeers = 0
    subs.push(download(torrent, {
      out: '', storage: new MemoryStorage(data.length), transport: net.transport('leech'), hasher: nodeHasher, trackers: false, pex: false,
      peers: seeds, seed: true, scheduler: clock, connectQueue: { maxHalfOpen: 1 }, onRuntime: (r) => { rt = r }
    }).subscribe((p) => { if (p.piecesVerified === p.pieceCount) done = true }))
    const before = clock.zeroDelays
    expect(await clock.run({ until: () => { mostPeers = Math.max(mostPeers, rt?.peers.size ?? 0); return done && mostPeers === 4 }, forMs: 60_000, settle })).toBe(true)
    for (const s of subs) s.unsubscribe()
    // All four dialled one at a time, at the first instant.
    expect(mostPeers).toBe(4)
    expect(clock.now()).toBe(0)
    expect(clock.zeroDelays - before).toBe(0)
  })
})
