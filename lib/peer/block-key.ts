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
