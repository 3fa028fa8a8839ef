import { describe, expect, it } from 'vitest'
import { ProtocolError, RxTorrentError } from '../../../lib/errors.js'
import { BufferPool } from '../../../lib/pieces/buffer-pool.js'
import { geometryOf } from '../../../lib/pieces/geometry.js'
import { PieceAssembler, type CompletePiece } from '../../../lib/pieces/piece-assembler.js'
import { content } from './helpers.js'

const B = 16 * 1024
const P = 40000
// Pieces 0-2 are 40000 bytes (blocks of 16384, 16384, 7232); piece 3 is 10 bytes.
const g = geometryOf({ length: 3 * P + 10, pieceLength: P })
const data = content(3 * P + 10, 5)

interface Alloc { readonly lengths: number[], readonly buffers: Uint8Array[], readonly freed: Uint8Array[], allocate: (n: number) => Uint8Array, free: (b: Uint8Array) => void }

function allocator (): Alloc {
  const a: Alloc = {
    lengths: [],
    buffers: [],
    freed: [],
    allocate: (n) => {
      a.lengths.push(n)
      const b = new Uint8Array(new SharedArrayBuffer(n))
      a.buffers.push(b)
      return b
    },
    free: (b) => { a.freed.push(b) }
  }
  return a
}

/** The blocks of a piece as [begin, length] pairs. */
function blocksOf (index: number): Array<[number, number]> {
  const start = index * P
  const length = Math.min(P, data.length - start)
  const out: Array<[number, number]> = []
  for (let begin = 0; begin < length; begin += B) out.push([begin, Math.min(B, length - begin)])
  return out
}

/**
 * Add a block the way a borrowed read delivers it: copied into one reused
 * buffer, which is overwritten with garbage once `add` returns.
 */
const scratch = new Uint8Array(B + 16)
function addBorrowed (a: PieceAssembler, peer: string, index: number, begin: number, length: number): CompletePiece | undefined {
  const from = index * P + begin
  scratch.set(data.subarray(from, from + length), 5)
  const piece = a.add(peer, index, begin, scratch.subarray(5, 5 + length))
  scratch.fill(0xcc)
  return piece
}

function permutations<T> (xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]]
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]))
}

describe('PieceAssembler gathering into allocated buffers', () => {
  it('gives the piece as ONE allocated buffer with every block at its offset, in any arrival order', () => {
    for (const order of permutations(blocksOf(1))) {
      const alloc = allocator()
      const a = new PieceAssembler(g, { allocate: alloc.allocate, free: alloc.free })
      let piece: CompletePiece | undefined
      for (const [i, [begin, length]] of order.entries()) {
        piece = addBorrowed(a, `peer${(begin / B) % 2}`, 1, begin, length)
        if (i < order.length - 1) expect(piece).toBeUndefined()
      }
      expect(alloc.lengths).toEqual([P])
      expect(piece?.index).toBe(1)
      expect(piece?.length).toBe(P)
      expect(piece?.blocks).toHaveLength(1)
      expect(piece?.blocks[0]).toBe(alloc.buffers[0])
      expect(Buffer.compare(piece?.blocks[0] as Uint8Array, data.subarray(P, 2 * P))).toBe(0)
      // Contributors are listed in block order (blocks 0 and 2 from peer0, block 1 from peer1).
      expect(piece?.contributors).toEqual(['peer0', 'peer1'])
      expect(alloc.freed).toEqual([])
    }
  })

  it('the source blocks may be overwritten after add returns', () => {
    const alloc = allocator()
    const a = new PieceAssembler(g, { allocate: alloc.allocate })
    const sources = blocksOf(0).map(([begin, length]) => data.slice(begin, begin + length))
    let piece: CompletePiece | undefined
    for (const [n, [begin]] of blocksOf(0).entries()) {
      const src = sources[n] as Uint8Array
      piece = a.add('p', 0, begin, src)
      src.fill(0)
    }
    expect(Buffer.compare(piece?.blocks[0] as Uint8Array, data.subarray(0, P))).toBe(0)
    expect(piece?.blocks[0]?.buffer).toBeInstanceOf(SharedArrayBuffer)
  })

  it('bufferedBytes counts the whole piece from its first block, and goes back to 0', () => {
    const alloc = allocator()
    const a = new PieceAssembler(g, { allocate: alloc.allocate })
    expect(a.bufferedBytes).toBe(0)
    addBorrowed(a, 'p', 2, B, B)
    expect(a.bufferedBytes).toBe(P)
    expect(a.pendingPieces).toBe(1)
    addBorrowed(a, 'p', 2, 0, B)
    expect(a.bufferedBytes).toBe(P)
    addBorrowed(a, 'p', 0, 0, B)
    expect(a.bufferedBytes).toBe(2 * P)
    const piece = addBorrowed(a, 'p', 2, 2 * B, P - 2 * B)
    expect(piece?.index).toBe(2)
    expect(a.bufferedBytes).toBe(P)
    a.drop(0)
    expect(a.bufferedBytes).toBe(0)
    expect(a.pendingPieces).toBe(0)
  })

  it('maxBufferedBytes is enforced by whole pieces', () => {
    const alloc = allocator()
    const a = new PieceAssembler(g, { allocate: alloc.allocate, maxBufferedBytes: P + P / 2 })
    addBorrowed(a, 'p', 0, 0, B)
    // A second piece's first block would reserve 40000 more: over the limit.
    let err: unknown
    try { addBorrowed(a, 'p', 1, 0, B) } catch (e) { err = e }
    expect(err).toBeInstanceOf(RxTorrentError)
    expect(err).toMatchObject({ code: 'buffer-full', disposition: 'ignore' })
    expect(alloc.lengths).toEqual([P])
    expect(a.bufferedBytes).toBe(P)
    expect(a.holds(1, 0)).toBe(false)
    // More blocks of the piece already reserved cost nothing.
    addBorrowed(a, 'p', 0, B, B)
    const done = addBorrowed(a, 'p', 0, 2 * B, P - 2 * B)
    expect(Buffer.compare(done?.blocks[0] as Uint8Array, data.subarray(0, P))).toBe(0)
    expect(a.bufferedBytes).toBe(0)
    // Now the second piece fits.
    expect(addBorrowed(a, 'p', 1, 0, B)).toBeUndefined()
    expect(a.bufferedBytes).toBe(P)
    // The short last piece reserves only its own length: 40000 + 10 fits.
    expect(addBorrowed(a, 'p', 3, 0, 10)?.length).toBe(10)
  })

  it('a limit of exactly one piece admits one piece at a time', () => {
    const a = new PieceAssembler(g, { allocate: (n) => new Uint8Array(n), maxBufferedBytes: P })
    addBorrowed(a, 'p', 0, 0, B)
    expect(() => addBorrowed(a, 'p', 1, 0, B)).toThrow(expect.objectContaining({ code: 'buffer-full' }))
  })

  it('drop(index) passes the piece buffer to free and forgets the piece', () => {
    const alloc = allocator()
    const a = new PieceAssembler(g, { allocate: alloc.allocate, free: alloc.free })
    addBorrowed(a, 'p', 1, B, B)
    expect(a.holds(1, B)).toBe(true)
    a.drop(1)
    expect(alloc.freed).toHaveLength(1)
    expect(alloc.freed[0]).toBe(alloc.buffers[0])
    expect(a.holds(1, B)).toBe(false)
    expect(a.bufferedBytes).toBe(0)
    // Dropping an unknown piece, or the same one again, frees nothing.
    a.drop(1)
    a.drop(2)
    expect(alloc.freed).toHaveLength(1)
    // The piece starts over with a new allocation.
    addBorrowed(a, 'p', 1, 0, B)
    expect(alloc.lengths).toEqual([P, P])
  })

  it('a completed piece is not passed to free', () => {
    const alloc = allocator()
    const a = new PieceAssembler(g, { allocate: alloc.allocate, free: alloc.free })
    const piece = addBorrowed(a, 'p', 3, 0, 10)
    expect(piece?.blocks[0]).toBe(alloc.buffers[0])
    a.drop(3)
    expect(alloc.freed).toEqual([])
  })

  it('ignores a duplicate block, keeping the first bytes', () => {
    const alloc = allocator()
    const a = new PieceAssembler(g, { allocate: alloc.allocate })
    addBorrowed(a, 'first', 0, 0, B)
    const dup = new Uint8Array(B).fill(0x77)
    expect(a.add('second', 0, 0, dup)).toBeUndefined()
    expect(a.bufferedBytes).toBe(P)
    addBorrowed(a, 'first', 0, B, B)
    const piece = addBorrowed(a, 'first', 0, 2 * B, P - 2 * B)
    expect(Buffer.compare(piece?.blocks[0] as Uint8Array, data.subarray(0, P))).toBe(0)
    expect(piece?.contributors).toEqual(['first'])
    expect(alloc.lengths).toEqual([P])
  })

  it('the last, short piece gets an allocation of its own length', () => {
    const alloc = allocator()
    const a = new PieceAssembler(g, { allocate: alloc.allocate })
    const piece = addBorrowed(a, 'p', 3, 0, 10)
    expect(alloc.lengths).toEqual([10])
    expect(piece?.length).toBe(10)
    expect(piece?.blocks[0]?.length).toBe(10)
    expect(Buffer.compare(piece?.blocks[0] as Uint8Array, data.subarray(3 * P))).toBe(0)
  })

  it('a bad block allocates nothing and reserves nothing', () => {
    const alloc = allocator()
    const a = new PieceAssembler(g, { allocate: alloc.allocate })
    expect(() => a.add('p', 4, 0, new Uint8Array(B))).toThrow(ProtocolError)
    expect(() => a.add('p', 0, 100, new Uint8Array(B))).toThrow(ProtocolError)
    expect(() => a.add('p', 0, 0, new Uint8Array(B - 1))).toThrow(ProtocolError)
    expect(alloc.lengths).toEqual([])
    expect(a.bufferedBytes).toBe(0)
    expect(a.pendingPieces).toBe(0)
  })

  it('with a BufferPool: a dropped buffer is reused, dirty, and the next piece still comes out right', () => {
    const pool = new BufferPool()
    const a = new PieceAssembler(g, { allocate: (n) => pool.acquire(n), free: (b) => { pool.release(b) } })
    addBorrowed(a, 'p', 0, 0, B)
    a.drop(0)
    expect(pool.free).toBe(1)
    // The same buffer now gathers piece 2, with piece 0's first block still in it.
    addBorrowed(a, 'p', 2, 2 * B, P - 2 * B)
    expect(pool.free).toBe(0)
    addBorrowed(a, 'p', 2, 0, B)
    const piece = addBorrowed(a, 'p', 2, B, B)
    expect(pool.allocated).toBe(1)
    expect(Buffer.compare(piece?.blocks[0] as Uint8Array, data.subarray(2 * P, 3 * P))).toBe(0)
  })
})
