import { describe, expect, it } from 'vitest'
import { StorageError } from '../../../lib/errors.js'
import { filePath, layoutLength, mapRange, type LayoutFile } from '../../../lib/storage/file-layout.js'

function files (...lengths: (number | [number, 'pad'])[]): LayoutFile[] {
  let offset = 0
  return lengths.map(l => {
    const length = typeof l === 'number' ? l : l[0]
    const f = { length, offset, padding: typeof l !== 'number' }
    offset += length
    return f
  })
}

describe('mapRange', () => {
  const fs = files(10, 0, 7, [5, 'pad'], 0, 9)

  it('maps a range inside one file', () => {
    expect(mapRange(fs, 2, 5)).toEqual([{ file: 0, fileOffset: 2, length: 5, bufferOffset: 0, padding: false }])
  })

  it('splits a range over several files, skipping zero-length ones and flagging padding', () => {
    expect(mapRange(fs, 8, 20)).toEqual([
      { file: 0, fileOffset: 8, length: 2, bufferOffset: 0, padding: false },
      { file: 2, fileOffset: 0, length: 7, bufferOffset: 2, padding: false },
      { file: 3, fileOffset: 0, length: 5, bufferOffset: 9, padding: true },
      { file: 5, fileOffset: 0, length: 6, bufferOffset: 14, padding: false }
    ])
  })

  it('starts at a file boundary after zero-length files', () => {
    expect(mapRange(fs, 10, 1)).toEqual([{ file: 2, fileOffset: 0, length: 1, bufferOffset: 0, padding: false }])
    expect(mapRange(fs, 22, 9)).toEqual([{ file: 5, fileOffset: 0, length: 9, bufferOffset: 0, padding: false }])
  })

  it('maps an empty range to nothing, even at the end', () => {
    expect(mapRange(fs, 31, 0)).toEqual([])
    expect(mapRange(fs, 0, 0)).toEqual([])
  })

  it('covers every byte exactly once for every range (exhaustive on a small layout)', () => {
    const total = layoutLength(fs)
    expect(total).toBe(31)
    for (let o = 0; o <= total; o++) {
      for (let l = 0; o + l <= total; l++) {
        const segs = mapRange(fs, o, l)
        let expected = 0
        for (const s of segs) {
          const f = fs[s.file] as LayoutFile
          expect(s.bufferOffset).toBe(expected)
          expect(f.offset + s.fileOffset).toBe(o + s.bufferOffset)
          expect(s.length).toBeGreaterThan(0)
          expect(s.fileOffset + s.length).toBeLessThanOrEqual(f.length)
          expected += s.length
        }
        expect(expected).toBe(l)
      }
    }
  })

  it('finds the file by binary search in a long list', () => {
    const many = files(...Array.from({ length: 10_000 }, (_, i) => i % 3))
    const segs = mapRange(many, 9000, 5)
    expect(segs.every(s => (many[s.file] as LayoutFile).length > 0)).toBe(true)
    expect(segs.reduce((a, s) => a + s.length, 0)).toBe(5)
    const first = segs[0]!
    expect((many[first.file] as LayoutFile).offset + first.fileOffset).toBe(9000)
  })

  it('throws StorageError out-of-range past the end, for negatives and non-integers', () => {
    for (const [o, l] of [[30, 2], [31, 1], [-1, 1], [0, -1], [0.5, 1], [0, Number.NaN], [2 ** 60, 1]] as const) {
      let err: unknown
      try { mapRange(fs, o, l) } catch (e) { err = e }
      expect(err).toBeInstanceOf(StorageError)
      expect((err as StorageError).code).toBe('out-of-range')
    }
  })

  it('handles an empty file list', () => {
    expect(mapRange([], 0, 0)).toEqual([])
    expect(() => mapRange([], 0, 1)).toThrow(StorageError)
  })
})

describe('filePath', () => {
  it('is [name] for a single-file torrent', () => {
    expect(filePath({ name: 'movie.mkv', multiFile: false }, { path: ['movie.mkv'] })).toEqual(['movie.mkv'])
  })
  it('is [name, ...path] for a multi-file torrent, even with one file', () => {
    expect(filePath({ name: 'album', multiFile: true }, { path: ['cd1', 'track.flac'] })).toEqual(['album', 'cd1', 'track.flac'])
    expect(filePath({ name: 'dir', multiFile: true }, { path: ['only'] })).toEqual(['dir', 'only'])
  })
})
