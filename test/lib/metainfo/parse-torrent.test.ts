import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BencodeError, MetainfoError, PathError } from '../../../lib/errors.js'
import { formatInfoHash } from '../../../lib/metainfo/info-hash.js'
import { parseTorrent } from '../../../lib/metainfo/parse-torrent.js'
import { pieceHash, pieceSize } from '../../../lib/metainfo/types.js'
import { FIXTURE_HASHES } from './fixture-content.js'
import { hashes, multiInfo, parse, sha1, singleInfo, throwsCode, torrentBytes } from './helpers.js'

const te = new TextEncoder()
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(import.meta.dirname, '../../fixtures/metainfo', name)))
const metaFails = (fn: () => unknown, code: string): MetainfoError => throwsCode(fn, MetainfoError, code)

describe('parseTorrent: valid torrents', () => {
  it('parses a single-file torrent', () => {
    const t = parse(singleInfo(), { comment: 'hi', 'created by': 'me', 'creation date': 1700000000 })
    expect(t.name).toBe('file.bin')
    expect(t.multiFile).toBe(false)
    expect(t.pieceLength).toBe(16384)
    expect(t.pieceCount).toBe(3)
    expect(t.length).toBe(40000)
    expect(t.files).toEqual([{ path: ['file.bin'], originalPath: ['file.bin'], length: 40000, offset: 0, attr: '', padding: false }])
    expect(t.announce).toEqual([['http://t.example/a']])
    expect(t.private).toBe(false)
    expect(t.comment).toBe('hi')
    expect(t.createdBy).toBe('me')
    expect(t.creationDate).toBe(1700000000)
    expect(pieceSize(t, 2)).toBe(40000 - 2 * 16384)
    expect(pieceHash(t, 1)).toEqual(hashes(1))
  })

  it('parses a multi-file torrent with offsets', () => {
    const t = parse(multiInfo({ private: 1 }))
    expect(t.multiFile).toBe(true)
    expect(t.private).toBe(true)
    expect(t.files.map((f) => [f.path, f.offset, f.length])).toEqual([[['a', 'one.txt'], 0, 10000], [['two.txt'], 10000, 30000]])
  })

  it('a files list of one file is still multi-file', () => {
    expect(parse(multiInfo({ files: [{ length: 5, path: ['x'] }], pieces: hashes(1) })).multiFile).toBe(true)
  })

  it('hashes the info bytes as they appear and owns a copy of them', () => {
    const bytes = torrentBytes(singleInfo())
    const t = parseTorrent(bytes, { sha1 })
    const text = new TextDecoder('latin1').decode(bytes)
    const start = text.indexOf('4:info') + 6
    expect(t.infoBytes).toEqual(bytes.subarray(start, bytes.length - 1))
    expect(t.infoHash).toEqual(sha1(bytes.subarray(start, bytes.length - 1)))
    expect(t.infoHashHex).toBe(formatInfoHash(t.infoHash))
    bytes.fill(0)
    expect(t.pieceHashes).toEqual(hashes(3))
    expect(t.pieceHashes.buffer).toBe(t.infoBytes.buffer)
  })

  it('A5: non-canonical info (unsorted keys) is rejected by default; lenient mode hashes the original bytes', () => {
    const info = 'd6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces20:' + 'p'.repeat(20) + 'e'
    const unsorted = 'd4:name1:x6:lengthi5e12:piece lengthi16384e6:pieces20:' + 'p'.repeat(20) + 'e'
    expect(parseTorrent(te.encode(`d4:info${info}e`), { sha1 }).length).toBe(5)
    throwsCode(() => parseTorrent(te.encode(`d4:info${unsorted}e`), { sha1 }), BencodeError, 'unsorted-keys')
    const t = parseTorrent(te.encode(`d4:info${unsorted}e`), { sha1, strict: false })
    expect(t.infoHash).toEqual(sha1(te.encode(unsorted)))
    expect(t.infoHash).not.toEqual(sha1(te.encode(info)))
    throwsCode(() => parseTorrent(te.encode(`d4:info${info.slice(0, -1)}4:namei1eee`), { sha1 }), BencodeError, 'unsorted-keys')
  })

  it('prefers name.utf-8 and path.utf-8 when valid', () => {
    const t = parse(multiInfo({
      name: new Uint8Array([0xff]),
      'name.utf-8': 'Ünïcode',
      files: [{ length: 40000, path: [new Uint8Array([0xfe])], 'path.utf-8': ['ok.txt'] }]
    }))
    expect(t.name).toBe('Ünïcode')
    expect(t.files[0]?.path).toEqual(['ok.txt'])
    const bad = parse(multiInfo({ 'name.utf-8': new Uint8Array([0xff]), files: [{ length: 40000, path: ['p'], 'path.utf-8': [new Uint8Array([0xc3])] }] }))
    expect(bad.name).toBe('folder')
    expect(bad.files[0]?.path).toEqual(['p'])
  })

  it('BEP 47: padding files are flagged and may repeat; symlinks inside the root are kept', () => {
    const t = parse(multiInfo({
      files: [
        { length: 1000, path: ['a'] },
        { length: 15384, path: ['.pad', '15384'], attr: 'p' },
        { length: 0, path: ['link'], attr: 'l', 'symlink path': ['a'] },
        { length: 0, path: ['bad-link'], attr: 'lx', 'symlink path': ['..', '..', 'etc', 'passwd'] },
        { length: 15384, path: ['.pad', '15384'], attr: 'p' },
        { length: 8232, path: ['b'], attr: 'x' }
      ]
    }))
    expect(t.files.map((f) => f.padding)).toEqual([false, true, false, false, true, false])
    expect(t.files[2]?.symlinkPath).toEqual(['a'])
    expect(t.files[2]?.attr).toBe('l')
    expect(t.files[3]?.symlinkPath).toBeUndefined()
    expect(t.files[3]?.attr).toBe('x')
    expect(t.files[5]?.attr).toBe('x')
    expect(t.length).toBe(40000)
  })

  it('B14/B17: hostile paths are sanitised in files and name', () => {
    const t = parse(multiInfo({
      name: '../../etc',
      files: [{ length: 20000, path: ['..', '..', '.ssh', 'authorized_keys'] }, { length: 20000, path: ['/etc/passwd'] }]
    }))
    expect(t.name).toBe('.._.._etc')
    expect(t.files.map((f) => f.path)).toEqual([['.ssh', 'authorized_keys'], ['_etc_passwd']])
    expect(t.files[0]?.originalPath).toEqual(['..', '..', '.ssh', 'authorized_keys'])
    expect(parse(singleInfo({ name: '..' })).name).toBe('_')
    expect(parse(singleInfo({ name: '/etc/passwd' })).files[0]?.path).toEqual(['_etc_passwd'])
  })

  it('B24: a path 1000 directories deep is rejected', () => {
    throwsCode(() => parse(multiInfo({ files: [{ length: 40000, path: Array(1000).fill('d') as string[] }] })), PathError, 'path-too-deep')
  })

  it('two files that sanitise to one path, or a file that is also a directory, are rejected', () => {
    metaFails(() => parse(multiInfo({ files: [{ length: 20000, path: ['a', 'b'] }, { length: 20000, path: ['a', '.', 'b'] }] })), 'duplicate-path')
    metaFails(() => parse(multiInfo({ files: [{ length: 20000, path: ['x:y'] }, { length: 20000, path: ['x_y'] }] })), 'duplicate-path')
    metaFails(() => parse(multiInfo({ files: [{ length: 20000, path: ['a'] }, { length: 20000, path: ['a', 'b'] }] })), 'path-conflict')
  })
})

describe('parseTorrent: rejections', () => {
  it('A7: the shape is checked', () => {
    metaFails(() => parseTorrent(te.encode('li1ee'), { sha1 }), 'not-a-dict')
    metaFails(() => parseTorrent(te.encode('d8:announce1:xe'), { sha1 }), 'no-info')
    metaFails(() => parseTorrent(te.encode('d4:infoi1ee'), { sha1 }), 'bad-info')
    throwsCode(() => parseTorrent(te.encode('d4:info'), { sha1 }), BencodeError, 'truncated')
  })

  it('A8: pieces not a multiple of 20, or not 20 × piece count', () => {
    metaFails(() => parse(singleInfo({ pieces: new Uint8Array(59) })), 'invalid-hashes')
    metaFails(() => parse(singleInfo({ pieces: hashes(2) })), 'invalid-hashes')
    metaFails(() => parse(singleInfo({ pieces: hashes(4) })), 'invalid-hashes')
    metaFails(() => parse(singleInfo({ pieces: 5 })), 'invalid-hashes')
    metaFails(() => parse(singleInfo({ pieces: undefined })), 'invalid-hashes')
  })

  it('A9: piece length of 0, negative, above 512 MiB, or not a safe integer', () => {
    for (const pl of [0, -16384, 512 * 1024 * 1024 + 1, 2n ** 60n]) {
      metaFails(() => parse(singleInfo({ 'piece length': pl })), 'bad-piece-length')
    }
    metaFails(() => parse(singleInfo({ 'piece length': 'x' })), 'bad-piece-length')
    metaFails(() => parse(singleInfo({ 'piece length': undefined })), 'bad-piece-length')
    // v1 allows any positive piece length, not only powers of two
    expect(parse(singleInfo({ 'piece length': 20000, pieces: hashes(2) })).pieceCount).toBe(2)
    expect(parse(singleInfo({ 'piece length': 512 * 1024 * 1024, pieces: hashes(1) })).pieceCount).toBe(1)
  })

  it('A10: negative, oversize or overflowing file lengths, and a total of 0', () => {
    metaFails(() => parse(singleInfo({ length: -1 })), 'bad-file-length')
    metaFails(() => parse(singleInfo({ length: 2 ** 48 + 1 })), 'bad-file-length')
    metaFails(() => parse(singleInfo({ length: 2n ** 62n })), 'bad-file-length')
    metaFails(() => parse(singleInfo({ length: 'x' })), 'bad-file-length')
    metaFails(() => parse(singleInfo({ length: 0, pieces: new Uint8Array(0) })), 'zero-length')
    metaFails(() => parse(multiInfo({ files: [{ length: 0, path: ['a'] }], pieces: new Uint8Array(0) })), 'zero-length')
    const big = Array.from({ length: 40 }, (_, i) => ({ length: 2 ** 48, path: [`f${i}`] }))
    metaFails(() => parse(multiInfo({ files: big, 'piece length': 512 * 1024 * 1024 })), 'total-too-large')
  })

  it('A11: too many pieces is rejected before the hashes are compared', () => {
    metaFails(() => parse(singleInfo({ 'piece length': 1, length: 2 ** 40, pieces: hashes(1) })), 'too-many-pieces')
    metaFails(() => parse(singleInfo({ pieces: hashes(3) }), {}, { maxPieces: 2 }), 'too-many-pieces')
    metaFails(() => parse(singleInfo({ length: 10, pieces: hashes(5) }), {}, { maxPieces: 4 }), 'too-many-pieces')
  })

  it('A12: a .torrent over 10 MB is rejected before parsing', () => {
    const huge = new Uint8Array(10 * 1024 * 1024 + 1)
    metaFails(() => parseTorrent(huge, { sha1 }), 'too-large')
    metaFails(() => parseTorrent(torrentBytes(singleInfo()), { sha1, maxSize: 50 }), 'too-large')
  })

  it('A13: no files, an empty path list, a missing path, or no name', () => {
    metaFails(() => parse(multiInfo({ files: [] })), 'no-files')
    metaFails(() => parse(singleInfo({ length: undefined })), 'no-files')
    metaFails(() => parse(multiInfo({ files: [{ length: 40000, path: [] }] })), 'empty-path')
    metaFails(() => parse(multiInfo({ files: [{ length: 40000 }] })), 'missing-path')
    metaFails(() => parse(multiInfo({ files: [{ length: 40000, path: 'a' }] })), 'bad-path')
    metaFails(() => parse(multiInfo({ files: [{ length: 40000, path: [1] }] })), 'bad-path')
    metaFails(() => parse(multiInfo({ files: ['x'] })), 'bad-file')
    metaFails(() => parse(multiInfo({ files: 'x' })), 'bad-layout')
    metaFails(() => parse(multiInfo({ length: 5 })), 'bad-layout')
    metaFails(() => parse(singleInfo({ name: undefined })), 'no-name')
    metaFails(() => parse(singleInfo({ name: 7 })), 'no-name')
  })

  it('A7: saved crasher inputs give a torrent or a typed error', () => {
    const h = 'h'.repeat(20)
    const corpus: Array<[string, string | null]> = [
      [`d4:infod6:lengthi1e4:name0:12:piece lengthi1e6:pieces20:${h}ee`, null],
      [`d4:infod5:filesld6:lengthi1e4:pathl0:eee4:name1:x12:piece lengthi1e6:pieces20:${h}ee`, null],
      [`d4:infod5:filesld6:lengthi1e4:pathl2:..eee4:name2:..12:piece lengthi1e6:pieces20:${h}ee`, null],
      [`d4:infod6:lengthi1e4:name1:\u000012:piece lengthi1e6:pieces20:${h}ee`, null],
      ['d4:infod6:lengthi1e4:name1:x12:piece lengthi1e6:pieces0:ee', 'invalid-hashes'],
      [`d4:infod6:lengthi9007199254740993e4:name1:x12:piece lengthi1e6:pieces20:${h}ee`, 'bad-file-length'],
      [`d4:infod6:lengthi1e4:name1:x12:piece lengthi9223372036854775807e6:pieces20:${h}ee`, 'bad-piece-length'],
      [`d4:infod5:filesle6:lengthi1e4:name1:x12:piece lengthi1e6:pieces20:${h}ee`, 'bad-layout'],
      [`d8:announcei1e13:announce-listli1eli2eee4:infod6:lengthi1e4:name1:x12:piece lengthi1e6:pieces20:${h}e8:url-listi3ee`, null]
    ]
    for (const [text, code] of corpus) {
      const bytes = te.encode(text)
      if (code === null) {
        const t = parseTorrent(bytes, { sha1 })
        expect(t.length).toBe(t.files.reduce((n, f) => n + f.length, 0))
      } else {
        metaFails(() => parseTorrent(bytes, { sha1 }), code)
      }
    }
  })

  it('A1/A2: bencode limits apply to torrents', () => {
    throwsCode(() => parseTorrent(te.encode('d4:info' + 'l'.repeat(200)), { sha1 }), BencodeError, 'depth-limit')
    throwsCode(() => parse(singleInfo(), {}, { maxBencodeTokens: 5 }), BencodeError, 'token-limit')
  })
})

describe('real torrents', () => {
  for (const [file, hex] of Object.entries(FIXTURE_HASHES)) {
    it(`${file} parses with the info-hash libtorrent reports`, () => {
      const t = parseTorrent(fixture(file), { sha1 })
      expect(t.infoHashHex).toBe(hex)
      expect(t.pieceHashes.length).toBe(t.pieceCount * 20)
      expect(t.files.reduce((n, f) => n + f.length, 0)).toBe(t.length)
    })
  }

  it('mktorrent folder: files in bytewise path order', () => {
    const t = parseTorrent(fixture('mk-folder.torrent'), { sha1 })
    expect(t.name).toBe('content')
    expect(t.multiFile).toBe(true)
    expect(t.files.map((f) => f.path.join('/'))).toEqual(['a-b/x', 'a.txt', 'a/x', 'sub/deeper/b.bin', 'sub/empty'])
    expect(t.announce).toEqual([])
    expect(t.createdBy).toBe('mktorrent 1.1')
  })

  it('mktorrent single file: trackers, web seed, private, comment', () => {
    const t = parseTorrent(fixture('mk-single.torrent'), { sha1 })
    expect(t.multiFile).toBe(false)
    expect(t.length).toBe(100000)
    expect(t.private).toBe(true)
    expect(t.comment).toBe('hello')
    expect(t.announce).toEqual([['http://tracker.example/announce'], ['udp://t2.example:6969/announce']])
    expect(t.urlList).toEqual(['http://seed.example/'])
  })

  it('libtorrent hybrid: padding files flagged, v2 fields ignored', () => {
    const t = parseTorrent(fixture('lt-hybrid-folder.torrent'), { sha1 })
    expect(t.files.filter((f) => f.padding).map((f) => f.path[0])).toEqual(['.pad', '.pad', '.pad', '.pad'])
    expect(t.files.filter((f) => !f.padding).map((f) => f.path.join('/')).sort()).toEqual(['a-b/x', 'a.txt', 'a/x', 'sub/deeper/b.bin', 'sub/empty'])
    for (const f of t.files.filter((x) => !x.padding && x.length > 0)) expect(f.offset % t.pieceLength).toBe(0)
  })

  it('libtorrent v1: tiers and comment', () => {
    const t = parseTorrent(fixture('lt-v1-folder.torrent'), { sha1 })
    expect(t.announce).toEqual([['http://tracker.example/announce'], ['http://backup.example/announce']])
    expect(t.comment).toBe('libtorrent v1 fixture')
  })
})
