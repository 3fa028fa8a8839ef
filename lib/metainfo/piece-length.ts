/**
 * Piece length chosen for a new torrent.
 * @see BEP 3 (`piece length`)
 */

/** Smallest default piece length: 16 KiB, one block. */
export const MIN_DEFAULT_PIECE_LENGTH = 16 * 1024
/** Largest default piece length: 4 MiB. */
export const MAX_DEFAULT_PIECE_LENGTH = 4 * 1024 * 1024
/** Most pieces aimed for before doubling the piece length. */
export const TARGET_MAX_PIECES = 2000

/**
 * A power of two from 16 KiB to 4 MiB giving at most 2000 pieces (so between
 * 1000 and 2000 for sizes the range can cover), as common clients choose.
 * Never throws.
 */
export function defaultPieceLength (totalLength: number): number {
  let length = MIN_DEFAULT_PIECE_LENGTH
  while (length < MAX_DEFAULT_PIECE_LENGTH && totalLength / length > TARGET_MAX_PIECES) length *= 2
  return length
}
