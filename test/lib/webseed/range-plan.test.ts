import { describe, expect, it } from 'vitest'
import type { TorrentFile } from '../../../lib/metainfo/types.js'
import type { BlockRef } from '../../../lib/pieces/geometry.js'
import { planRanges } from '../../../lib/webseed/range-plan.js'

/** A torrent of files with the given lengths (`p` suffix: padding). */
function torrent (pieceLength: number, specs: Array<number | [number, 'p']>): { files: TorrentFile[], length: number, pieceLength: number, pieceCount: number } {
  let offset = 0
  const files = specs.map((s, i) => {
    const [length, padding] = typeof s === 'number' ? [s, false] : [s[0], true]
    const f: TorrentFile = { path: [`f${i}`], originalPath: [`f${i}`], length, offset, attr: padding ? 'p' : '', padding }
    offset += length
    return f
  })
  return { files, length: offset, pieceLength, pieceCount: Math.ceil(offset / pieceLength) }
}

const b = (index: number, begin: number, length: number): BlockRef => ({ index, begin, length })

describe('planRanges', () => {
  it('contiguous blocks in one file make one request', () => {
    const t = torrent(32, [100])
    const refs = [b(1, 0, 16), b(1, 16, 16), b(2, 0, 16)]
    expect(planRanges(t, refs)).toEqual([{
      file: 0,
      start: 32,
      end: 79,
      parts: [
        { ref: refs[0], blockOffset: 0, fileOffsetInRange: 0, length: 16 },
        { ref: refs[1], blockOffset: 0, fileOffsetInRange: 16, length: 16 },
        { ref: refs[2], blockOffset: 0, fileOffsetInRange: 32, length: 16 }
      ]
    }])
  })

  it('a run crossing a file boundary makes one request per file', () => {
    const t = torrent(32, [40, 60])
    const refs = [b(1, 0, 16), b(1, 16, 16)] // bytes 32..63; file 0 ends at 40
    expect(planRanges(t, refs)).toEqual([
      { file: 0, start: 32, end: 39, parts: [{ ref: refs[0], blockOffset: 0, fileOffsetInRange: 0, length: 8 }] },
      {
        file: 1,
        start: 0,
        end: 23,
        parts: [
          { ref: refs[0], blockOffset: 8, fileOffsetInRange: 0, length: 8 },
          { ref: refs[1], blockOffset: 0, fileOffsetInRange: 8, length: 16 }
        ]
      }
    ])
  })

  it('padding files make no request; a block of padding only appears in no part', () => {
    const t = torrent(16, [10, [22, 'p'], 16])
    const refs = [b(0, 0, 16), b(1, 0, 16), b(2, 0, 16)]
    expect(planRanges(t, refs)).toEqual([
      { file: 0, start: 0, end: 9, parts: [{ ref: refs[0], blockOffset: 0, fileOffsetInRange: 0, length: 10 }] },
      { file: 2, start: 0, end: 15, parts: [{ ref: refs[2], blockOffset: 0, fileOffsetInRange: 0, length: 16 }] }
    ])
  })

  it('sorts blocks by position and splits at gaps and overlaps', () => {
    const t = torrent(16, [64])
    const refs = [b(2, 0, 8), b(0, 0, 8), b(0, 8, 8), b(0, 8, 8)]
    const plan = planRanges(t, refs)
    expect(plan.map((r) => [r.start, r.end])).toEqual([[0, 15], [8, 15], [32, 39]])
    expect(plan[0]?.parts.map((p) => p.ref)).toEqual([refs[1], refs[2]])
  })

  it('zero-length files inside a run are skipped', () => {
    const t = torrent(16, [8, 0, 8])
    const plan = planRanges(t, [b(0, 0, 16)])
    expect(plan.map((r) => [r.file, r.start, r.end])).toEqual([[0, 0, 7], [2, 0, 7]])
  })

  it('the short last piece is handled', () => {
    const t = torrent(16, [20])
    expect(planRanges(t, [b(1, 0, 4)])).toEqual([{ file: 0, start: 16, end: 19, parts: [{ ref: { index: 1, begin: 0, length: 4 }, blockOffset: 0, fileOffsetInRange: 0, length: 4 }] }])
  })

  it('an empty list plans nothing', () => {
    expect(planRanges(torrent(16, [20]), [])).toEqual([])
  })

  it('throws UsageError bad-block for blocks outside the torrent', () => {
    const t = torrent(16, [20])
    for (const ref of [b(2, 0, 4), b(1, 0, 5), b(0, 0, 0), b(-1, 0, 4), b(0, 0.5, 4)]) {
      expect(() => planRanges(t, [ref])).toThrowError(expect.objectContaining({ name: 'UsageError', code: 'bad-block' }))
    }
  })
})
