import { createHash } from 'node:crypto'
import { Subject } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../lib/errors.js'
import { createTorrent } from '../../lib/metainfo/create-torrent.js'
import { parseTorrent } from '../../lib/metainfo/parse-torrent.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { Bitfield } from '../../lib/pieces/bitfield.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { Storage } from '../../lib/storage/types.js'
import { readFileStream } from '../../operators/read-file-stream.js'

const sha1 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(d).digest())

const PIECE = 1024
// Files a (1000 bytes), b (5000), c (700) and an empty one: 6700 bytes, 7 pieces.
// File b spans absolute bytes 1000..6000, pieces 0..5.
const FILES = [{ path: ['a'], length: 1000 }, { path: ['b'], length: 5000 }, { path: ['c'], length: 700 }, { path: ['d'], length: 0 }]
const TOTAL = 6700

function content (length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (i * 31 + 7 + (i >> 8)) & 0xff
  return out
}

async function fixture (): Promise<{ torrent: Torrent, data: Uint8Array, storage: MemoryStorage, have: Bitfield, verified$: Subject<number> }> {
  const data = content(TOTAL)
  const count = Math.ceil(TOTAL / PIECE)
  const hashes = new Uint8Array(count * 20)
  for (let i = 0; i < count; i++) hashes.set(sha1(data.subarray(i * PIECE, (i + 1) * PIECE)), i * 20)
  const torrent = parseTorrent(createTorrent({ name: 'movie', multiFile: true, files: FILES, pieceLength: PIECE, pieceHashes: hashes }), { sha1 })
  const storage = new MemoryStorage(TOTAL)
  await storage.write(0, [data])
  return { torrent, data, storage, have: new Bitfield(count), verified$: new Subject<number>() }
}

/** Lets every pending promise and storage read settle (MemoryStorage resolves in the same turn). */
const settle = async (): Promise<void> => { await new Promise<void>((resolve) => { setImmediate(resolve) }) }

function concat (chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) { out.set(c, at); at += c.length }
  return out
}

async function collect (source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const c of source) out.push(c)
  return out
}

describe('readFileStream', () => {
  it('reads a whole file whose pieces are all verified, in chunks of chunkSize', async () => {
    const f = await fixture()
    for (let i = 0; i < 7; i++) f.have.set(i)
    const chunks = await collect(readFileStream({ ...f, have: () => f.have, fileIndex: 1, chunkSize: 2048 }))
    expect(chunks.map((c) => c.length)).toEqual([2048, 2048, 904])
    expect(concat(chunks)).toEqual(f.data.subarray(1000, 6000))
    // Default chunk size covers the whole file; default range is the whole file.
    const whole = await collect(readFileStream({ ...f, have: () => f.have, fileIndex: 2 }))
    expect(whole).toHaveLength(1)
    expect(whole[0]).toEqual(f.data.subarray(6000, 6700))
  })

  it('waits for pieces verified one by one out of order, calling onPosition with the awaited piece', async () => {
    const f = await fixture()
    const positions: number[] = []
    // Range 1500..3800 of file b = absolute 2500..4800: pieces 2, 3, 4.
    const it = readFileStream({ ...f, have: () => f.have, fileIndex: 1, start: 1500, end: 3800, chunkSize: 572, onPosition: (p) => positions.push(p) })[Symbol.asyncIterator]()
    const chunks: Uint8Array[] = []
    let done = false
    const pump = (async () => {
      for (let r = await it.next(); r.done !== true; r = await it.next()) chunks.push(r.value)
      done = true
    })()

    await settle()
    expect(positions).toEqual([2])
    expect(chunks).toHaveLength(0)

    const verify = async (p: number): Promise<void> => { f.have.set(p); f.verified$.next(p); await settle() }
    await verify(4) // not the awaited one: still waiting on 2
    expect(chunks).toHaveLength(0)
    expect(positions).toEqual([2])
    await verify(6) // unrelated piece
    expect(chunks).toHaveLength(0)

    await verify(2) // 2500..3072 is all of piece 2 that is in range; 3072..3644 needs 3
    expect(chunks.map((c) => c.length)).toEqual([572])
    expect(positions).toEqual([2, 3])

    await verify(3) // 3072..3644 (3), 3644..4216 (3, 4), 4216..4788 and 4788..4800 (4): all there
    await pump
    expect(done).toBe(true)
    expect(positions).toEqual([2, 3])
    expect(chunks.map((c) => c.length)).toEqual([572, 572, 572, 572, 12])
    expect(concat(chunks)).toEqual(f.data.subarray(2500, 4800))
  })

  it('a chunk spanning two pieces waits for both', async () => {
    const f = await fixture()
    f.have.set(1)
    const positions: number[] = []
    // File b bytes 0..200 → absolute 1000..1200: pieces 0 and 1.
    const it = readFileStream({ ...f, have: () => f.have, fileIndex: 1, end: 200, onPosition: (p) => positions.push(p) })[Symbol.asyncIterator]()
    const next = it.next()
    await settle()
    expect(positions).toEqual([0])
    f.have.set(0); f.verified$.next(0)
    const r = await next
    expect(r.value).toEqual(f.data.subarray(1000, 1200))
    expect((await it.next()).done).toBe(true)
  })

  it('reads nothing ahead of the consumer', async () => {
    const f = await fixture()
    for (let i = 0; i < 7; i++) f.have.set(i)
    const reads: Array<[number, number]> = []
    const storage: Storage = {
      read: async (offset, length) => { reads.push([offset, length]); return await f.storage.read(offset, length) },
      write: async (offset, chunks) => { await f.storage.write(offset, chunks) },
      flush: async () => { await f.storage.flush() },
      close: async () => { await f.storage.close() }
    }
    const it = readFileStream({ ...f, storage, have: () => f.have, fileIndex: 1, chunkSize: 1000 })[Symbol.asyncIterator]()
    await settle()
    expect(reads).toEqual([])
    await it.next()
    await settle()
    expect(reads).toEqual([[1000, 1000]])
    await it.return?.()
    await settle()
    expect(reads).toHaveLength(1)
  })

  it('does not miss a verification between its check and its subscription', async () => {
    const f = await fixture()
    // have() reports the piece only from the second call on: the first check
    // sees it missing, the check right after subscribing finds it.
    let calls = 0
    const have = (): Bitfield => { calls++; return calls >= 2 ? Bitfield.full(7) : f.have }
    const chunks = await collect(readFileStream({ ...f, have, fileIndex: 0 }))
    expect(concat(chunks)).toEqual(f.data.subarray(0, 1000))
  })

  it('ends with the signal reason when aborted while waiting, and unsubscribes', async () => {
    const f = await fixture()
    const controller = new AbortController()
    const it = readFileStream({ ...f, have: () => f.have, fileIndex: 1, signal: controller.signal })[Symbol.asyncIterator]()
    const next = it.next()
    await settle()
    expect(f.verified$.observed).toBe(true)
    const reason = new Error('seeked away')
    controller.abort(reason)
    await expect(next).rejects.toBe(reason)
    expect(f.verified$.observed).toBe(false)
    expect((await it.next()).done).toBe(true)
  })

  it('ends with the signal reason when aborted between chunks', async () => {
    const f = await fixture()
    for (let i = 0; i < 7; i++) f.have.set(i)
    const controller = new AbortController()
    const it = readFileStream({ ...f, have: () => f.have, fileIndex: 1, chunkSize: 1000, signal: controller.signal })[Symbol.asyncIterator]()
    expect((await it.next()).value).toHaveLength(1000)
    controller.abort(new Error('stop'))
    await expect(it.next()).rejects.toThrow('stop')
  })

  it('fails when verified$ errors or completes while a piece is missing', async () => {
    const f = await fixture()
    const failing = readFileStream({ ...f, have: () => f.have, fileIndex: 0 })[Symbol.asyncIterator]().next()
    await settle()
    const boom = new Error('torrent stopped')
    f.verified$.error(boom)
    await expect(failing).rejects.toBe(boom)

    const g = await fixture()
    const ending = readFileStream({ ...g, have: () => g.have, fileIndex: 0 })[Symbol.asyncIterator]().next()
    await settle()
    g.verified$.complete()
    await expect(ending).rejects.toMatchObject({ code: 'verified-ended', disposition: 'fatal' })
  })

  it('yields nothing for a zero-length file or an empty range, without waiting', async () => {
    const f = await fixture()
    const positions: number[] = []
    expect(await collect(readFileStream({ ...f, have: () => f.have, fileIndex: 3, onPosition: (p) => positions.push(p) }))).toEqual([])
    expect(await collect(readFileStream({ ...f, have: () => f.have, fileIndex: 1, start: 700, end: 700 }))).toEqual([])
    expect(positions).toEqual([])
  })

  it('rejects a bad file index, range or chunk size with UsageError when called', async () => {
    const f = await fixture()
    const base = { ...f, have: () => f.have }
    const bad = [
      [{ fileIndex: 4 }, 'bad-file'],
      [{ fileIndex: -1 }, 'bad-file'],
      [{ fileIndex: 0.5 }, 'bad-file'],
      [{ fileIndex: 1, start: -1 }, 'bad-range'],
      [{ fileIndex: 1, end: 5001 }, 'bad-range'],
      [{ fileIndex: 1, start: 300, end: 200 }, 'bad-range'],
      [{ fileIndex: 1, start: 1.5 }, 'bad-range'],
      [{ fileIndex: 1, end: Number.NaN }, 'bad-range'],
      [{ fileIndex: 1, chunkSize: 0 }, 'bad-chunk-size'],
      [{ fileIndex: 1, chunkSize: 2.5 }, 'bad-chunk-size']
    ] as const
    for (const [opts, code] of bad) {
      let caught: unknown
      try { readFileStream({ ...base, ...opts }) } catch (e) { caught = e }
      expect(caught).toBeInstanceOf(UsageError)
      expect(caught).toMatchObject({ code })
    }
  })
})
