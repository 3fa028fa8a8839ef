import { lastValueFrom } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download, seed, nodeHasher } from '../../pipelines/index.js'
import { fetchFromOnePeer } from '../../docs/examples/custom-pipeline.js'
import { inOrder } from '../../docs/examples/sequential-picker.js'
import { notes, type NoteEvent } from '../../docs/examples/custom-extension.js'
import { oldestFirst } from '../../docs/examples/custom-choker.js'
import { seedsOnly, shallow, strict } from '../../docs/examples/strategies.js'
import { comparePickers } from '../../docs/examples/simulate-swarm.js'
import { filledStorage, makeData, makeTorrent } from '../pipelines/swarm-helpers.js'

/** The examples in docs/guide.md, run as written. */
describe('docs/examples', () => {
  async function seeded (n: number): Promise<{ net: ReturnType<typeof memoryNetwork>, addr: PeerAddress, data: Uint8Array, torrent: ReturnType<typeof makeTorrent>, stop: () => void }> {
    const data = makeData(n * 16384 + 100, 21)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    let resolve!: (a: PeerAddress) => void
    const listening = new Promise<PeerAddress>((r) => { resolve = r })
    const sub = seed(torrent, { data: '/unused', storage: await filledStorage(data), transport: net.transport('seed'), port: 0, hasher: nodeHasher, onListening: resolve }).subscribe()
    return { net, addr: await listening, data, torrent, stop: () => { sub.unsubscribe() } }
  }

  it('the sequential picker downloads pieces in order', async () => {
    const { net, addr, data, torrent, stop } = await seeded(12)
    const storage = new MemoryStorage(data.length)
    const order: number[] = []
    const originalWrite = storage.write.bind(storage)
    storage.write = async (offset, chunks) => { order.push(offset / torrent.pieceLength); await originalWrite(offset, chunks) }
    await lastValueFrom(download(torrent, { out: '/unused', storage, transport: net.transport('leech'), peers: [addr], picker: inOrder, hasher: nodeHasher, requestQueueDepth: 1 }))
    stop()
    expect(order).toEqual([...order].sort((a, b) => a - b))
    expect(Buffer.compare(await storage.read(0, data.length), data)).toBe(0)
  })

  it('the hand-assembled pipeline fetches and verifies every piece', async () => {
    const { net, addr, data, torrent, stop } = await seeded(6)
    const conn = await net.transport('manual').dial(addr)
    const storage = await fetchFromOnePeer(conn, torrent, new TextEncoder().encode('-XX0001-abcdefghijkl'))
    stop()
    expect(Buffer.compare(await storage.read(0, data.length), data)).toBe(0)
  })

  it('the custom x_note extension carries a note from the seed to the downloader', async () => {
    const data = makeData(3 * 16384, 22)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    let resolve!: (a: PeerAddress) => void
    const listening = new Promise<PeerAddress>((r) => { resolve = r })
    const sub = seed(torrent, { data: '', storage: await filledStorage(data), transport: net.transport('10.0.0.1'), port: 0, hasher: nodeHasher, onListening: resolve, extensions: [notes('hello from the seed')] }).subscribe()
    const addr = await listening
    const received: NoteEvent[] = []
    await lastValueFrom(download(torrent, {
      out: '', storage: new MemoryStorage(data.length), transport: net.transport('10.0.0.2'), peers: [addr], hasher: nodeHasher,
      extensions: [notes('hello from the leecher')],
      onExtensionEvent: (_peer, name, event) => { if (name === 'x_note') received.push(event as NoteEvent) }
    }))
    sub.unsubscribe()
    expect(received).toEqual([{ type: 'note', from: `${addr.host}:${addr.port}`, text: 'hello from the seed' }])
  })

  it('the custom choker decides who is unchoked, and a seed using it serves the download', async () => {
    const d = oldestFirst.decide([
      { id: 'a', interested: true, choked: true, downloadRate: 0, uploadRate: 0, snubbed: false, connectedAt: 30 },
      { id: 'b', interested: true, choked: true, downloadRate: 0, uploadRate: 0, snubbed: false, connectedAt: 10 },
      { id: 'c', interested: false, choked: true, downloadRate: 0, uploadRate: 0, snubbed: false, connectedAt: 0 },
      { id: 'd', interested: true, choked: false, downloadRate: 9, uploadRate: 9, snubbed: false, connectedAt: 20 }
    ], { now: 100, round: 0, seeding: true, slots: 2, random: () => 0 })
    expect([...d.unchoke]).toEqual(['b', 'd'])
    const data = makeData(4 * 16384, 23)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    let resolve!: (a: PeerAddress) => void
    const listening = new Promise<PeerAddress>((r) => { resolve = r })
    const sub = seed(torrent, { data: '', storage: await filledStorage(data), transport: net.transport('10.0.0.1'), port: 0, hasher: nodeHasher, onListening: resolve, choker: oldestFirst }).subscribe()
    const addr = await listening
    const out = new MemoryStorage(data.length)
    await lastValueFrom(download(torrent, { out: '', storage: out, transport: net.transport('10.0.0.2'), peers: [addr], hasher: nodeHasher }))
    sub.unsubscribe()
    expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
  })

  it('the interest, request-depth, peer-filter and seeding-mode strategies are obeyed', async () => {
    // A seeds-only, shallow downloader against an ordinary seed: interested (the seed has every piece), at most 4 requests deep.
    const plain = await seeded(6)
    let deepest = 0
    const out = new MemoryStorage(plain.data.length)
    const counting = { ...shallow, depth: (i: Parameters<typeof shallow.depth>[0]) => { const d = shallow.depth(i); deepest = Math.max(deepest, d); return d } }
    await lastValueFrom(download(plain.torrent, { out: '', storage: out, transport: plain.net.transport('10.0.0.2'), peers: [plain.addr], hasher: nodeHasher, interest: seedsOnly, requestDepth: counting }))
    plain.stop()
    expect(deepest).toBe(4)
    expect(Buffer.compare(await out.read(0, plain.data.length), plain.data)).toBe(0)
  })

  it('a seed with the strict peer filter serves a peer it keeps', async () => {
    const data = makeData(6 * 16384, 24)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    let resolve!: (a: PeerAddress) => void
    const listening = new Promise<PeerAddress>((r) => { resolve = r })
    const sub = seed(torrent, { data: '', storage: await filledStorage(data), transport: net.transport('10.0.0.1'), port: 0, hasher: nodeHasher, onListening: resolve, peerFilter: strict }).subscribe()
    const addr = await listening
    const got = new MemoryStorage(data.length)
    await lastValueFrom(download(torrent, { out: '', storage: got, transport: net.transport('10.0.0.3'), peers: [addr], hasher: nodeHasher }))
    sub.unsubscribe()
    expect(Buffer.compare(await got.read(0, data.length), data)).toBe(0)
    expect(strict.judge({ stage: 'connecting', key: '10.66.1.1:1', outgoing: false, address: { host: '10.66.1.1', port: 1 } })).toBe('ban')
    expect(strict.judge({ stage: 'round', key: 'x', outgoing: true, connectedMs: 200_000, downloaded: 0, uploaded: 0 })).toBe('drop')
  })

  it('the swarm simulation compares two pickers, every leecher completing, the same way twice', async () => {
    const figures = await comparePickers(4)
    console.log(`simulated: rarest-first mean ${(figures.rarestFirst.meanDoneMs / 1000).toFixed(1)} s, last ${(figures.rarestFirst.lastDoneMs / 1000).toFixed(1)} s, seed ${figures.rarestFirst.seedCopies.toFixed(2)} copies; in-order mean ${(figures.inOrder.meanDoneMs / 1000).toFixed(1)} s, last ${(figures.inOrder.lastDoneMs / 1000).toFixed(1)} s, seed ${figures.inOrder.seedCopies.toFixed(2)} copies`)
    for (const f of [figures.rarestFirst, figures.inOrder]) {
      expect(f.result.complete).toBe(true)
      // 4 MiB through a 1 MB/s download link takes over 4 s.
      expect(f.meanDoneMs).toBeGreaterThan(4 * 1024 * 1024 / 1_000_000 * 1000)
      expect(f.seedCopies).toBeGreaterThanOrEqual(1)
    }
    // Rarest-first spreads the pieces; in order, every leecher wants the same next piece.
    expect(figures.rarestFirst.meanDoneMs).toBeLessThan(figures.inOrder.meanDoneMs)
    expect(await comparePickers(4)).toEqual(figures)
  }, 300_000)
})
