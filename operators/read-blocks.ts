import { LIMITS } from '../lib/constants.js'
import { ProtocolError } from '../lib/errors.js'
import type { BlockRef, PieceGeometry } from '../lib/pieces/geometry.js'
import { isValidBlockRequest } from '../lib/pieces/geometry.js'
import type { Storage } from '../lib/storage/types.js'

/** Options of {@link readBlocks}. */
export interface ReadBlocksOptions {
  /** The torrent's piece length: block `{ index, begin }` is read at `index × pieceLength + begin`. */
  readonly pieceLength: number
  /** When given, each request is checked against it with `isValidBlockRequest`. */
  readonly geometry?: PieceGeometry
  /** Longest block served; default `LIMITS.maxBlockLength`. */
  readonly maxLength?: number
  /** Passed to every read. */
  readonly signal?: AbortSignal
}

/**
 * The upload path: read each requested block from storage when it is pulled
 * and yield `{ ref, data }`. One read at a time, never ahead of the consumer.
 * Completes with the source; ending early stops pulling it.
 * @throws ProtocolError `bad-request` (disconnect) for a request outside the
 *   piece (or the geometry, when given), of length 0 or above `maxLength`,
 *   before any read (ADVERSARIAL C35); whatever the storage rejects with.
 * @see BEP 3 (request, piece)
 */
export function readBlocks (storage: Storage, options: ReadBlocksOptions): (source: AsyncIterable<BlockRef>) => AsyncIterable<{ ref: BlockRef, data: Uint8Array }> {
  const { pieceLength, geometry, signal } = options
  const maxLength = options.maxLength ?? LIMITS.maxBlockLength
  return async function * (source) {
    for await (const ref of source) {
      const valid = geometry === undefined ? fitsPiece(ref, pieceLength, maxLength) : isValidBlockRequest(geometry, ref, maxLength)
      if (!valid) {
        throw new ProtocolError('bad-request', `request ${ref.index}:${ref.begin}+${ref.length} is out of range`, { details: { index: ref.index, begin: ref.begin, length: ref.length } })
      }
      const data = await storage.read(ref.index * pieceLength + ref.begin, ref.length, signal === undefined ? undefined : { signal })
      yield { ref, data }
    }
  }
}

/** The checks possible without the torrent length: integers, 0 < length <= maxLength, within one piece. */
function fitsPiece (ref: BlockRef, pieceLength: number, maxLength: number): boolean {
  const { index, begin, length } = ref
  return Number.isInteger(index) && index >= 0 && Number.isInteger(begin) && begin >= 0 &&
    Number.isInteger(length) && length > 0 && length <= maxLength && begin + length <= pieceLength
}
