import { describe, expect, it } from 'vitest'
import { geometryOf } from '../../lib/pieces/geometry.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { Storage } from '../../lib/storage/types.js'
import { PieceReadCache } from '../../operators/piece-read-cache.js'

class CountingStorage implements Storage {
  reads: Array<[number, number]> = []
  fail = false
  constructor (readonly inner: Storage) {}
  async read (offset: number, length: number): Promise<Uint8Array> {
    this.reads.push([offset, length])
    if (this.fail) throw new Error('boom')
    return await this.inner.read(offset, length)
  }
  async write (offset: number, chunks: readonly Uint8Array[]): Promise<void> { await this.inner.write(offset, chunks) }
  async flush (): Promise<void> {}
  async close (): Promise<void> {}
}

/** A storage that reads into the caller's buffer, recording which buffer each read filled. */
class IntoStorage extends CountingStorage {
  intoBuffers: ArrayBufferLike[] = []
  async readInto (offset: number, into: Uint8Array): Promise<Uint8Array> {
    this.intoBuffers.push(into.buffer)
    into.set(await this.read(offset, into.length))
    return into
  }
}

async function setup (length: number, pieceLength: number, maxBytes: number): Promise<{ s: CountingStorage, cache: PieceReadCache, data: Uint8Array }> {
  const data = new Uint8Array(length).map((_, i) => (i * 7) & 0xff)
  const inner = new MemoryStorage(length)
  await inner.write(0, [data])
  const s = new CountingStorage(inner)
  return { s, data, cache: new PieceReadCache(s, geometryOf({ length, pieceLength }), { maxBytes }) }
}

describe('PieceReadCache', () => {
  it('reads a piece once and serves its blocks as views', async () => {
    const { s, cache, data } = await setup(4 * 32768, 32768, 1 << 20)
    const a = await cache.read(1, 0, 16384)
    const b = await cache.read(1, 16384, 16384)
    expect(s.reads).toEqual([[32768, 32768]])
    expect(Buffer.compare(a, data.subarray(32768, 49152))).toBe(0)
    expect(Buffer.compare(b, data.subarray(49152, 65536))).toBe(0)
  })

  it('reads the short last piece at its own length', async () => {
    const { s, cache, data } = await setup(32768 + 1000, 32768, 1 << 20)
    const tail = await cache.read(1, 0, 1000)
    expect(s.reads).toEqual([[32768, 1000]])
    expect(Buffer.compare(tail, data.subarray(32768))).toBe(0)
  })

  it('stays within maxBytes, evicting the least recently used piece', async () => {
    const { s, cache } = await setup(8 * 16384, 16384, 4 * 16384)
    for (const i of [0, 1, 2, 3]) await cache.read(i, 0, 16384)
    await cache.read(0, 0, 16384) // refresh 0
    await cache.read(4, 0, 16384) // evicts 1
    expect(cache.bytes).toBeLessThanOrEqual(4 * 16384)
    s.reads = []
    await cache.read(0, 0, 16384)
    await cache.read(1, 0, 16384)
    expect(s.reads).toEqual([[16384, 16384]])
  })

  it('does not cache a failed read', async () => {
    const { s, cache } = await setup(2 * 16384, 16384, 1 << 20)
    s.fail = true
    await expect(cache.read(0, 0, 16384)).rejects.toThrow('boom')
    s.fail = false
    await expect(cache.read(0, 0, 16384)).resolves.toHaveLength(16384)
    expect(cache.bytes).toBe(16384)
  })

  it('reads pieces too large for the cache block by block', async () => {
    const { s, cache } = await setup(2 * 65536, 65536, 65536)
    await cache.read(0, 16384, 16384)
    expect(s.reads).toEqual([[16384, 16384]])
    expect(cache.bytes).toBe(0)
  })

  describe('leases', () => {
    async function leasing (maxPieces: number): Promise<{ s: IntoStorage, cache: PieceReadCache, data: Uint8Array }> {
      const pieceLength = 16384
      const length = 8 * pieceLength
      const data = new Uint8Array(length).map((_, i) => (i * 13 + 5) & 0xff)
      const inner = new MemoryStorage(length)
      await inner.write(0, [data])
      const s = new IntoStorage(inner)
      return { s, data, cache: new PieceReadCache(s, geometryOf({ length, pieceLength }), { maxBytes: maxPieces * pieceLength }) }
    }

    it('reuses an evicted piece\'s buffer once every lease of it is released', async () => {
      const { s, cache, data } = await leasing(4)
      const held = await cache.lease(0, 0, 16384)
      for (const i of [1, 2, 3, 4]) (await cache.lease(i, 0, 16384)).release() // 0 is evicted, still leased
      expect(cache.pooled).toBe(0)
      await cache.lease(5, 0, 16384) // evicts 1, whose lease is back: pooled, then taken by 5
      expect(s.intoBuffers[5]).toBe(s.intoBuffers[1])
      // The piece still leased was not overwritten.
      expect(Buffer.compare(held, data.subarray(0, 16384))).toBe(0)
      held.release()
      await cache.lease(6, 0, 16384) // evicts 2; 0's buffer was pooled on release
      expect(new Set([s.intoBuffers[0], s.intoBuffers[2]]).has(s.intoBuffers[6] as ArrayBufferLike)).toBe(true)
      expect(s.intoBuffers.length).toBe(7)
    })

    it('never reuses a buffer whose lease is not released, nor one a plain read handed out', async () => {
      const { s, cache, data } = await leasing(4)
      const kept = await cache.lease(0, 0, 16384)
      const viewed = await cache.read(1, 0, 16384)
      for (let i = 2; i < 8; i++) (await cache.lease(i, 0, 16384)).release()
      const reused = s.intoBuffers.slice(2)
      expect(reused).not.toContain(s.intoBuffers[0])
      expect(reused).not.toContain(s.intoBuffers[1])
      expect(Buffer.compare(kept, data.subarray(0, 16384))).toBe(0)
      expect(Buffer.compare(viewed, data.subarray(16384, 32768))).toBe(0)
    })

    it('serves the right bytes through a small pool', async () => {
      const { cache, data } = await leasing(4)
      for (const i of [3, 0, 7, 3, 5, 1, 6, 2, 4, 0]) {
        const b = await cache.lease(i, 4096, 8192)
        expect(Buffer.compare(b, data.subarray(i * 16384 + 4096, i * 16384 + 12288))).toBe(0)
        b.release()
      }
      expect(cache.bytes + cache.pooled * 16384).toBeLessThanOrEqual(5 * 16384)
    })

    it('leaseCached lends a block at once only once its piece is read, and never starts a read', async () => {
      const { s, cache, data } = await leasing(4)
      expect(cache.leaseCached(2, 0, 16384)).toBeUndefined()
      expect(s.reads).toEqual([])
      const pending = cache.lease(2, 0, 8192)
      expect(cache.leaseCached(2, 8192, 8192)).toBeUndefined() // read still running
      ;(await pending).release()
      const b = cache.leaseCached(2, 8192, 8192)
      expect(b).toBeDefined()
      expect(Buffer.compare(b as Uint8Array, data.subarray(2 * 16384 + 8192, 3 * 16384))).toBe(0)
      expect(s.reads).toEqual([[2 * 16384, 16384]])
      // Held by the lease: evicting piece 2 (at piece 6) does not pool its buffer.
      for (const i of [3, 4, 5, 6]) (await cache.lease(i, 0, 16384)).release()
      expect(s.intoBuffers[4]).not.toBe(s.intoBuffers[0])
      b?.release()
    })

    it('a released leaseCached block gives its piece\'s buffer back', async () => {
      const { s, cache } = await leasing(4)
      ;(await cache.lease(2, 0, 16384)).release()
      cache.leaseCached(2, 0, 16384)?.release()
      for (const i of [3, 4, 5, 6]) (await cache.lease(i, 0, 16384)).release()
      expect(s.intoBuffers[4]).toBe(s.intoBuffers[0])
    })

    it('leaseCached refreshes the piece in the LRU order', async () => {
      const { s, cache } = await leasing(4)
      for (const i of [0, 1, 2, 3]) (await cache.lease(i, 0, 16384)).release()
      cache.leaseCached(0, 0, 16384)?.release() // 0 is now the most recent
      ;(await cache.lease(4, 0, 16384)).release() // evicts 1
      expect(cache.leaseCached(0, 0, 16384)).toBeDefined()
      expect(cache.leaseCached(1, 0, 16384)).toBeUndefined()
      expect(s.reads.length).toBe(5)
    })

    it('does not cache a failed read, and a later lease reads again', async () => {
      const { s, cache } = await leasing(4)
      s.fail = true
      await expect(cache.lease(0, 0, 16384)).rejects.toThrow('boom')
      s.fail = false
      const b = await cache.lease(0, 0, 16384)
      expect(b).toHaveLength(16384)
      expect(cache.bytes).toBe(16384)
    })
  })
})
