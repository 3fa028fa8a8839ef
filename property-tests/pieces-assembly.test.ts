import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../lib/errors.js'
import { blockAt, blockCount, blockNumberOf, geometryOf, isValidBlockRequest, pieceLengthAt } from '../lib/pieces/geometry.js'
import { PieceAssembler } from '../lib/pieces/piece-assembler.js'

const torrent = fc.record({
  pieceLength: fc.integer({ min: 1, max: 100 }),
  length: fc.integer({ min: 1, max: 500 }),
  blockSize: fc.integer({ min: 1, max: 40 })
})

describe('piece geometry properties', () => {
  it('blocks tile every piece exactly, and each is a valid request on the grid', () => {
    fc.assert(fc.property(torrent, ({ pieceLength, length, blockSize }) => {
      const g = geometryOf({ length, pieceLength })
      let total = 0
      for (let i = 0; i < g.pieceCount; i++) {
        let at = 0
        for (let b = 0; b < blockCount(g, i, blockSize); b++) {
          const r = blockAt(g, i, b, blockSize)
          expect(r.begin).toBe(at)
          expect(r.length).toBeGreaterThan(0)
          expect(isValidBlockRequest(g, r, blockSize)).toBe(true)
          expect(blockNumberOf(g, r, blockSize)).toBe(b)
          at += r.length
        }
        expect(at).toBe(pieceLengthAt(g, i))
        total += at
      }
      expect(total).toBe(length)
    }))
  })

  it('isValidBlockRequest is total and never admits bytes outside the piece', () => {
    fc.assert(fc.property(torrent, fc.integer({ min: -5, max: 30 }), fc.integer({ min: -5, max: 600 }), fc.integer({ min: -5, max: 600 }), ({ pieceLength, length }, index, begin, len) => {
      const g = geometryOf({ length, pieceLength })
      if (isValidBlockRequest(g, { index, begin, length: len })) {
        expect(index >= 0 && index < g.pieceCount).toBe(true)
        expect(begin >= 0 && len > 0 && begin + len <= pieceLengthAt(g, index)).toBe(true)
      }
    }))
  })
})

describe('PieceAssembler properties', () => {
  it('any arrival order of the blocks yields each piece once, intact, and holds nothing after', () => {
    const scenario = torrent.chain((t) => {
      const g = geometryOf(t)
      const refs = [...Array(g.pieceCount).keys()].flatMap((i) => [...Array(blockCount(g, i, t.blockSize)).keys()].map((b) => blockAt(g, i, b, t.blockSize)))
      return fc.record({ t: fc.constant(t), order: fc.shuffledSubarray(refs, { minLength: refs.length, maxLength: refs.length }) })
    })
    fc.assert(fc.property(scenario, ({ t, order }) => {
      const g = geometryOf(t)
      const data = Uint8Array.from({ length: t.length }, (_, i) => (i * 7 + 3) & 0xff)
      const a = new PieceAssembler(g, { blockSize: t.blockSize })
      const seen = new Set<number>()
      for (const r of order) {
        const at = r.index * t.pieceLength + r.begin
        const piece = a.add(`p${r.begin % 3}`, r.index, r.begin, data.subarray(at, at + r.length))
        if (piece === undefined) continue
        expect(seen.has(piece.index)).toBe(false)
        seen.add(piece.index)
        const joined = Buffer.concat(piece.blocks)
        expect(joined.equals(data.subarray(piece.index * t.pieceLength, piece.index * t.pieceLength + piece.length))).toBe(true)
        expect(piece.length).toBe(pieceLengthAt(g, piece.index))
      }
      expect(seen.size).toBe(g.pieceCount)
      expect(a.bufferedBytes).toBe(0)
      expect(a.pendingPieces).toBe(0)
    }))
  })

  it('throws only ProtocolError for arbitrary block positions, and keeps its byte count right', () => {
    fc.assert(fc.property(torrent, fc.array(fc.tuple(fc.integer({ min: -2, max: 12 }), fc.integer({ min: -2, max: 120 }), fc.integer({ min: 0, max: 50 })), { maxLength: 40 }), ({ pieceLength, length, blockSize }, adds) => {
      const g = geometryOf({ length, pieceLength })
      const a = new PieceAssembler(g, { blockSize })
      for (const [index, begin, len] of adds) {
        const before = a.bufferedBytes
        let piece
        try { piece = a.add('x', index, begin, new Uint8Array(len)) } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError)
          expect(a.bufferedBytes).toBe(before)
          continue
        }
        if (piece !== undefined) expect(a.bufferedBytes).toBe(before + len - piece.length)
        else expect(a.bufferedBytes === before || a.bufferedBytes === before + len).toBe(true)
      }
    }))
  })
})
