import type { Hasher } from '../lib/storage/types.js'
import type { CompletePiece } from '../lib/pieces/piece-assembler.js'
import { digestEquals, expectedHash } from '../lib/pieces/piece-hash.js'

/** A complete piece with the verdict of its SHA-1 check. */
export interface VerifiedPiece extends CompletePiece {
  readonly ok: boolean
}

export interface VerifyPiecesOptions {
  /** The metainfo's `pieces`: 20 bytes of SHA-1 per piece. */
  readonly pieceHashes: Uint8Array
  readonly hasher: Hasher
}

/**
 * Hash each complete piece over its blocks (no concatenation) and compare it
 * with the metainfo; yield the piece with `ok`. A mismatch is not an error:
 * it is yielded with `ok: false` so the caller can drop the piece and blame
 * its contributors. One piece hashed at a time, in source order; completes
 * with the source.
 * @throws RxTorrentError `no-piece-hash` (fatal) for a piece index beyond
 *   `pieceHashes`; whatever the hasher rejects with.
 * @see BEP 3 (info.pieces)
 */
export function verifyPieces (options: VerifyPiecesOptions): (source: AsyncIterable<CompletePiece>) => AsyncIterable<VerifiedPiece> {
  const { pieceHashes, hasher } = options
  return async function * (source) {
    for await (const piece of source) {
      const expected = expectedHash(pieceHashes, piece.index)
      const actual = await hasher.sha1(piece.blocks)
      yield { index: piece.index, blocks: piece.blocks, length: piece.length, contributors: piece.contributors, ok: digestEquals(actual, expected) }
    }
  }
}
