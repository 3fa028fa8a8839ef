import { createHash } from 'node:crypto'
import { expect } from 'vitest'
import { encode } from '../../../lib/bencode/encode.js'
import type { BEncodable } from '../../../lib/bencode/types.js'
import { parseTorrent, type ParseTorrentOptions } from '../../../lib/metainfo/parse-torrent.js'
import type { Torrent } from '../../../lib/metainfo/types.js'

export const sha1 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(d).digest())

/** `n` piece hashes (content does not matter to the parser). */
export const hashes = (n: number): Uint8Array => new Uint8Array(20 * n).fill(0xab)

type Info = Record<string, BEncodable | undefined>

/** A valid single-file info dict, overridable. */
export function singleInfo (over: Info = {}): Info {
  return { name: 'file.bin', 'piece length': 16384, length: 40000, pieces: hashes(3), ...over }
}

/** A valid multi-file info dict, overridable. */
export function multiInfo (over: Info = {}): Info {
  return {
    name: 'folder',
    'piece length': 16384,
    files: [{ length: 10000, path: ['a', 'one.txt'] }, { length: 30000, path: ['two.txt'] }],
    pieces: hashes(3),
    ...over
  }
}

export function torrentBytes (info: BEncodable, outer: Info = {}): Uint8Array {
  return encode({ announce: 'http://t.example/a', ...outer, info })
}

export function parse (info: BEncodable, outer: Info = {}, options: Partial<ParseTorrentOptions> = {}): Torrent {
  return parseTorrent(torrentBytes(info, outer), { sha1, ...options })
}

/** Runs `fn`, expects it to throw an instance of `cls` with `code`; returns the error. */
export function throwsCode<E extends Error & { code: string }> (fn: () => unknown, cls: new (...args: never[]) => E, code: string): E {
  let caught: unknown
  try { fn() } catch (e) { caught = e }
  expect(caught).toBeInstanceOf(cls)
  expect((caught as E).code).toBe(code)
  return caught as E
}
