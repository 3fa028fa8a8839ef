import type { Storage } from '../lib/storage/types.js'
import { mapConcurrent } from './map-concurrent.js'
import type { VerifiedPiece } from './verify-pieces.js'

/** Options of {@link writePieces}. */
export interface WritePiecesOptions {
  /** The torrent's piece length: piece `i` is written at `i × pieceLength`. */
  readonly pieceLength: number
  /** Most writes pending at once before the source stops being pulled; default 4. */
  readonly highWaterMark?: number
  /** Passed to every write. */
  readonly signal?: AbortSignal
}

/**
 * Write each verified piece to storage at `index × pieceLength` (its blocks
 * passed as-is: one positional write, no concatenation) and yield the piece
 * once the write has resolved. Pieces with `ok: false` are not written and
 * are yielded straight away, so the caller can re-request them.
 *
 * Order: pieces are yielded in the order their writes complete, which may
 * differ from the source order.
 * Backpressure: up to `highWaterMark` writes may be pending; while that many
 * are, the source is not pulled.
 * Completion: after the source ends and every pending write has resolved.
 * Cancellation: ending the iteration early asks the source to return and
 * forgets pending writes (they still run to completion in the storage).
 * @throws the first StorageError a write rejects with, or the source's error.
 */
export function writePieces (storage: Storage, options: WritePiecesOptions): (source: AsyncIterable<VerifiedPiece>) => AsyncIterable<VerifiedPiece> {
  const { pieceLength, signal } = options
  const writeOptions = signal === undefined ? undefined : { signal }
  return mapConcurrent((piece: VerifiedPiece) => {
    if (!piece.ok) return piece
    return storage.write(piece.index * pieceLength, piece.blocks, writeOptions).then(() => piece)
  }, { concurrency: options.highWaterMark ?? 4 })
}
