/**
 * What reading a torrent as libtorrent does changes is listed in
 * `tolerated`: every file path that sanitising changes, the torrent name
 * when it changes, and integers and string lengths with leading zeros.
 */
import { describe, expect, it } from 'vitest'
import { BencodeError } from '../../../lib/errors.js'
import { MAX_RENAME_LINES } from '../../../lib/metainfo/read-files.js'
import { parseInfoDict } from '../../../lib/metainfo/parse-info-dict.js'
import { parseTorrent } from '../../../lib/metainfo/parse-torrent.js'
import { hashes, multiInfo, parse, sha1, singleInfo, throwsCode } from './helpers.js'

const te = new TextEncoder()

describe('tolerated: file paths changed by sanitising', () => {
  it('lists one line per changed path, as it was and as it is', () => {
    const t = parse(multiInfo({
      name: 'top',
      files: [
        { length: 10000, path: ['..', 'evil'] },
        { length: 10000, path: ['a/b'] },
        { length: 10000, path: ['a\u0001b'] },
        { length: 10000, path: ['fine', 'file.txt'] }
      ],
      pieces: hashes(3)
    }))
    expect(t.files.map((f) => f.path.join('/'))).toEqual(['evil', 'ab', 'a_b', 'fine/file.txt'])
    expect(t.tolerated).toEqual([
      'file renamed: ../evil -> evil',
      'file renamed: a/b -> ab',
      'file renamed: a\u0001b -> a_b'
    ])
  })

  it('a sanitised path that then collides gets both lines, in order', () => {
    const t = parse(multiInfo({ files: [{ length: 20000, path: ['a', 'b.txt'] }, { length: 20000, path: ['a', '.', 'b.txt'] }] }))
    expect(t.tolerated).toEqual(['file renamed: a/./b.txt -> a/b.txt', 'file renamed: a/b.txt -> a/b.1.txt'])
  })

  it('lists a changed torrent name', () => {
    expect(parse(singleInfo({ name: 'a/b.bin' })).tolerated).toEqual(['name renamed: a/b.bin -> ab.bin'])
    expect(parse(multiInfo({ name: 'x\u0001y' })).tolerated).toEqual(['name renamed: x\u0001y -> x_y'])
    expect(parse(singleInfo()).tolerated).toBeUndefined()
    expect(parse(multiInfo()).tolerated).toBeUndefined()
  })

  it('padding files are not listed (they are never written)', () => {
    const t = parse(multiInfo({ files: [{ length: 16384, path: ['a'] }, { length: 100, attr: 'p', path: ['.pad', 'x/y'] }, { length: 100, path: ['b'] }], pieces: hashes(2) }))
    expect(t.tolerated).toBeUndefined()
  })

  it(`keeps at most ${MAX_RENAME_LINES} lines and counts the rest`, () => {
    const n = MAX_RENAME_LINES + 8
    const files = Array.from({ length: n }, (_, i) => ({ length: 1000, path: [`f\u0001${i}`] }))
    const t = parse(multiInfo({ files, pieces: hashes(Math.ceil(n * 1000 / 16384)) }))
    expect(t.tolerated).toHaveLength(MAX_RENAME_LINES + 1)
    expect(t.tolerated?.[0]).toBe('file renamed: f\u00010 -> f_0')
    expect(t.tolerated?.at(-1)).toBe('and 8 more files renamed')
  })

  it('BEP 9 metadata gets the same lines', () => {
    const info = te.encode('d5:filesld6:lengthi100e4:pathl2:..4:evileee4:name3:top12:piece lengthi16384e6:pieces20:' + 'a'.repeat(20) + 'e')
    expect(parseInfoDict(info, sha1).tolerated).toEqual(['file renamed: ../evil -> evil'])
  })
})

describe('tolerated: leading zeros and negative zero, as libtorrent 2.0.8', () => {
  const info = 'd6:lengthi100e4:name5:a.txt12:piece lengthi16384e6:pieces20:' + 'a'.repeat(20) + 'e'
  const torrent = (i: string, outer = ''): Uint8Array => te.encode(`d${outer}4:info${i}e`)
  const read = (bytes: Uint8Array, options: { strict?: boolean } = {}): ReturnType<typeof parseTorrent> => parseTorrent(bytes, { sha1, ...options })

  it('accepts them inside and outside info, keeps the info-hash of the bytes as received', () => {
    const lz = info.replace('i100e', 'i0100e').replace('4:name5:', '4:name05:')
    const t = read(torrent(lz, '1:ai-0e1:bi00e'))
    expect(t.length).toBe(100)
    expect(t.name).toBe('a.txt')
    expect(t.infoHash).toEqual(sha1(te.encode(lz)))
    expect(t.tolerated).toEqual([
      'negative zero in the torrent',
      'integers with leading zeros in the torrent',
      'integers with leading zeros in info',
      'string lengths with leading zeros in info'
    ])
    expect(read(torrent(info.replace('i100e', 'i0100e').replace('i16384e', 'i016384e'))).tolerated).toEqual(['integers with leading zeros in info'])
    expect(parseInfoDict(te.encode(lz), sha1).tolerated).toEqual(['integers with leading zeros in info', 'string lengths with leading zeros in info'])
  })

  it('strict refuses them; the limits stay', () => {
    throwsCode(() => read(torrent(info.replace('i100e', 'i0100e')), { strict: true }), BencodeError, 'int-leading-zero')
    throwsCode(() => read(torrent(info, '1:ai-0e'), { strict: true }), BencodeError, 'int-negative-zero')
    throwsCode(() => read(torrent(info.replace('4:name5:', '4:name05:')), { strict: true }), BencodeError, 'string-leading-zero')
    throwsCode(() => read(torrent(info.replace('4:name5:', `4:name${'0'.repeat(16)}5:`))), BencodeError, 'bad-string-length')
    throwsCode(() => read(torrent(info.replace('i100e', `i${'0'.repeat(18)}100e`))), BencodeError, 'int-too-long')
  })
})
