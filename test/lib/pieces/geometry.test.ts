import { describe, expect, it } from 'vitest'
import { MetainfoError } from '../../../lib/errors.js'
import { blockAt, blockCount, blockNumberOf, geometryOf, isValidBlockRequest, pieceLengthAt, pieceOffset } from '../../../lib/pieces/geometry.js'

const KiB = 1024

describe('geometryOf', () => {
  it('derives the piece count', () => {
    expect(geometryOf({ length: 100, pieceLength: 32 })).toEqual({ length: 100, pieceLength: 32, pieceCount: 4 })
    expect(geometryOf({ length: 96, pieceLength: 32 }).pieceCount).toBe(3)
    expect(geometryOf({ length: 96, pieceLength: 32, pieceCount: 3 }).pieceCount).toBe(3)
  })

  it('rejects inconsistent or impossible numbers with a typed error', () => {
    for (const t of [
      { length: 100, pieceLength: 32, pieceCount: 3 },
      { length: 100, pieceLength: 0 },
      { length: 100, pieceLength: -1 },
      { length: -1, pieceLength: 16 },
      { length: 1.5, pieceLength: 16 },
      { length: 100, pieceLength: Number.NaN }
    ]) {
      expect(() => geometryOf(t)).toThrow(MetainfoError)
    }
    try { geometryOf({ length: 1, pieceLength: 0 }) } catch (e) { expect((e as MetainfoError).code).toBe('bad-geometry') }
  })
})

describe('piece and block geometry', () => {
  const g = geometryOf({ length: 2 * 32 * KiB + 5000, pieceLength: 32 * KiB })

  it('the last piece is short', () => {
    expect(pieceLengthAt(g, 0)).toBe(32 * KiB)
    expect(pieceLengthAt(g, 1)).toBe(32 * KiB)
    expect(pieceLengthAt(g, 2)).toBe(5000)
    expect(pieceOffset(g, 2)).toBe(64 * KiB)
    expect(() => pieceLengthAt(g, 3)).toThrow(RangeError)
    expect(() => pieceLengthAt(g, -1)).toThrow(RangeError)
  })

  it('counts and cuts blocks, the last block of the last piece short', () => {
    expect(blockCount(g, 0)).toBe(2)
    expect(blockCount(g, 2)).toBe(1)
    expect(blockAt(g, 0, 1)).toEqual({ index: 0, begin: 16 * KiB, length: 16 * KiB })
    expect(blockAt(g, 2, 0)).toEqual({ index: 2, begin: 0, length: 5000 })
    expect(() => blockAt(g, 2, 1)).toThrow(RangeError)
  })

  it('handles a piece length that is not a multiple of 16 KiB', () => {
    const h = geometryOf({ length: 3 * 40000, pieceLength: 40000 })
    expect(blockCount(h, 1)).toBe(3)
    expect(blockAt(h, 1, 2)).toEqual({ index: 1, begin: 32768, length: 40000 - 32768 })
    expect(blockNumberOf(h, { index: 1, begin: 32768, length: 7232 })).toBe(2)
  })

  it('a one-block torrent', () => {
    const h = geometryOf({ length: 10, pieceLength: 16 * KiB })
    expect(h.pieceCount).toBe(1)
    expect(blockCount(h, 0)).toBe(1)
    expect(blockAt(h, 0, 0)).toEqual({ index: 0, begin: 0, length: 10 })
  })

  it('custom block sizes', () => {
    expect(blockCount(g, 0, 1000)).toBe(33)
    expect(blockAt(g, 0, 32, 1000)).toEqual({ index: 0, begin: 32000, length: 768 })
    expect(() => blockCount(g, 0, 0)).toThrow(RangeError)
  })

  it('blockNumberOf accepts only exact grid blocks', () => {
    expect(blockNumberOf(g, { index: 0, begin: 16 * KiB, length: 16 * KiB })).toBe(1)
    expect(blockNumberOf(g, { index: 0, begin: 1, length: 16 * KiB - 1 })).toBe(-1)
    expect(blockNumberOf(g, { index: 0, begin: 0, length: 100 })).toBe(-1)
    expect(blockNumberOf(g, { index: 2, begin: 0, length: 5000 })).toBe(0)
    expect(blockNumberOf(g, { index: 3, begin: 0, length: 5000 })).toBe(-1)
  })
})

describe('isValidBlockRequest (ADVERSARIAL C35)', () => {
  const g = geometryOf({ length: 2 * 32 * KiB + 5000, pieceLength: 32 * KiB })
  it('accepts requests inside a piece, aligned or not', () => {
    expect(isValidBlockRequest(g, { index: 0, begin: 0, length: 16 * KiB })).toBe(true)
    expect(isValidBlockRequest(g, { index: 1, begin: 16 * KiB, length: 16 * KiB })).toBe(true)
    expect(isValidBlockRequest(g, { index: 0, begin: 3, length: 100 })).toBe(true)
    expect(isValidBlockRequest(g, { index: 2, begin: 0, length: 5000 })).toBe(true)
  })
  it('rejects past the piece end, length 0, above the max, past the last piece, and non-integers', () => {
    for (const ref of [
      { index: 0, begin: 16 * KiB + 1, length: 16 * KiB },
      { index: 2, begin: 0, length: 5001 },
      { index: 0, begin: 0, length: 0 },
      { index: 0, begin: 0, length: 16 * KiB + 1 },
      { index: 3, begin: 0, length: 1 },
      { index: -1, begin: 0, length: 1 },
      { index: 0, begin: -1, length: 1 },
      { index: 0.5, begin: 0, length: 1 },
      { index: 0, begin: Number.NaN, length: 1 },
      { index: 0, begin: 0xffffffff, length: 16 * KiB }
    ]) {
      expect(isValidBlockRequest(g, ref), JSON.stringify(ref)).toBe(false)
    }
    expect(isValidBlockRequest(g, { index: 0, begin: 0, length: 32 * KiB }, 32 * KiB)).toBe(true)
  })
})
