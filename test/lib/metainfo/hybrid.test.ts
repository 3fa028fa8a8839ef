/**
 * Hybrid (v1 + v2) torrents: the v2 half is checked as libtorrent 2.0.8
 * checks it (each case below was run through libtorrent's `torrent_info`,
 * and `test/interop/metainfo-differential.test.ts` keeps comparing).
 */
import { describe, expect, it } from 'vitest'
import type { BEncodable } from '../../../lib/bencode/types.js'
import { MetainfoError } from '../../../lib/errors.js'
import { hashes, parse, throwsCode } from './helpers.js'

const PL = 16384
const root = (c: string): string => c.repeat(32)
const leaf = (length: number, c: string): BEncodable => ({ '': length === 0 ? { length } : { length, 'pieces root': root(c) } })
const pad = (length: number): BEncodable => ({ length, attr: 'p', path: ['.pad', String(length)] })

/** a.bin (40 000 bytes), a padding entry, b.bin (100), empty: a valid hybrid. */
function hybrid (over: Record<string, BEncodable | undefined> = {}): Record<string, BEncodable | undefined> {
  return {
    name: 'h',
    'piece length': PL,
    'meta version': 2,
    files: [{ length: 40000, path: ['a.bin'] }, pad(3 * PL - 40000), { length: 100, path: ['b.bin'] }, { length: 0, path: ['empty'] }],
    'file tree': { 'a.bin': leaf(40000, 'A'), 'b.bin': leaf(100, 'B'), empty: leaf(0, '') },
    pieces: hashes(4),
    ...over
  }
}
const layers = (aLength = 32 * 3): BEncodable => ({ [root('A')]: new Uint8Array(aLength) })
const refused = (info: Record<string, BEncodable | undefined>, code: string, outer: Record<string, BEncodable | undefined> = {}): MetainfoError =>
  throwsCode(() => parse(info as BEncodable, outer), MetainfoError, code)

describe('hybrid torrents', () => {
  it('a consistent hybrid is read over its v1 half, with or without piece layers or a trailing padding entry', () => {
    const t = parse(hybrid() as BEncodable, { 'piece layers': layers() })
    expect(t.files.map((f) => [f.path.join('/'), f.offset, f.padding])).toEqual([['a.bin', 0, false], ['.pad/9152', 40000, true], ['b.bin', 49152, false], ['empty', 49252, false]])
    expect(parse(hybrid() as BEncodable).pieceCount).toBe(4)
    const files = [{ length: 40000, path: ['a.bin'] }, pad(3 * PL - 40000), { length: 100, path: ['b.bin'] }, pad(PL - 100)]
    expect(parse(hybrid({ files, 'file tree': { 'a.bin': leaf(40000, 'A'), 'b.bin': leaf(100, 'B') } }) as BEncodable).length).toBe(4 * PL)
  })

  it('empty files are matched by position only, not by name', () => {
    const files = [{ length: 0, path: ['zzz'] }, { length: 40000, path: ['a.bin'] }]
    expect(parse(hybrid({ files, 'file tree': { _empty: leaf(0, ''), 'a.bin': leaf(40000, 'A') }, pieces: hashes(3) }) as BEncodable).files).toHaveLength(2)
    // but an empty file where v2 has a non-empty one is a mismatch
    refused(hybrid({ files, 'file tree': { 'a.bin': leaf(40000, 'A'), empty: leaf(0, '') }, pieces: hashes(3) }), 'hybrid-mismatch')
  })

  it('A73: a v2 half that disagrees with the v1 half is refused', () => {
    refused(hybrid({ 'file tree': { 'a.bin': leaf(40001, 'A'), 'b.bin': leaf(100, 'B'), empty: leaf(0, '') } }), 'hybrid-mismatch')
    refused(hybrid({ 'file tree': { 'z.bin': leaf(40000, 'A'), 'b.bin': leaf(100, 'B'), empty: leaf(0, '') } }), 'hybrid-mismatch')
    refused(hybrid({ 'file tree': { 'a.bin': leaf(40000, 'A'), 'b.bin': leaf(100, 'B') } }), 'hybrid-mismatch')
    // b.bin not on a piece boundary: the padding entry is missing
    refused(hybrid({ files: [{ length: 40000, path: ['a.bin'] }, { length: 100, path: ['b.bin'] }, { length: 0, path: ['empty'] }], pieces: hashes(3) }), 'hybrid-mismatch')
    // a padding entry that does not end on a piece boundary
    refused(hybrid({ files: [{ length: 40000, path: ['a.bin'] }, pad(3 * PL - 40000), pad(0), { length: 100, path: ['b.bin'] }] }), 'hybrid-mismatch')
  })

  it('A70: a broken v2 half is refused', () => {
    refused(hybrid({ 'meta version': 3 }), 'bad-meta-version')
    refused(hybrid({ 'meta version': 1 }), 'bad-meta-version')
    refused(hybrid({ 'meta version': undefined }), 'bad-meta-version')
    refused(hybrid({ 'file tree': 'x' }), 'bad-file-tree')
    refused(hybrid({ 'file tree': { 'a.bin': { '': { length: 40000 } }, 'b.bin': leaf(100, 'B'), empty: leaf(0, '') } }), 'bad-file-tree')
    refused(hybrid({ 'file tree': { 'a.bin': { '': { length: 40000, 'pieces root': new Uint8Array(32) } }, 'b.bin': leaf(100, 'B'), empty: leaf(0, '') } }), 'bad-file-tree')
    refused(hybrid({ 'file tree': { 'a.bin': { ...(leaf(40000, 'A') as object), x: leaf(1, 'C') }, 'b.bin': leaf(100, 'B'), empty: leaf(0, '') } }), 'bad-file-tree')
    refused(hybrid({ 'file tree': { 'a.bin': { '': { length: 'x', 'pieces root': root('A') } }, 'b.bin': leaf(100, 'B'), empty: leaf(0, '') } }), 'bad-file-tree')
    refused(hybrid({ 'file tree': { 'a.bin': leaf(40000, 'A'), 'b.bin': leaf(100, 'B'), '..': leaf(0, '') } }), 'bad-file-tree')
  })

  it('A71: a v2 piece length must be a power of two of at least 16 KiB', () => {
    refused(hybrid({ 'piece length': 3 * PL, pieces: hashes(2) }), 'bad-piece-length')
  })

  it('A72: a piece layer of the wrong length is refused', () => {
    refused(hybrid(), 'bad-piece-layers', { 'piece layers': layers(32 * 3 - 1) })
    refused(hybrid(), 'bad-piece-layers', { 'piece layers': layers(32 * 2) })
    refused(hybrid(), 'bad-piece-layers', { 'piece layers': { [root('Z')]: new Uint8Array(63) } })
    // not a dictionary, or a layer for no file of the right size: ignored, as libtorrent does
    expect(parse(hybrid() as BEncodable, { 'piece layers': 'x' }).files).toHaveLength(4)
    expect(parse(hybrid() as BEncodable, { 'piece layers': { [root('Z')]: new Uint8Array(64) } }).files).toHaveLength(4)
  })

  it('a v1 torrent ignores piece layers', () => {
    const v1 = hybrid({ 'meta version': undefined, 'file tree': undefined })
    expect(parse(v1 as BEncodable, { 'piece layers': 'x' }).files).toHaveLength(4)
  })
})
