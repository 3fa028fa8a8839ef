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

  it('A5: non-canonical info (unsorted keys) is read as libtorrent reads it, hashing the original bytes; strict mode refuses it', () => {
    const info = 'd6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces20:' + 'p'.repeat(20) + 'e'
    const unsorted = 'd4:name1:x6:lengthi5e12:piece lengthi16384e6:pieces20:' + 'p'.repeat(20) + 'e'
    const canonical = parseTorrent(te.encode(`d4:info${info}e`), { sha1 })
    expect(canonical.length).toBe(5)
    expect(canonical.tolerated).toBeUndefined()
    const t = parseTorrent(te.encode(`d4:info${unsorted}e`), { sha1 })
    expect(t.infoHash).toEqual(sha1(te.encode(unsorted)))
    expect(t.infoHash).not.toEqual(sha1(te.encode(info)))
    expect(t.tolerated).toEqual(['keys out of order in info'])
    throwsCode(() => parseTorrent(te.encode(`d4:info${unsorted}e`), { sha1, strict: true }), BencodeError, 'unsorted-keys')
    // a duplicate key: the first is used, as libtorrent's lookups find it
    const dup = parseTorrent(te.encode(`d4:info${info.slice(0, -1)}4:namei1eee`), { sha1 })
    expect(dup.name).toBe('x')
    expect(dup.tolerated).toEqual(['keys out of order in info', 'duplicate keys in info (the first is used)'])
    throwsCode(() => parseTorrent(te.encode(`d4:info${info.slice(0, -1)}4:namei1eee`), { sha1, strict: true }), BencodeError, 'unsorted-keys')
  })

  it('prefers name.utf-8 and path.utf-8', () => {
    const t = parse(multiInfo({
      name: new Uint8Array([0xff]),
      'name.utf-8': 'Ünïcode',
      files: [{ length: 40000, path: [new Uint8Array([0xfe])], 'path.utf-8': ['ok.txt'] }]
    }))
    expect(t.name).toBe('Ünïcode')
    expect(t.files[0]?.path).toEqual(['ok.txt'])
    const bad = parse(multiInfo({ 'name.utf-8': new Uint8Array([0xff]), files: [{ length: 40000, path: ['p'], 'path.utf-8': [new Uint8Array([0xc3])] }] }))
    // libtorrent uses name.utf-8 and path.utf-8 whenever they are present, valid or not
    expect(bad.name).toBe('_')
    expect(bad.files[0]?.path).toEqual(['_'])
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
    expect(t.name).toBe('....etc')
    expect(t.files.map((f) => f.path)).toEqual([['.ssh', 'authorized_keys'], ['etcpasswd']])
    expect(t.files[0]?.originalPath).toEqual(['..', '..', '.ssh', 'authorized_keys'])
    metaFails(() => parse(singleInfo({ name: '..' })), 'no-name')
    expect(parse(singleInfo({ name: '/etc/passwd' })).files[0]?.path).toEqual(['etcpasswd'])
    // a folder name that sanitises to nothing becomes the info-hash, as libtorrent names it
    for (const name of ['..', '.', '/', '\u202e']) {
      const m = parse(multiInfo({ name }))
      expect(m.name).toBe(m.infoHashHex)
      expect(m.tolerated?.[0]).toMatch(/named after the info-hash/)
    }
    expect(parse(multiInfo({ name: '' })).name).toBe('_')
  })

  it('B24: a path 1000 directories deep is rejected', () => {
    throwsCode(() => parse(multiInfo({ files: [{ length: 40000, path: Array(1000).fill('d') as string[] }] })), PathError, 'path-too-deep')
  })

  it('files that collide after sanitising, or with a directory, are renamed as libtorrent renames them', () => {
    const paths = (files: Array<{ length: number, path: string[] }>): string[] => parse(multiInfo({ files, pieces: hashes(Math.ceil(files.reduce((n, f) => n + f.length, 0) / 16384)) })).files.map((f) => f.path.join('/'))
    expect(paths([{ length: 20000, path: ['a', 'bar.txt'] }, { length: 20000, path: ['a', '.', 'bar.txt'] }, { length: 1, path: ['a/', 'bar.txt'] }])).toEqual(['a/bar.txt', 'a/bar.1.txt', 'a/bar.2.txt'])
    expect(paths([{ length: 20000, path: ['a'] }, { length: 20000, path: ['a', 'b'] }])).toEqual(['a.1', 'a/b'])
    expect(paths([{ length: 20000, path: ['x.tar.gz'] }, { length: 1, path: ['x.tar.gz'] }, { length: 1, path: ['.rc'] }, { length: 1, path: ['.rc'] }])).toEqual(['x.tar.gz', 'x.tar.1.gz', '.rc', '.1.rc'])
    expect(paths([{ length: 20000, path: ['Bar.txt'] }, { length: 1, path: ['bar.txt'] }, { length: 1, path: ['bar.1.txt'] }])).toEqual(['Bar.txt', 'bar.1.txt', 'bar.1.1.txt'])
    const t = parse(multiInfo({ files: [{ length: 20000, path: ['a', 'bar.txt'] }, { length: 20000, path: ['a', 'bar.txt'] }] }))
    expect(t.tolerated).toEqual(['file renamed: a/bar.txt -> a/bar.1.txt'])
  })

  it('BEP 47: a padding file may lack a path; a symlink takes no room whatever its length', () => {
    const t = parse(multiInfo({
      files: [
        { length: 1000, path: ['a'] },
        { length: 15384, attr: 'p' },
        { attr: 'l', path: ['link'], 'symlink path': ['a'] },
        { attr: 'l', length: 500, path: ['link2'], 'symlink path': ['a'] },
        { length: 23616, path: ['b'] }
      ]
    }))
    expect(t.files.map((f) => [f.path.join('/'), f.offset, f.length, f.padding])).toEqual([
      ['a', 0, 1000, false], ['.pad/15384', 1000, 15384, true], ['link', 16384, 0, false], ['link2', 16384, 0, false], ['b', 16384, 23616, false]
    ])
    expect(t.files[3]?.symlinkPath).toEqual(['a'])
    expect(t.length).toBe(40000)
    expect(t.tolerated).toEqual(['padding file #1 has no path', 'symlink #3 states a length of 500; it takes no room'])
    // a symlink without a target is a plain empty file; so is one to a path the torrent lacks
    const u = parse(multiInfo({ files: [{ length: 40000, path: ['a'] }, { attr: 'l', path: ['s'] }, { attr: 'l', path: ['t'], 'symlink path': ['nowhere'] }] }))
    expect(u.files.map((f) => [f.length, f.attr, f.symlinkPath])).toEqual([[40000, '', undefined], [0, '', undefined], [0, '', undefined]])
    // links are checked before renames: one to itself stays a plain file even once renamed away
    const self = parse(multiInfo({ files: [{ length: 40000, path: ['a'] }, { attr: 'l', path: ['a'], 'symlink path': ['a'] }] }))
    expect(self.files.map((f) => [f.path.join('/'), f.symlinkPath])).toEqual([['a', undefined], ['a.1', undefined]])
    // BitComet's padding files are recognised by name
    expect(parse(multiInfo({ files: [{ length: 100, path: ['a'] }, { length: 16284, path: ['_____padding_file_0_'] }, { length: 23616, path: ['b'] }] })).files[1]?.padding).toBe(true)
  })

  it('trailing bytes after the root dictionary are ignored and reported', () => {
    for (const tail of ['\n', '\r\n', 'garbage']) {
      const bytes = new Uint8Array([...torrentBytes(singleInfo()), ...te.encode(tail)])
      const t = parseTorrent(bytes, { sha1 })
      expect(t.infoHash).toEqual(parse(singleInfo()).infoHash)
      expect(t.tolerated).toEqual(['trailing bytes after the torrent (ignored)'])
      throwsCode(() => parseTorrent(bytes, { sha1, strict: true }), BencodeError, 'trailing-data')
    }
  })

  it('item 6: a field of the wrong type is a typed error naming the type, never a TypeError', () => {
    for (const pl of [[16384], { a: 1 }, 'x', new Uint8Array(1)]) {
      const e = metaFails(() => parse(singleInfo({ 'piece length': pl })), 'bad-piece-length')
      expect(e.message).toMatch(/got a (list|dictionary|byte string)/)
    }
    metaFails(() => parse(singleInfo({ length: { a: 1 } })), 'bad-file-length')
    metaFails(() => parse(multiInfo({ files: [{ length: [1], path: ['a'] }] })), 'bad-file-length')
    metaFails(() => parse(singleInfo({ pieces: { a: 1 } })), 'invalid-hashes')
    metaFails(() => parse(singleInfo({ name: { a: 1 } })), 'no-name')
    metaFails(() => parse(multiInfo({ files: [{ length: 1, path: [{ a: 1 }] }] })), 'bad-path')
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
    metaFails(() => parse(multiInfo({ files: [{ length: 40000, path: [] }] })), 'missing-path')
    metaFails(() => parse(multiInfo({ files: [{ length: 40000 }] })), 'missing-path')
    metaFails(() => parse(multiInfo({ files: [{ length: 40000, path: 'a' }] })), 'missing-path')
    metaFails(() => parse(multiInfo({ files: [{ length: 40000, path: [1] }] })), 'bad-path')
    metaFails(() => parse(multiInfo({ files: ['x'] })), 'bad-file')
    metaFails(() => parse(multiInfo({ files: 'x' })), 'no-files')
    // libtorrent reads `length` when `files` is not a list, and `files` when both are there
    expect(parse(multiInfo({ files: 'x', length: 40000 })).multiFile).toBe(false)
    expect(parse(multiInfo({ length: 5 })).tolerated).toEqual(['info has both length and files; the files are used'])
    metaFails(() => parse(singleInfo({ name: undefined })), 'no-name')
    metaFails(() => parse(singleInfo({ name: 7 })), 'no-name')
  })

  it('A7: saved crasher inputs give a torrent or a typed error', () => {
    const h = 'h'.repeat(20)
    const corpus: Array<[string, string | null]> = [
      [`d4:infod6:lengthi1e4:name0:12:piece lengthi1e6:pieces20:${h}ee`, 'no-name'],
      [`d4:infod5:filesld6:lengthi1e4:pathl0:eee4:name1:x12:piece lengthi1e6:pieces20:${h}ee`, null],
      [`d4:infod5:filesld6:lengthi1e4:pathl2:..eee4:name2:..12:piece lengthi1e6:pieces20:${h}ee`, null],
      [`d4:infod6:lengthi1e4:name1:\u000012:piece lengthi1e6:pieces20:${h}ee`, 'no-name'],
      ['d4:infod6:lengthi1e4:name1:x12:piece lengthi1e6:pieces0:ee', 'invalid-hashes'],
      [`d4:infod6:lengthi9007199254740993e4:name1:x12:piece lengthi1e6:pieces20:${h}ee`, 'bad-file-length'],
      [`d4:infod6:lengthi1e4:name1:x12:piece lengthi9223372036854775807e6:pieces20:${h}ee`, 'bad-piece-length'],
      [`d4:infod5:filesle6:lengthi1e4:name1:x12:piece lengthi1e6:pieces20:${h}ee`, 'no-files'],
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
