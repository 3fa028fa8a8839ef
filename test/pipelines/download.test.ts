import { asapScheduler, type SchedulerLike } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { StorageError } from '../../lib/errors.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { seed } from '../../pipelines/seed.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import type { Progress, TorrentWarning } from '../../pipelines/types.js'
import { filledStorage, finish, LyingStorage, makeData, makeTorrent } from './swarm-helpers.js'

const cleanups: Array<() => void> = []
afterEach(() => { while (cleanups.length > 0) cleanups.pop()?.() })

/** Start a seed on the memory network; resolves with its address once listening. */
async function startSeed (net: ReturnType<typeof memoryNetwork>, host: string, torrent: ReturnType<typeof makeTorrent>, storage: MemoryStorage | LyingStorage): Promise<PeerAddress> {
  let resolve!: (a: PeerAddress) => void
  const listening = new Promise<PeerAddress>((r) => { resolve = r })
  const sub = seed(torrent, { data: '/unused', storage, transport: net.transport(host), port: 0, hasher: nodeHasher, onListening: resolve }).subscribe({ error: () => {} })
  cleanups.push(() => { sub.unsubscribe() })
  return await listening
}

describe('download and seed over a memory network', () => {
  it('downloads every piece, verified, with a short last piece and a file boundary inside a piece', async () => {
    const data = makeData(5 * 32768 + 1234)
    const torrent = makeTorrent(data, 32768, [40000, 0, data.length - 40000])
    const net = memoryNetwork()
    const addr = await startSeed(net, 'seed', torrent, await filledStorage(data))
    const out = new MemoryStorage(data.length)
    const last = await finish(download(torrent, { out: '/unused', storage: out, transport: net.transport('leech'), peers: [addr], hasher: nodeHasher }))
    expect(last.piecesVerified).toBe(torrent.pieceCount)
    expect(last.state).toBe('seeding')
    expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
  })

  it('resumes: pieces already in storage are verified, not fetched again', async () => {
    const data = makeData(8 * 16384, 7)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const addr = await startSeed(net, 'seed', torrent, await filledStorage(data))
    const out = new MemoryStorage(data.length)
    await out.write(0, [data.subarray(0, 5 * 16384)])
    const last = await finish(download(torrent, { out: '/unused', storage: out, transport: net.transport('leech'), peers: [addr], hasher: nodeHasher }))
    expect(last.downloaded).toBe(3 * 16384)
    expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
  })

  it('a complete download started again fetches nothing and completes', async () => {
    const data = makeData(4 * 16384, 3)
    const torrent = makeTorrent(data, 16384)
    const last = await finish(download(torrent, { out: '/unused', storage: await filledStorage(data), transport: memoryNetwork().transport('x'), peers: [], hasher: nodeHasher }))
    expect(last.piecesVerified).toBe(4)
    expect(last.downloaded).toBe(0)
  })

  it('a seeder sending corrupt data is banned after repeated hash failures; the honest one finishes the download', async () => {
    // One block per piece, so every failed piece has exactly one contributor.
    const data = makeData(24 * 16384, 11)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const liar = new LyingStorage(await filledStorage(data))
    const bad = await startSeed(net, 'liar', torrent, liar)
    liar.corrupt = true
    const good = await startSeed(net, 'honest', torrent, await filledStorage(data))
    const out = new MemoryStorage(data.length)
    const warnings: TorrentWarning[] = []
    const last = await finish(download(torrent, { out: '/unused', storage: out, transport: net.transport('leech'), peers: [bad, good], hasher: nodeHasher, onWarning: (w) => warnings.push(w) }))
    expect(last.piecesVerified).toBe(torrent.pieceCount)
    expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
    expect(last.hashFailures).toBeGreaterThanOrEqual(1)
    const failures = warnings.filter((w) => /failed its hash/.test(w.message))
    expect(failures.every((w) => w.peer?.startsWith('liar:'))).toBe(true)
    expect(last.hashFailures).toBeGreaterThanOrEqual(3)
    expect(warnings.some((w) => w.peer?.startsWith('liar:') && /\(ban\)/.test(w.message))).toBe(true)
  })

  it('a peer answering with the wrong info-hash is dropped and the download goes on with the others', async () => {
    const data = makeData(6 * 16384, 5)
    const torrent = makeTorrent(data, 16384)
    const other = makeTorrent(makeData(6 * 16384, 6), 16384)
    const net = memoryNetwork()
    const wrong = await startSeed(net, 'wrong', other, await filledStorage(makeData(6 * 16384, 6)))
    const good = await startSeed(net, 'good', torrent, await filledStorage(data))
    const warnings: TorrentWarning[] = []
    const out = new MemoryStorage(data.length)
    const last = await finish(download(torrent, { out: '/unused', storage: out, transport: net.transport('leech'), peers: [wrong, good], hasher: nodeHasher, onWarning: (w) => warnings.push(w) }))
    expect(last.piecesVerified).toBe(6)
    expect(warnings.some((w) => w.peer?.startsWith('wrong:'))).toBe(true)
  })

  it('a disk-full write stops the download with a StorageError; pieces written before it stay verified', async () => {
    const data = makeData(8 * 16384, 13)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const addr = await startSeed(net, 'seed', torrent, await filledStorage(data))
    const inner = new MemoryStorage(data.length)
    let writes = 0
    const full = {
      read: async (o: number, l: number) => await inner.read(o, l),
      write: async (o: number, c: readonly Uint8Array[]) => {
        if (++writes > 3) throw new StorageError('disk-full', 'no space left on device')
        await inner.write(o, c)
      },
      flush: async () => {},
      close: async () => {}
    }
    await expect(finish(download(torrent, { out: '/unused', storage: full, transport: net.transport('leech'), peers: [addr], hasher: nodeHasher, requestQueueDepth: 4 })))
      .rejects.toMatchObject({ name: 'StorageError', code: 'disk-full' })
    // Restarted with space available, it keeps the three written pieces and fetches the rest.
    const last = await finish(download(torrent, { out: '/unused', storage: inner, transport: net.transport('leech2'), peers: [addr], hasher: nodeHasher }))
    expect(last.downloaded).toBe(5 * 16384)
    expect(Buffer.compare(await inner.read(0, data.length), data)).toBe(0)
  })

  it('--only: fetches the pieces of the chosen file (a piece shared with a skipped file included) and completes', async () => {
    const data = makeData(10 * 16384, 17)
    // file 0: 3.5 pieces, file 1: 3 pieces, file 2: the rest; file 1 shares piece 3 with file 0 and piece 6 with file 2.
    const lengths = [3.5 * 16384, 3 * 16384, data.length - 6.5 * 16384]
    const torrent = makeTorrent(data, 16384, lengths)
    const net = memoryNetwork()
    const addr = await startSeed(net, 'seed', torrent, await filledStorage(data))
    const out = new MemoryStorage(data.length)
    const last = await finish(download(torrent, { out: '/unused', storage: out, transport: net.transport('leech'), peers: [addr], hasher: nodeHasher, only: ['*1.bin'] }))
    expect(last.piecesVerified).toBe(4) // pieces 3, 4, 5, 6
    const start = 3.5 * 16384
    expect(Buffer.compare(await out.read(start, 3 * 16384), data.subarray(start, start + 3 * 16384))).toBe(0)
    expect(Buffer.compare(await out.read(0, 16384), new Uint8Array(16384))).toBe(0) // piece 0 never fetched
    await expect(finish(download(torrent, { out: '/unused', storage: new MemoryStorage(data.length), transport: net.transport('x'), peers: [addr], only: ['nothing-matches'] }))).rejects.toMatchObject({ code: 'bad-only' })
  })

  it('a choking strategy that throws is contained: the download stops cleanly with strategy-failed', async () => {
    const data = makeData(2 * 16384, 19)
    const torrent = makeTorrent(data, 16384)
    const broken = { name: 'broken', decide: () => { throw new Error('boom') } }
    await expect(finish(download(torrent, { out: '/unused', storage: new MemoryStorage(data.length), transport: memoryNetwork().transport('x'), peers: [{ host: 'nobody', port: 1 }], hasher: nodeHasher, choker: broken })))
      .rejects.toMatchObject({ code: 'strategy-failed', disposition: 'fatal' })
  })

  it('a download limit holds the transfer to the bucket: 160 KiB at 64 KiB/s (64 KiB burst) takes at least 1.5 s of scheduler time', async () => {
    const data = makeData(10 * 16384, 27)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const addr = await startSeed(net, 'seed', torrent, await filledStorage(data))
    const out = new MemoryStorage(data.length)
    const last = await finish(download(torrent, { out: '/unused', storage: out, transport: net.transport('leech'), peers: [addr], hasher: nodeHasher, downloadLimit: 64 * 1024 }))
    expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
    expect(last.elapsedMs).toBeGreaterThanOrEqual(1400)
    expect(last.peerStats?.[0]?.client ?? 'gone').toMatch(/rxtorrent|gone/)
  })

  it('fails with no-peers when every peer is unreachable', async () => {
    const data = makeData(2 * 16384, 9)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const p = finish(download(torrent, { out: '/unused', storage: new MemoryStorage(data.length), transport: net.transport('leech'), peers: [{ host: 'nobody', port: 1 }], hasher: nodeHasher, scheduler: instantScheduler() }))
    await expect(p).rejects.toMatchObject({ name: 'RxTorrentError', code: 'no-peers' })
  })
})

/**
 * A scheduler whose delays elapse at once (each delayed action runs on the
 * asap queue), with a virtual clock that advances by the delay: retry
 * backoffs take no wall time.
 */
function instantScheduler (): SchedulerLike {
  let now = 0
  return {
    now: () => now,
    schedule (work: any, delay = 0, state?: any) {
      return asapScheduler.schedule(function (this: any, s: any) { now += delay; work.call(this, s) }, 0, state)
    }
  } as SchedulerLike
}
