import { UsageError } from '../../lib/errors.js'
import { createTorrent } from '../../lib/metainfo/create-torrent.js'
import { parseTorrent } from '../../lib/metainfo/parse-torrent.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import type { Hasher } from '../../lib/storage/types.js'
import { sha1 } from '../node/hasher.js'
import type { SimTorrent } from './types.js'

const BLOCK = 16 * 1024

/** `length` bytes drawn from `seed` (xorshift32 words): the same seed gives the same data. */
export function simData (length: number, seed: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(length / 4))
  let x = (seed >>> 0) === 0 ? 0x9e3779b9 : seed >>> 0
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x >>> 0
  }
  return new Uint8Array(words.buffer, 0, length)
}

/**
 * The torrent and data of a simulation: as given, or a single-file torrent
 * of `length` bytes of data drawn from `seed`, hashed with `hasher` (real
 * SHA-1 piece hashes: the torrent opens in any client).
 * @throws UsageError `bad-sim-torrent` for a size that is not a positive integer, a piece length that is not a positive multiple of 16 KiB, or data whose length is not the torrent's
 */
export async function simTorrent (spec: SimTorrent, seed: number, hasher: Hasher): Promise<{ torrent: Torrent, data: Uint8Array }> {
  if ('torrent' in spec) {
    simTorrentGiven(spec)
    return { torrent: spec.torrent, data: spec.data }
  }
  const { length, pieceLength } = checkShape(spec)
  const data = simData(length, seed)
  const count = Math.ceil(length / pieceLength)
  const hashes = new Uint8Array(count * 20)
  for (let i = 0; i < count; i++) hashes.set(await hasher.sha1([data.subarray(i * pieceLength, (i + 1) * pieceLength)]), i * 20)
  return { torrent: torrentOf(spec, hashes), data }
}

/**
 * A simulation's torrent without its data (the engine model moves none):
 * as given, or a single-file torrent of `length` bytes whose piece hashes
 * are drawn from `seed` (the torrent is well formed, its data never made).
 * @throws UsageError `bad-sim-torrent` as {@link simTorrent}
 */
export function simTorrentShape (spec: SimTorrent, seed: number): Torrent {
  if ('torrent' in spec) {
    simTorrentGiven(spec)
    return spec.torrent
  }
  const { length, pieceLength } = checkShape(spec)
  const count = Math.ceil(length / pieceLength)
  const hashes = new Uint8Array(count * 20)
  const tag = new Uint32Array(2)
  for (let i = 0; i < count; i++) {
    tag[0] = seed >>> 0
    tag[1] = i
    hashes.set(sha1(new Uint8Array(tag.buffer)), i * 20)
  }
  return torrentOf(spec, hashes)
}

function simTorrentGiven (spec: { readonly torrent: Torrent, readonly data: Uint8Array }): void {
  if (spec.data.length !== spec.torrent.length) throw new UsageError('bad-sim-torrent', `the data has ${spec.data.length} bytes, the torrent ${spec.torrent.length}`)
}

function checkShape (spec: { readonly length: number, readonly pieceLength: number }): { length: number, pieceLength: number } {
  const { length, pieceLength } = spec
  if (!Number.isSafeInteger(length) || length <= 0) throw new UsageError('bad-sim-torrent', `length must be a positive integer, got ${length}`)
  if (!Number.isSafeInteger(pieceLength) || pieceLength <= 0 || pieceLength % BLOCK !== 0) throw new UsageError('bad-sim-torrent', `pieceLength must be a positive multiple of 16 KiB, got ${pieceLength}`)
  return { length, pieceLength }
}

function torrentOf (spec: { readonly length: number, readonly pieceLength: number, readonly name?: string }, hashes: Uint8Array): Torrent {
  const name = spec.name ?? 'sim.bin'
  const bytes = createTorrent({ name, multiFile: false, files: [{ path: [name], length: spec.length }], pieceLength: spec.pieceLength, pieceHashes: hashes })
  return parseTorrent(bytes, { sha1 })
}
