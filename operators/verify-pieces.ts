import { mapConcurrent } from './map-concurrent.js'
import type { Hasher } from '../lib/storage/types.js'
import type { CompletePiece } from '../lib/pieces/piece-assembler.js'
import { digestEquals, expectedHash } from '../lib/pieces/piece-hash.js'

/** A complete piece with the verdict of its SHA-1 check. */
export interface VerifiedPiece extends CompletePiece {
  readonly ok: boolean
}

/** Options of {@link verifyPieces}. */
export interface VerifyPiecesOptions {
  /** The metainfo's `pieces`: 20 bytes of SHA-1 per piece. */
  readonly pieceHashes: Uint8Array
  readonly hasher: Hasher
  /**
   * Pieces hashed at once; default 1. With an asynchronous hasher (worker
   * threads) more than one keeps the source flowing while pieces hash.
   */
  readonly concurrency?: number
  /**
   * The pieces' buffers are the caller's to hand over: a piece held in one
   * whole buffer goes to the hasher's `sha1Owned` when it has one (a worker
   * thread then takes the buffer without a copy), and comes out with the
   * buffer the hasher gave back. Default false.
   */
  readonly owned?: boolean
}

/**
 * Hash each complete piece over its blocks (no concatenation) and compare it
 * with the metainfo; yield the piece with `ok`. A mismatch is not an error:
 * it is yielded with `ok: false` so the caller can drop the piece and blame
 * its contributors. Up to `concurrency` pieces are hashed at once and
 * yielded as their hashes finish (in source order when `concurrency` is 1 or
 * the hasher is synchronous); completes with the source.
 * @throws RxTorrentError `no-piece-hash` (fatal) for a piece index beyond
 *   `pieceHashes`; whatever the hasher rejects with.
 * @see BEP 3 (info.pieces)
 */
export function verifyPieces (options: VerifyPiecesOptions): (source: AsyncIterable<CompletePiece>) => AsyncIterable<VerifiedPiece> {
  const { pieceHashes, hasher } = options
  const verdict = (piece: CompletePiece, actual: Uint8Array, expected: Uint8Array): VerifiedPiece =>
    ({ index: piece.index, blocks: piece.blocks, length: piece.length, contributors: piece.contributors, ok: digestEquals(actual, expected) })
  const owned = options.owned === true ? hasher.sha1Owned : undefined
  return mapConcurrent((piece: CompletePiece) => {
    const expected = expectedHash(pieceHashes, piece.index)
    const only = piece.blocks.length === 1 ? piece.blocks[0] as Uint8Array : undefined
    if (owned !== undefined && only !== undefined && only.byteOffset === 0 && only.byteLength === only.buffer.byteLength) {
      return owned(only).then(({ digest, data }) => verdict({ ...piece, blocks: [data] }, digest, expected))
    }
    const actual = hasher.sha1(piece.blocks)
    return actual instanceof Uint8Array ? verdict(piece, actual, expected) : actual.then((a) => verdict(piece, a, expected))
  }, { concurrency: options.concurrency ?? 1 })
}
