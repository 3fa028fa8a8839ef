import { describe, expect, it } from 'vitest'
import { StorageError } from '../../lib/errors.js'
import { geometryOf } from '../../lib/pieces/geometry.js'
import type { Storage } from '../../lib/storage/types.js'
import { checkPieces } from '../../operators/check-pieces.js'
import { FakeStorage, collect, content, hashesOf, sha1Hasher } from '../lib/pieces/helpers.js'

/** The same storage with another `read`. */
function withRead (storage: Storage, read: Storage['read']): Storage {
  return { read, write: storage.write.bind(storage), flush: storage.flush.bind(storage), close: storage.close.bind(storage) }
}

const pieceLength = 64
const data = content(5 * pieceLength + 17)
const geometry = geometryOf({ length: data.length, pieceLength })
const pieceHashes = hashesOf(data, pieceLength)

describe('checkPieces', () => {
  it('with readInto, reads into readAhead + 1 buffers reused from piece to piece', async () => {
    const storage = new FakeStorage(data.length)
    storage.data.set(data)
    storage.data[3 * pieceLength + 1] = (storage.data[3 * pieceLength + 1] as number) ^ 0xff // piece 3 corrupted
    const buffers = new Set<ArrayBufferLike>()
    let fresh = 0
    const into: Storage = {
      ...withRead(storage, async (offset, length) => { fresh++; return await storage.read(offset, length) }),
      readInto: async (offset, buffer) => {
        buffers.add(buffer.buffer)
        buffer.set(await storage.read(offset, buffer.length))
        return buffer
      }
    }
    const out = await collect(checkPieces({ geometry, pieceHashes, storage: into, hasher: sha1Hasher, readAhead: 1 }))
    expect(out.map((r) => r.ok)).toEqual([true, true, true, false, true, true])
    expect(buffers.size).toBe(2)
    expect(fresh).toBe(0)
  })

  it('all pieces ok on a complete storage, in order', async () => {
    const storage = new FakeStorage(data.length)
    storage.data.set(data)
    const out = await collect(checkPieces({ geometry, pieceHashes, storage, hasher: sha1Hasher }))
    expect(out).toEqual([0, 1, 2, 3, 4, 5].map((index) => ({ index, ok: true })))
    expect(storage.reads.at(-1)).toEqual({ offset: 5 * pieceLength, length: 17 })
  })

  it('a partially written storage: only written, intact pieces are ok', async () => {
    const storage = new FakeStorage(data.length)
    storage.data.set(data.subarray(0, pieceLength), 0) // piece 0
    storage.data.set(data.subarray(2 * pieceLength, 3 * pieceLength + 10), 2 * pieceLength) // piece 2, part of 3
    storage.data.set(data.subarray(5 * pieceLength), 5 * pieceLength) // last piece
    storage.data[5 * pieceLength + 3] = (storage.data[5 * pieceLength + 3] as number) ^ 0xff // …corrupted
    const out = await collect(checkPieces({ geometry, pieceHashes, storage, hasher: sha1Hasher }))
    expect(out.map((r) => r.ok)).toEqual([true, false, true, false, false, false])
  })

  it('missing and short reads count as not ok; other errors fail', async () => {
    const storage = new FakeStorage(data.length)
    storage.data.set(data)
    storage.shortAfter = 3 * pieceLength
    const out = await collect(checkPieces({ geometry, pieceHashes, storage, hasher: sha1Hasher }))
    expect(out.map((r) => r.ok)).toEqual([true, true, true, false, false, false])

    const missing: Storage = withRead(storage, async () => { throw new StorageError('missing', 'no file') })
    expect((await collect(checkPieces({ geometry, pieceHashes, storage: missing, hasher: sha1Hasher }))).every((r) => !r.ok)).toBe(true)

    const broken: Storage = withRead(storage, async () => { throw new StorageError('io', 'EIO') })
    await expect(collect(checkPieces({ geometry, pieceHashes, storage: broken, hasher: sha1Hasher }))).rejects.toThrow('EIO')
  })

  it('reads a bounded number of pieces ahead', async () => {
    const storage = new FakeStorage(data.length)
    storage.data.set(data)
    const it = checkPieces({ geometry, pieceHashes, storage, hasher: sha1Hasher, readAhead: 2 })[Symbol.asyncIterator]()
    await it.next()
    expect(storage.reads).toHaveLength(3) // piece 0 plus two ahead
    await it.next()
    expect(storage.reads).toHaveLength(4)
    await it.return?.()
    expect(storage.reads).toHaveLength(4)
  })

  it('stops with the abort reason, even while a read hangs', async () => {
    const controller = new AbortController()
    const storage = new FakeStorage(data.length)
    storage.data.set(data)
    const hanging = withRead(storage,
      async (offset, length) => offset >= 2 * pieceLength ? await new Promise<Uint8Array>(() => {}) : await storage.read(offset, length)
    )
    const it = checkPieces({ geometry, pieceHashes, storage: hanging, hasher: sha1Hasher, signal: controller.signal })[Symbol.asyncIterator]()
    expect((await it.next()).value).toEqual({ index: 0, ok: true })
    expect((await it.next()).value).toEqual({ index: 1, ok: true })
    const third = it.next()
    controller.abort(new StorageError('aborted', 'stopped by user', { disposition: 'ignore' }))
    await expect(third).rejects.toThrow('stopped by user')
  })

  it('an already aborted signal yields nothing', async () => {
    const storage = new FakeStorage(data.length)
    await expect(collect(checkPieces({ geometry, pieceHashes, storage, hasher: sha1Hasher, signal: AbortSignal.abort() }))).rejects.toBeDefined()
    expect(storage.reads).toHaveLength(0)
  })
})
