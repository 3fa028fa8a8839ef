import { describe, expect, it } from 'vitest'
import { ProtocolError, RxTorrentError } from '../../../lib/errors.js'
import { geometryOf } from '../../../lib/pieces/geometry.js'
import { PieceAssembler } from '../../../lib/pieces/piece-assembler.js'
import { content } from './helpers.js'

const B = 16 * 1024

describe('PieceAssembler', () => {
  const g = geometryOf({ length: 3 * 40000 + 10, pieceLength: 40000 })

  it('assembles out-of-order blocks without copying', () => {
    const a = new PieceAssembler(g)
    const data = content(40000)
    const b0 = data.subarray(0, B)
    const b1 = data.subarray(B, 2 * B)
    const b2 = data.subarray(2 * B)
    expect(a.add('x', 1, 2 * B, b2)).toBeUndefined()
    expect(a.add('y', 1, 0, b0)).toBeUndefined()
    expect(a.bufferedBytes).toBe(b0.length + b2.length)
    const piece = a.add('x', 1, B, b1)
    expect(piece).toBeDefined()
    expect(piece?.index).toBe(1)
    expect(piece?.length).toBe(40000)
    expect(piece?.blocks[0]).toBe(b0) // same view, not a copy
    expect(piece?.blocks[1]).toBe(b1)
    expect(piece?.blocks[2]).toBe(b2)
    expect(piece?.contributors).toEqual(['y', 'x'])
    expect(a.bufferedBytes).toBe(0)
    expect(a.pendingPieces).toBe(0)
  })

  it('the short last piece is one block', () => {
    const a = new PieceAssembler(g)
    const piece = a.add('x', 3, 0, content(10))
    expect(piece?.length).toBe(10)
    expect(piece?.blocks).toHaveLength(1)
  })

  it('ignores a duplicate block, keeping the first', () => {
    const a = new PieceAssembler(g)
    const first = content(B, 1)
    a.add('x', 0, 0, first)
    expect(a.add('y', 0, 0, content(B, 2))).toBeUndefined()
    expect(a.bufferedBytes).toBe(B)
    a.add('x', 0, B, content(B))
    const piece = a.add('x', 0, 2 * B, content(40000 - 2 * B))
    expect(piece?.blocks[0]).toBe(first)
    expect(piece?.contributors).toEqual(['x'])
  })

  it('throws ProtocolError bad-block for blocks that misfit (ADVERSARIAL C38)', () => {
    const a = new PieceAssembler(g)
    const cases: Array<[number, number, number]> = [
      [4, 0, 10], // piece past the last
      [-1, 0, B],
      [0, 40000, 1], // offset at the piece end
      [0, 100, B], // overlapping, off the grid
      [0, 0, B + 1], // longer than a block
      [0, 0, B - 1], // shorter than the grid block
      [0, 2 * B, B], // past the piece end
      [3, 0, 11] // past the torrent end
    ]
    for (const [index, begin, length] of cases) {
      let err: unknown
      try { a.add('x', index, begin, new Uint8Array(length)) } catch (e) { err = e }
      expect(err, `${index}:${begin}+${length}`).toBeInstanceOf(ProtocolError)
      expect((err as ProtocolError).code).toBe('bad-block')
      expect((err as ProtocolError).disposition).toBe('disconnect')
    }
    expect(a.bufferedBytes).toBe(0)
  })

  it('bounds memory: buffer-full past maxBufferedBytes, drop frees', () => {
    const a = new PieceAssembler(g, { maxBufferedBytes: 2 * B })
    a.add('x', 0, 0, content(B))
    a.add('x', 1, 0, content(B))
    let err: unknown
    try { a.add('x', 2, 0, content(B)) } catch (e) { err = e }
    expect(err).toBeInstanceOf(RxTorrentError)
    expect((err as RxTorrentError).code).toBe('buffer-full')
    expect((err as RxTorrentError).disposition).toBe('ignore')
    expect(a.bufferedBytes).toBe(2 * B)
    a.drop(1)
    a.drop(1)
    expect(a.bufferedBytes).toBe(B)
    expect(a.add('x', 2, 0, content(B))).toBeUndefined()
    expect(a.bufferedBytes).toBe(2 * B)
  })

  it('holds tells which blocks are buffered', () => {
    const a = new PieceAssembler(g)
    a.add('x', 1, B, content(B))
    expect(a.holds(1, B)).toBe(true)
    expect(a.holds(1, 0)).toBe(false)
    expect(a.holds(1, 5)).toBe(false)
    expect(a.holds(0, B)).toBe(false)
    a.drop(1)
    expect(a.holds(1, B)).toBe(false)
  })

  it('custom block size', () => {
    const h = geometryOf({ length: 100, pieceLength: 100 })
    const a = new PieceAssembler(h, { blockSize: 30 })
    expect(a.add('x', 0, 90, content(10))).toBeUndefined()
    expect(a.add('x', 0, 0, content(30))).toBeUndefined()
    expect(a.add('x', 0, 30, content(30))).toBeUndefined()
    expect(a.add('x', 0, 60, content(30))?.blocks.map((b) => b.length)).toEqual([30, 30, 30, 10])
  })
})
