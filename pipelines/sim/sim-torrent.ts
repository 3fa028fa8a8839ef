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
    if (spec.data.length !== spec.torrent.length) throw new UsageError('bad-sim-torrent', `the data has ${spec.data.length} bytes, the torrent ${spec.torrent.length}`)
    return { torrent: spec.torrent, data: spec.data }
  }
  const { length, pieceLength } = spec
  if (!Number.isSafeInteger(length) || length <= 0) throw new UsageError('bad-sim-torrent', `length must be a positive integer, got ${length}`)
  if (!Number.isSafeInteger(pieceLength) || pieceLength <= 0 || pieceLength % BLOCK !== 0) throw new UsageError('bad-sim-torrent', `pieceLength must be a positive multiple of 16 KiB, got ${pieceLength}`)
  const data = simData(length, seed)
  const count = Math.ceil(length / pieceLength)
  const hashes = new Uint8Array(count * 20)
  for (let i = 0; i < count; i++) hashes.set(await hasher.sha1([data.subarray(i * pieceLength, (i + 1) * pieceLength)]), i * 20)
  const bytes = createTorrent({ name: spec.name ?? 'sim.bin', multiFile: false, files: [{ path: [spec.name ?? 'sim.bin'], length }], pieceLength, pieceHashes: hashes })
  return { torrent: parseTorrent(bytes, { sha1 }), data }
}
