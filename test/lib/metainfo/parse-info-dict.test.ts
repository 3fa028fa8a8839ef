import { describe, expect, it } from 'vitest'
import { encode } from '../../../lib/bencode/encode.js'
import { BencodeError, MetainfoError, PathError } from '../../../lib/errors.js'
import { parseInfoDict } from '../../../lib/metainfo/parse-info-dict.js'
import { parseTorrent } from '../../../lib/metainfo/parse-torrent.js'
import { multiInfo, sha1, singleInfo, throwsCode, torrentBytes } from './helpers.js'

describe('parseInfoDict (BEP 9 metadata)', () => {
  it('gives the same torrent fields and info-hash as the .torrent', () => {
    const info = multiInfo({ private: 1 })
    const fromMeta = parseInfoDict(encode(info), sha1)
    const fromFile = parseTorrent(torrentBytes(info), { sha1 })
    expect(fromMeta.infoHashHex).toBe(fromFile.infoHashHex)
    expect(fromMeta.files).toEqual(fromFile.files)
    expect(fromMeta.private).toBe(true)
    expect(fromMeta.announce).toEqual([])
    expect(fromMeta.urlList).toEqual([])
  })

  it('B27: traversal in metadata is sanitised exactly as in a .torrent', () => {
    const info = multiInfo({ name: '/abs', files: [{ length: 20000, path: ['..', 'x'] }, { length: 20000, path: ['a/../../b'] }] })
    const t = parseInfoDict(encode(info), sha1)
    expect(t.name).toBe('abs')
    expect(t.files.map((f) => f.path)).toEqual([['x'], ['a....b']])
    expect(t.files).toEqual(parseTorrent(torrentBytes(info), { sha1 }).files)
    throwsCode(() => parseInfoDict(encode(multiInfo({ files: [{ length: 40000, path: Array(1000).fill('d') as string[] }] })), sha1), PathError, 'path-too-deep')
  })

  it('A46: hostile metadata meets the same limits', () => {
    throwsCode(() => parseInfoDict(encode('x'), sha1), MetainfoError, 'bad-info')
    throwsCode(() => parseInfoDict(new Uint8Array(11 * 1024 * 1024), sha1), MetainfoError, 'too-large')
    throwsCode(() => parseInfoDict(encode(singleInfo()), sha1, { maxBencodeTokens: 4 }), BencodeError, 'token-limit')
    throwsCode(() => parseInfoDict(encode(singleInfo({ 'piece length': 1, length: 2 ** 40 })), sha1), MetainfoError, 'too-many-pieces')
  })

  it('reads metadata with the same tolerance as a .torrent, hashing the bytes given', () => {
    const te = new TextEncoder()
    const unsorted = te.encode('d4:name1:x6:lengthi5e12:piece lengthi16384e6:pieces20:' + 'p'.repeat(20) + 'e')
    const t = parseInfoDict(unsorted, sha1)
    expect(t.infoHash).toEqual(sha1(unsorted))
    expect(t.tolerated).toEqual(['keys out of order in info'])
    throwsCode(() => parseInfoDict(unsorted, sha1, { strict: true }), BencodeError, 'unsorted-keys')
    // the metadata is the info dictionary exactly: nothing may follow it
    throwsCode(() => parseInfoDict(new Uint8Array([...unsorted, 0x0a]), sha1), BencodeError, 'trailing-data')
  })
})
