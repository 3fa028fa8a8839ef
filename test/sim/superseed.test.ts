import { describe, expect, it } from 'vitest'
import { Bitfield } from '../../lib/pieces/bitfield.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { seed } from '../../pipelines/seed.js'
import type { TorrentRuntime } from '../../pipelines/torrent-runtime.js'
import { filledStorage, makeData, makeTorrent } from '../pipelines/swarm-helpers.js'

/**
 * BEP 16 in an in-process swarm: a superseeding seed and five leechers that
 * know each other. The seed offers each leecher one piece at a time, so the
 * first complete copy exists among the leechers after the seed has uploaded
 * little more than one copy.
 */
describe('superseeding (BEP 16) in an in-process swarm', () => {
  async function run (superseed: boolean): Promise<{ seedUploadAtFirstCopy: number, length: number }> {
    const pieces = 40
    const data = makeData(pieces * 16384, 71)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    let seedRt: TorrentRuntime | undefined
    let seedResolve!: (a: PeerAddress) => void
    const seedListening = new Promise<PeerAddress>((r) => { seedResolve = r })
    const seedSub = seed(torrent, {
      data: '', storage: await filledStorage(data), transport: net.transport('10.0.0.1'), port: 0, hasher: nodeHasher,
      onListening: seedResolve, onRuntime: (rt) => { seedRt = rt }, superseed, uploadSlots: 5, trackers: false, pex: false
    }).subscribe()
    const seedAddr = await seedListening
    const runtimes: TorrentRuntime[] = []
    const addrs: PeerAddress[] = []
    const subs = []
    const done: Array<Promise<unknown>> = []
    let seedUploadAtFirstCopy = -1
    const checkCovered = (): void => {
      if (seedUploadAtFirstCopy >= 0 || runtimes.length < 5) return
      const union = new Bitfield(pieces)
      for (const rt of runtimes) for (const i of rt.have.indices()) union.set(i)
      if (union.complete) seedUploadAtFirstCopy = seedRt?.up.total ?? -1
    }
    for (let i = 0; i < 5; i++) {
      let resolve!: (a: PeerAddress) => void
      const listening = new Promise<PeerAddress>((r) => { resolve = r })
      const o = download(torrent, {
        out: '', storage: new MemoryStorage(data.length), transport: net.transport(`10.0.0.${i + 2}`), port: 0, hasher: nodeHasher,
        peers: [seedAddr, ...addrs], seed: true, requestQueueDepth: 4, trackers: false, pex: false,
        onListening: resolve,
        onRuntime: (rt) => { runtimes.push(rt); rt.verified$.subscribe(checkCovered) }
      })
      let finished!: () => void
      done.push(new Promise<void>((r) => { finished = r }))
      subs.push(o.subscribe({ next: (p) => { if (p.piecesVerified === pieces) finished() } }))
      addrs.push(await listening)
    }
    await Promise.all(done)
    for (const s of subs) s.unsubscribe()
    seedSub.unsubscribe()
    return { seedUploadAtFirstCopy, length: data.length }
  }

  it('the first complete copy exists in the swarm after the seed uploaded little more than one copy', async () => {
    const r = await run(true)
    const copies = r.seedUploadAtFirstCopy / r.length
    console.log(`superseeding: the seed had uploaded ${copies.toFixed(2)} copies when the leechers first held every piece`)
    expect(r.seedUploadAtFirstCopy).toBeGreaterThanOrEqual(r.length)
    expect(copies).toBeLessThanOrEqual(1.5)
  })

  it('for comparison, a plain seed in the same swarm uploads more before the first copy exists', async () => {
    const plain = await run(false)
    const superseeding = await run(true)
    console.log(`plain seeding: ${(plain.seedUploadAtFirstCopy / plain.length).toFixed(2)} copies; superseeding: ${(superseeding.seedUploadAtFirstCopy / superseeding.length).toFixed(2)}`)
    expect(superseeding.seedUploadAtFirstCopy).toBeLessThanOrEqual(plain.seedUploadAtFirstCopy)
  })
})
