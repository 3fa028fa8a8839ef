/**
 * `odd-lt.torrent` holds most of what libtorrent tolerates at once; what
 * libtorrent 2.0.8's `torrent_info` reported for it is recorded below, so
 * this check runs without libtorrent (the interop differential test keeps
 * comparing live).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BencodeError } from '../../../lib/errors.js'
import { parseTorrent } from '../../../lib/metainfo/parse-torrent.js'
import { filePath } from '../../../lib/storage/file-layout.js'
import { sha1, throwsCode } from './helpers.js'

const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, '../../fixtures/metainfo/odd-lt.torrent')))
const HASH = '23e3da09ce6ede854a515c7aa67bd8da945ee41f'

/** libtorrent's answer: file_path, file_size, pad (flag 1) or symlink (flag 8, a real target). */
const LIBTORRENT: Array<[string, number, 'pad' | 'link' | '']> = [
  [`${HASH}/dir/bar.txt`, 1000, ''],
  [`${HASH}/Dir/BAR.1.txt`, 1000, ''],
  [`${HASH}/ab/trail  `, 1000, ''],
  [`${HASH}/${'x'.repeat(240)}.mkv`, 1000, ''],
  [`${HASH}/c_d/e__/evil.exe`, 1000, ''],
  ['.pad/11384', 11384, 'pad'],
  [`${HASH}/link`, 0, 'link'],
  [`${HASH}/dangling`, 0, ''], // libtorrent: a symlink to itself
  [`${HASH}/empty`, 0, ''],
  [`${HASH}/_____padding_file_1_`, 100, 'pad'],
  [`${HASH}/_/sub/f`, 2000, '']
]

describe('odd-lt.torrent, read as libtorrent reads it', () => {
  it('gives libtorrent\'s info-hash, name, files and piece count', () => {
    const t = parseTorrent(bytes, { sha1 })
    expect(t.infoHashHex).toBe(HASH)
    expect(t.name).toBe(HASH)
    expect(t.pieceCount).toBe(2)
    expect(t.files.map((f) => [
      f.padding && f.originalPath[0] === '.pad' ? f.path.join('/') : filePath(t, f).join('/'),
      f.length,
      f.padding ? 'pad' : f.symlinkPath !== undefined ? 'link' : ''
    ])).toEqual(LIBTORRENT)
    expect(t.files[6]?.symlinkPath).toEqual(['dir', 'bar.txt'])
  })

  it('lists what it tolerated', () => {
    expect(parseTorrent(bytes, { sha1 }).tolerated).toEqual([
      'keys out of order in info',
      'duplicate keys in info (the first is used)',
      'trailing bytes after the torrent (ignored)',
      'the name ".." is not a usable folder name; the folder is named after the info-hash',
      'file renamed: a/b/trail   -> ab/trail  ',
      `file renamed: ${'x'.repeat(300)}.mkv -> ${'x'.repeat(240)}.mkv`,
      'file renamed: c\u0001\u0000d/e\ufffd\ufffda/\u202eevil.exe -> c_d/e__/evil.exe',
      'padding file #5 has no path',
      'symlink #7 states a length of 7; it takes no room',
      'file renamed: /./../sub/f -> _/sub/f',
      'symlink dangling points outside the torrent (nowhere); it is an empty file',
      'file renamed: Dir/BAR.txt -> Dir/BAR.1.txt'
    ])
  })

  it('strict mode refuses it', () => {
    throwsCode(() => parseTorrent(bytes, { sha1, strict: true }), BencodeError, 'unsorted-keys')
  })
})
