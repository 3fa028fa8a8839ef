import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../lib/errors.js'
import { globMatch, selectFiles, wantedPieces } from '../../../lib/pieces/file-priorities.js'

const str = (b: { length: number, has: (i: number) => boolean }): string => Array.from({ length: b.length }, (_, i) => (b.has(i) ? '1' : '0')).join('')

/** Files laid end to end from their lengths; `p` marks a padding file. */
function layout (pieceLength: number, lengths: Array<number | `${number}p`>): { files: Array<{ offset: number, length: number, padding: boolean }>, pieceLength: number, pieceCount: number, length: number } {
  let offset = 0
  const files = lengths.map((l) => {
    const padding = typeof l === 'string'
    const length = padding ? Number(l.slice(0, -1)) : l
    const f = { offset, length, padding }
    offset += length
    return f
  })
  return { files, pieceLength, pieceCount: Math.ceil(offset / pieceLength), length: offset }
}

describe('wantedPieces', () => {
  it('a piece shared by a skipped and a selected file is wanted', () => {
    // pieces of 10: file 0 = 0..14 (pieces 0-1), file 1 = 15..24 (pieces 1-2), file 2 = 25..39 (pieces 2-3)
    const t = layout(10, [15, 10, 15])
    expect(str(wantedPieces(t, (i) => i === 0))).toBe('1100')
    expect(str(wantedPieces(t, (i) => i === 1))).toBe('0110')
    expect(str(wantedPieces(t, (i) => i === 2))).toBe('0011')
    expect(str(wantedPieces(t, () => false))).toBe('0000')
    expect(str(wantedPieces(t, () => true))).toBe('1111')
  })

  it('file boundaries on piece boundaries do not spill over', () => {
    const t = layout(10, [10, 20, 5])
    expect(str(wantedPieces(t, (i) => i === 0))).toBe('1000')
    expect(str(wantedPieces(t, (i) => i === 1))).toBe('0110')
    expect(str(wantedPieces(t, (i) => i === 2))).toBe('0001')
  })

  it('padding files and empty files are never wanted for themselves', () => {
    // BEP 47: file 0 is padded to the piece boundary; a selected padding file adds nothing.
    const t = layout(10, [7, '3p', 0, 10, '10p', 4])
    expect(str(wantedPieces(t, (i) => i === 1))).toBe('0000')
    expect(str(wantedPieces(t, (i) => i === 2))).toBe('0000')
    expect(str(wantedPieces(t, (i) => i === 4))).toBe('0000')
    expect(str(wantedPieces(t, (i) => i === 0 || i === 1))).toBe('1000')
    expect(str(wantedPieces(t, (i) => i === 3))).toBe('0100')
    expect(str(wantedPieces(t, (i) => i === 5))).toBe('0001')
  })

  it('a single file over many pieces, the short last piece included', () => {
    const t = layout(4, [3, 14])
    expect(str(wantedPieces(t, (i) => i === 1))).toBe('11111')
    expect(str(wantedPieces(t, (i) => i === 0))).toBe('10000')
  })
})

describe('globMatch', () => {
  const vectors: Array<[string, string, boolean]> = [
    ['*.mkv', 'a.mkv', true],
    ['*.mkv', '.mkv', true],
    ['*.mkv', 'a.mkv.part', false],
    ['*.mkv', 'sub/a.mkv', false], // `*` stays within one component
    ['sub/*', 'sub/a', true],
    ['sub/*', 'sub/x/a', false],
    ['sub/**', 'sub/a', true],
    ['sub/**', 'sub/x/y/a', true],
    ['sub/**', 'sub', true], // `**` may match no component
    ['sub/**', 'subtitles/a', false],
    ['**/*.srt', 'a.srt', true],
    ['**/*.srt', 'x/y/a.srt', true],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/x/y/c', false],
    ['ep??.mkv', 'ep01.mkv', true],
    ['ep??.mkv', 'ep1.mkv', false],
    ['?', '/', false],
    ['*a*b*', 'xxaybzz', true],
    ['*a*b*', 'xxbyazz', false],
    ['a*', 'a', true],
    ['*', '', true],
    ['literal', 'literal', true],
    ['literal', 'Literal', false],
    ['**', 'any/thing/at/all', true],
    ['***', 'abc', true] // not `**` as a whole component: plain stars
  ]
  for (const [pattern, path, expected] of vectors) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${path}`, () => {
      expect(globMatch(pattern, path)).toBe(expected)
    })
  }

  it('is fast on pathological patterns', () => {
    expect(globMatch(`${'*a'.repeat(40)}b`, 'a'.repeat(200))).toBe(false)
    expect(globMatch(`${'**/'.repeat(40)}z`, `${'a/'.repeat(200)}z`)).toBe(true)
  })
})

describe('selectFiles', () => {
  const files = [
    { path: ['movie.mkv'] },
    { path: ['pad'], padding: true },
    { path: ['sub', 'en.srt'] },
    { path: ['sub', 'fr.srt'] },
    { path: ['sub', 'deep', 'extra.mkv'] },
    { path: ['readme.txt'] }
  ]
  const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b)

  it('indices, ranges and comma lists', () => {
    expect(sorted(selectFiles(files, ['0']))).toEqual([0])
    expect(sorted(selectFiles(files, ['2-4']))).toEqual([2, 3, 4])
    expect(sorted(selectFiles(files, ['5', '0-0']))).toEqual([0, 5])
    expect(sorted(selectFiles(files, ['0,3-4']))).toEqual([0, 3, 4])
  })

  it('globs: basename without a slash, whole path with one; never padding', () => {
    expect(sorted(selectFiles(files, ['*.mkv']))).toEqual([0, 4])
    expect(sorted(selectFiles(files, ['sub/**']))).toEqual([2, 3, 4])
    expect(sorted(selectFiles(files, ['sub/*.srt']))).toEqual([2, 3])
    expect(sorted(selectFiles(files, ['*', 'readme.txt']))).toEqual([0, 2, 3, 4, 5])
  })

  it('a part matching nothing, out of range or reversed is UsageError bad-only', () => {
    for (const spec of [['*.iso'], ['6'], ['3-1'], ['2-9'], [''], ['0,'], ['pad']]) {
      let err: unknown
      try { selectFiles(files, spec) } catch (e) { err = e }
      expect(err, JSON.stringify(spec)).toBeInstanceOf(UsageError)
      expect((err as UsageError).code).toBe('bad-only')
    }
  })
})
