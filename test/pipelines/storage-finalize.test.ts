import { lastValueFrom, type Subscription } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { runTorrent } from '../../pipelines/run-torrent.js'
import { seed } from '../../pipelines/seed.js'
import { filledStorage, makeData, makeTorrent } from './swarm-helpers.js'

/** A memory storage that records when `finalize` is called, against the pieces written by then. */
class FinalizingStorage extends MemoryStorage {
  readonly calls: number[] = []
  written = 0
  override async write (offset: number, chunks: readonly Uint8Array[]): Promise<void> {
    await super.write(offset, chunks)
    this.written++
  }

  async finalize (): Promise<void> { this.calls.push(this.written) }
}

describe('runTorrent on an injected platform', () => {
  it('downloads over the transport it is given and calls Storage.finalize once, after the last piece is written', async () => {
    const data = makeData(8 * 16384, 91)
    // Trackers listed but no tracker client given: none is made, nothing is announced.
    const torrent = { ...makeTorrent(data, 16384), announce: [['http://tracker.invalid/announce']] }
    const net = memoryNetwork()
    let bound!: (a: PeerAddress) => void
    const listening = new Promise<PeerAddress>((resolve) => { bound = resolve })
    const seeding: Subscription = seed(torrent, { data: '', storage: await filledStorage(data), transport: net.transport('10.0.0.1'), port: 0, hasher: nodeHasher, trackers: false, pex: false, onListening: bound }).subscribe({ error: () => {} })
    const address = await listening
    const storage = new FinalizingStorage(data.length)
    const warnings: string[] = []
    const last = await lastValueFrom(runTorrent(torrent, {
      storage, hasher: nodeHasher, transport: net.transport('10.0.0.2'), peers: [address], stopWhenComplete: true, pex: false,
      onWarning: (w) => { warnings.push(w.message) }
    }))
    seeding.unsubscribe()
    expect(last.piecesVerified).toBe(8)
    expect(Buffer.compare(await storage.read(0, data.length), data)).toBe(0)
    expect(storage.calls).toEqual([8])
    expect(warnings.filter((w) => /tracker/.test(w))).toEqual([])
  })
})
