/**
 * The `lt_donthave` message codec: a peer no longer has a piece it announced.
 * @see BEP 54
 */
import { ProtocolError, UsageError } from '../errors.js'

/** Bytes of an `lt_donthave` payload: one big-endian uint32 piece index. */
export const DONTHAVE_LENGTH = 4

/**
 * Encode an `lt_donthave` payload: the piece index as a big-endian uint32.
 * @throws UsageError `bad-piece-index` when `piece` is not an integer in 0..2^32−1
 * @see BEP 54
 */
export function encodeDontHave (piece: number): Uint8Array {
  if (!Number.isInteger(piece) || piece < 0 || piece > 0xffffffff) {
    throw new UsageError('bad-piece-index', `piece index ${piece} is not a uint32`)
  }
  const out = new Uint8Array(DONTHAVE_LENGTH)
  new DataView(out.buffer).setUint32(0, piece)
  return out
}

/**
 * Decode an `lt_donthave` payload to its piece index. When `pieceCount` is
 * given, the index must be below it.
 * @throws ProtocolError (disposition `disconnect`): `bad-donthave` when the
 *   payload is not exactly 4 bytes; `donthave-out-of-range` when the index is
 *   not below `pieceCount`.
 * @see BEP 54
 */
export function decodeDontHave (payload: Uint8Array, pieceCount?: number): number {
  if (payload.length !== DONTHAVE_LENGTH) {
    throw new ProtocolError('bad-donthave', `lt_donthave payload is ${payload.length} bytes, not ${DONTHAVE_LENGTH}`, { details: { length: payload.length } })
  }
  const piece = new DataView(payload.buffer, payload.byteOffset, DONTHAVE_LENGTH).getUint32(0)
  if (pieceCount !== undefined && piece >= pieceCount) {
    throw new ProtocolError('donthave-out-of-range', `lt_donthave piece ${piece} is not below ${pieceCount}`, { details: { piece, pieceCount } })
  }
  return piece
}
