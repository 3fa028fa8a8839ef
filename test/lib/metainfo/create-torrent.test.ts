import { describe, expect, it } from 'vitest'
import { decode } from '../../../lib/bencode/decode.js'
import type { BDict } from '../../../lib/bencode/types.js'
import { UsageError } from '../../../lib/errors.js'
import { compareFilePaths, createInfoDict, createTorrent, CREATED_BY } from '../../../lib/metainfo/create-torrent.js'
import { formatInfoHash, parseInfoHashHex } from '../../../lib/metainfo/info-hash.js'
import { parseTorrent } from '../../../lib/metainfo/parse-torrent.js'
import { defaultPieceLength } from '../../../lib/metainfo/piece-length.js'
import { MetainfoError } from '../../../lib/errors.js'
import { hashes, sha1, throwsCode } from './helpers.js'

const td = new TextDecoder()
const base = { name: 'folder', multiFile: true, pieceLength: 16384, pieceHashes: hashes(2), files: [{ path: ['a'], length: 10000 }, { path: ['b', 'c'], length: 10000 }] }

describe('createTorrent', () => {
  it('writes a single-file info dict exactly as mktorrent would', () => {
    const info = createInfoDict({ name: 'f.bin', multiFile: false, pieceLength: 16384, pieceHashes: hashes(1), files: [{ path: ['ignored'], length: 5 }] })
    expect(td.decode(info)).toBe(`d6:lengthi5e4:name5:f.bin12:piece lengthi16384e6:pieces20:${td.decode(hashes(1))}e`)
  })

  it('round-trips through parseTorrent with trackers, web seeds, private, comment and date', () => {
    const bytes = createTorrent({ ...base, private: true, announce: ['http://a/', 'udp://b:1/', 'http://a/'], webSeeds: ['http://s/'], comment: 'c', creationDate: 1700000000 })
    const t = parseTorrent(bytes, { sha1 })
    expect(t.announce).toEqual([['http://a/'], ['udp://b:1/']])
    expect(t.urlList).toEqual(['http://s/'])
    expect(t.private).toBe(true)
    expect(t.comment).toBe('c')
    expect(t.createdBy).toBe(CREATED_BY)
    expect(t.creationDate).toBe(1700000000)
    expect(t.files.map((f) => f.path)).toEqual([['a'], ['b', 'c']])
    expect(t.infoBytes).toEqual(createInfoDict({ ...base, private: true }))
  })

  it('one tracker writes announce only; none writes neither; no date means no creation date', () => {
    const one = decode(createTorrent({ ...base, announce: ['http://a/'] })) as BDict
    expect(Object.keys(one)).toEqual(['announce', 'created by', 'info'])
    const none = decode(createTorrent(base)) as BDict
    expect(Object.keys(none)).toEqual(['created by', 'info'])
  })

  it('is deterministic', () => {
    expect(createTorrent(base)).toEqual(createTorrent(base))
  })

  it('rejects inconsistent input', () => {
    throwsCode(() => createTorrent({ ...base, pieceHashes: hashes(3) }), UsageError, 'bad-hashes')
    throwsCode(() => createTorrent({ ...base, files: [...base.files].reverse() }), UsageError, 'unsorted-files')
    throwsCode(() => createTorrent({ ...base, files: [base.files[0]!, base.files[0]!] }), UsageError, 'unsorted-files')
    throwsCode(() => createTorrent({ ...base, files: [{ path: ['..'], length: 20000 }] }), UsageError, 'bad-path')
    throwsCode(() => createTorrent({ ...base, files: [{ path: [], length: 20000 }] }), UsageError, 'bad-path')
    throwsCode(() => createTorrent({ ...base, name: 'a/b' }), UsageError, 'bad-name')
    throwsCode(() => createTorrent({ ...base, files: [] }), UsageError, 'no-files')
    throwsCode(() => createTorrent({ ...base, multiFile: false }), UsageError, 'no-files')
    throwsCode(() => createTorrent({ ...base, files: [{ path: ['a'], length: 0 }], pieceHashes: hashes(0) }), UsageError, 'bad-length')
    throwsCode(() => createTorrent({ ...base, pieceLength: 0 }), UsageError, 'bad-piece-length')
    throwsCode(() => createTorrent({ ...base, announce: [''] }), UsageError, 'bad-url')
    throwsCode(() => createTorrent({ ...base, creationDate: 1.5 }), UsageError, 'bad-date')
  })
})

describe('compareFilePaths', () => {
  it('orders by the joined path bytes, as mktorrent does', () => {
    const paths = [['a', 'x'], ['a.txt'], ['a-b', 'x'], ['B'], ['é'], ['z']]
    expect([...paths].sort(compareFilePaths)).toEqual([['B'], ['a-b', 'x'], ['a.txt'], ['a', 'x'], ['z'], ['é']])
  })
})

describe('defaultPieceLength', () => {
  it('is a power of two in 16 KiB..4 MiB aiming at 1000–2000 pieces', () => {
    expect(defaultPieceLength(1)).toBe(16384)
    expect(defaultPieceLength(2000 * 16384)).toBe(16384)
    expect(defaultPieceLength(2000 * 16384 + 1)).toBe(32768)
    expect(defaultPieceLength(700 * 1024 * 1024)).toBe(512 * 1024)
    expect(defaultPieceLength(2 ** 45)).toBe(4 * 1024 * 1024)
    for (const size of [5e7, 3e8, 4e9]) {
      const n = size / defaultPieceLength(size)
      expect(n).toBeGreaterThan(1000)
      expect(n).toBeLessThanOrEqual(2000)
    }
  })
})

describe('info-hash hex', () => {
  it('formats and parses', () => {
    const h = sha1(new Uint8Array([1]))
    expect(parseInfoHashHex(formatInfoHash(h).toUpperCase())).toEqual(h)
    throwsCode(() => parseInfoHashHex('abc'), MetainfoError, 'bad-info-hash')
    throwsCode(() => parseInfoHashHex('g'.repeat(40)), MetainfoError, 'bad-info-hash')
  })
})
