import { RxTorrentError } from '../errors.js'

/**
 * The expected SHA-1 of piece `index`: a view into the metainfo's `pieces` string.
 * @throws RxTorrentError `no-piece-hash` (fatal) when `pieceHashes` holds no hash for `index`.
 * @see BEP 3 (info.pieces)
 */
export function expectedHash (pieceHashes: Uint8Array, index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index * 20 + 20 > pieceHashes.length) {
    throw new RxTorrentError('no-piece-hash', `no hash for piece ${index}`, { disposition: 'fatal', details: { index } })
  }
  return pieceHashes.subarray(index * 20, index * 20 + 20)
}

/** Byte-wise equality of two digests. */
export function digestEquals (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
