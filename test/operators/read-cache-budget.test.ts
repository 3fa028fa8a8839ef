import { describe, expect, it } from 'vitest'
import { geometryOf } from '../../lib/pieces/geometry.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import { PieceReadCache } from '../../operators/piece-read-cache.js'
import { ReadCacheBudget } from '../../operators/read-cache-budget.js'

const PIECE = 16384

/** A memory storage that reads into the caller's buffer and records each read's offset. */
class IntoStorage extends MemoryStorage {
  reads: number[] = []
  async readInto (offset: number, into: Uint8Array): Promise<Uint8Array> {
    this.reads.push(offset)
    into.set(await this.read(offset, into.length))
    return into
  }
}

async function torrentCache (budget: ReadCacheBudget, pieces: number, seed: number): Promise<{ s: IntoStorage, cache: PieceReadCache, data: Uint8Array }> {
  const data = new Uint8Array(pieces * PIECE).map((_, i) => (i * seed) & 0xff)
  const s = new IntoStorage(data.length)
  await s.write(0, [data])
  return { s, data, cache: new PieceReadCache(s, geometryOf({ length: data.length, pieceLength: PIECE }), { budget }) }
}

describe('ReadCacheBudget', () => {
  it('admitting past maxBytes drops the least recently used others, never the newcomer', () => {
    const budget = new ReadCacheBudget({ maxBytes: 300 })
    const dropped: string[] = []
    const tokens = { a: {}, b: {}, c: {}, d: {} }
    for (const [name, token] of Object.entries(tokens).slice(0, 3)) budget.admit(token, 100, () => { dropped.push(name); budget.forget(token) })
    budget.touch(tokens.a)
    budget.admit(tokens.d, 150, () => { dropped.push('d') })
    // b and c were older than a (touched); 450 bytes held needs two drops.
    expect(dropped).toEqual(['b', 'c'])
    expect(budget.bytes).toBe(250)
    expect(budget.pieces).toBe(2)
    // A piece larger than the bound pushes out every other one, and stays.
    budget.admit({}, 1000, () => {})
    expect(dropped).toEqual(['b', 'c', 'a', 'd'])
    expect(budget.pieces).toBe(1)
    expect(budget.bytes).toBe(1000)
  })

  it('makeRoom drops kept buffers of other lengths, then the oldest pieces, and stops once a kept buffer of the length can take the piece', () => {
    const budget = new ReadCacheBudget({ maxBytes: 400 })
    const dropped: string[] = []
    const piece = (name: string, gives: boolean): void => {
      const token = {}
      budget.admit(token, 100, () => { dropped.push(name); budget.forget(token); if (gives) budget.give(new Uint8Array(100)) })
    }
    piece('a', false)
    piece('b', true)
    expect(budget.give(new Uint8Array(50))).toBe(true)
    expect(budget.give(new Uint8Array(100))).toBe(true)
    expect(budget.bytes + budget.pooled).toBe(350)
    // A kept buffer of the length is there to take: nothing goes.
    budget.makeRoom(100, 100)
    expect(dropped).toEqual([])
    // 250 at another length: both kept buffers go, then the oldest piece.
    budget.makeRoom(250, 250)
    expect(dropped).toEqual(['a'])
    expect(budget.pooled).toBe(0)
    expect(budget.bytes).toBe(100)
    piece('c', false)
    piece('d', false)
    piece('e', false)
    // Full: b is dropped and gives its buffer back, which the new piece can take.
    budget.makeRoom(100, 100)
    expect(dropped).toEqual(['a', 'b'])
    expect(budget.take(100)?.length).toBe(100)
    expect(budget.take(100)).toBeUndefined()
  })

  it('give keeps a buffer only within the bound, and once', () => {
    const budget = new ReadCacheBudget({ maxBytes: 200 })
    budget.admit({}, 150, () => {})
    const kept = new Uint8Array(50)
    expect(budget.give(kept)).toBe(true)
    expect(budget.give(kept)).toBe(false)
    expect(budget.give(new Uint8Array(1))).toBe(false)
    expect(budget.take(50)).toBe(kept)
    expect(budget.pooled).toBe(0)
  })

  it('refuses a bound that is not a non-negative integer', () => {
    expect(() => new ReadCacheBudget({ maxBytes: -1 })).toThrow(RangeError)
    expect(() => new ReadCacheBudget({ maxBytes: 1.5 })).toThrow(RangeError)
  })
})

describe('PieceReadCache under a shared budget', () => {
  it('torrents together stay within the budget: one torrent\'s reads push out another\'s oldest pieces', async () => {
    const budget = new ReadCacheBudget({ maxBytes: 3 * PIECE })
    const a = await torrentCache(budget, 4, 7)
    const b = await torrentCache(budget, 4, 13)
    for (const i of [0, 1, 2]) (await a.cache.lease(i, 0, PIECE)).release()
    expect(budget.bytes).toBe(3 * PIECE)
    for (const i of [0, 1]) (await b.cache.lease(i, 0, PIECE)).release()
    expect(budget.bytes).toBe(3 * PIECE)
    expect(a.cache.bytes + b.cache.bytes).toBe(3 * PIECE)
    // a's pieces 0 and 1 went; 2 is still cached, 0 is read again.
    const again = await a.cache.lease(2, 0, 16)
    expect(Buffer.compare(again, a.data.subarray(2 * PIECE, 2 * PIECE + 16))).toBe(0)
    again.release()
    expect(a.s.reads).toEqual([0, PIECE, 2 * PIECE])
    const first = await a.cache.lease(0, 100, 16)
    expect(Buffer.compare(first, a.data.subarray(100, 116))).toBe(0)
    first.release()
    expect(a.s.reads).toEqual([0, PIECE, 2 * PIECE, 0])
  })

  it('clear() (the torrent stopped) gives its pieces back to the budget', async () => {
    const budget = new ReadCacheBudget({ maxBytes: 8 * PIECE })
    const a = await torrentCache(budget, 4, 7)
    for (const i of [0, 1, 2, 3]) (await a.cache.lease(i, 0, PIECE)).release()
    expect(budget.bytes).toBe(4 * PIECE)
    const held = await a.cache.lease(1, 0, 16)
    a.cache.clear()
    expect(budget.bytes).toBe(0)
    expect(budget.pieces).toBe(0)
    expect(a.cache.bytes).toBe(0)
    // A lease still out stays readable.
    expect(Buffer.compare(held, a.data.subarray(PIECE, PIECE + 16))).toBe(0)
    held.release()
    // Every buffer came back to the budget, for the other torrents.
    expect(budget.pooled).toBe(4 * PIECE)
  })

  it('a piece dropped for another torrent gives its buffer to that torrent: memory stays within the budget without the garbage collector', async () => {
    const budget = new ReadCacheBudget({ maxBytes: 4 * PIECE })
    const a = await torrentCache(budget, 4, 7)
    const b = await torrentCache(budget, 8, 13)
    const seen = new Set<ArrayBufferLike>()
    const track = (s: IntoStorage): void => { const r = s.readInto.bind(s); s.readInto = async (o, into) => { seen.add(into.buffer); return await r(o, into) } }
    track(a.s)
    track(b.s)
    for (const i of [0, 1, 2, 3]) (await a.cache.lease(i, 0, PIECE)).release()
    for (let i = 0; i < 8; i++) (await b.cache.lease(i, 0, PIECE)).release()
    expect(a.cache.bytes).toBe(0)
    expect(b.cache.bytes).toBe(4 * PIECE)
    expect(budget.bytes + budget.pooled).toBe(4 * PIECE)
    // Twelve pieces read into four buffers.
    expect(seen.size).toBe(4)
  })

})
