import type { BlockRef } from '../pieces/geometry.js'

/**
 * A stable string key for a block reference, `index:begin:length`, used to
 * index outstanding and queued requests in maps.
 * @see BEP 3 (request, piece, cancel carry the same three numbers)
 */
export function blockKey (ref: { readonly index: number, readonly begin: number, readonly length: number }): string {
  return `${ref.index}:${ref.begin}:${ref.length}`
}

/** A plain `BlockRef` copy of the three numbers of a message or reference. */
export function toBlockRef (ref: { readonly index: number, readonly begin: number, readonly length: number }): BlockRef {
  return { index: ref.index, begin: ref.begin, length: ref.length }
}

/**
 * Key of one of our outstanding requests: a number while it is exact
 * (index below 2^21, offset below 2^32), so the per-block path builds no
 * string; the block's length is checked against the stored request. We never
 * have two requests at one offset of a piece.
 */
export function outstandingKey (index: number, begin: number): number | string {
  return index < 0x200000 && begin < 0x100000000 ? index * 0x100000000 + begin : `${index}:${begin}`
}

