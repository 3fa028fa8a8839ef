import { BEP3, LIMITS } from '../constants.js'
import { MetainfoError } from '../errors.js'

/**
 * The shape of a torrent's byte stream: total length cut into pieces of
 * `pieceLength` bytes, the last one possibly shorter.
 * @see BEP 3
 */
export interface PieceGeometry {
  readonly length: number
  readonly pieceLength: number
  readonly pieceCount: number
}

/** A block of a piece: `length` bytes starting `begin` bytes into piece `index`. */
export interface BlockRef {
  readonly index: number
  readonly begin: number
  readonly length: number
}

/**
 * Build a geometry from a torrent (or anything with `length` and `pieceLength`).
 * `pieceCount` defaults to `ceil(length / pieceLength)`.
 * @throws MetainfoError `bad-geometry` (reject) when the numbers are not
 *   non-negative integers, the piece length is 0, or `pieceCount` disagrees
 *   with `length / pieceLength`.
 * @see BEP 3
 */
export function geometryOf (t: { length: number, pieceLength: number, pieceCount?: number }): PieceGeometry {
  const { length, pieceLength } = t
  if (!Number.isSafeInteger(length) || length < 0) throw badGeometry(`bad torrent length ${length}`, t)
  if (!Number.isSafeInteger(pieceLength) || pieceLength <= 0) throw badGeometry(`bad piece length ${pieceLength}`, t)
  const expected = Math.ceil(length / pieceLength)
  const pieceCount = t.pieceCount ?? expected
  if (pieceCount !== expected) throw badGeometry(`${pieceCount} pieces of ${pieceLength} bytes cannot hold ${length} bytes`, t)
  return { length, pieceLength, pieceCount }
}

/**
 * Length of piece `index`: `pieceLength`, except the last piece, which holds the remainder.
 * @throws RangeError when `index` is not a piece of `g` (a caller bug, not peer input).
 */
export function pieceLengthAt (g: PieceGeometry, index: number): number {
  checkIndex(g, index)
  if (index < g.pieceCount - 1) return g.pieceLength
  return g.length - g.pieceLength * (g.pieceCount - 1)
}

/** Absolute offset of the first byte of piece `index` in the torrent's byte stream. */
export function pieceOffset (g: PieceGeometry, index: number): number {
  return index * g.pieceLength
}

/**
 * Number of blocks piece `index` is requested in.
 * @throws RangeError when `index` is out of range or `blockSize` is not a positive integer.
 */
export function blockCount (g: PieceGeometry, index: number, blockSize: number = BEP3.BLOCK_SIZE): number {
  checkBlockSize(blockSize)
  return Math.ceil(pieceLengthAt(g, index) / blockSize)
}

/**
 * Block number `block` of piece `index`: `blockSize` bytes, the last block of a piece possibly shorter.
 * @throws RangeError when `index` or `block` is out of range.
 */
export function blockAt (g: PieceGeometry, index: number, block: number, blockSize: number = BEP3.BLOCK_SIZE): BlockRef {
  checkBlockSize(blockSize)
  const size = pieceLengthAt(g, index)
  const begin = block * blockSize
  if (!Number.isInteger(block) || block < 0 || begin >= size) throw new RangeError(`block ${block} out of range for piece ${index}`)
  return { index, begin, length: Math.min(blockSize, size - begin) }
}

/**
 * The block number of `ref` when it is exactly one block of the grid the
 * planner requests in (aligned on `blockSize`, full length), else -1.
 */
export function blockNumberOf (g: PieceGeometry, ref: BlockRef, blockSize: number = BEP3.BLOCK_SIZE): number {
  if (!isValidBlockRequest(g, ref, blockSize)) return -1
  if (ref.begin % blockSize !== 0) return -1
  const block = ref.begin / blockSize
  const size = pieceLengthAt(g, ref.index)
  return ref.length === Math.min(blockSize, size - ref.begin) ? block : -1
}

/**
 * A request a peer may legally make: index in range, begin+length within the piece, 0 < length <= maxLength.
 * Total on any numbers (non-integers, NaN, negatives give false).
 * @see BEP 3 (request), ADVERSARIAL C35
 */
export function isValidBlockRequest (g: PieceGeometry, ref: BlockRef, maxLength: number = LIMITS.maxBlockLength): boolean {
  const { index, begin, length } = ref
  if (!Number.isInteger(index) || index < 0 || index >= g.pieceCount) return false
  if (!Number.isInteger(begin) || begin < 0) return false
  if (!Number.isInteger(length) || length <= 0 || length > maxLength) return false
  return begin + length <= pieceLengthAt(g, index)
}

function checkIndex (g: PieceGeometry, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= g.pieceCount) throw new RangeError(`piece ${index} out of range 0..${g.pieceCount - 1}`)
}

function checkBlockSize (blockSize: number): void {
  if (!Number.isInteger(blockSize) || blockSize <= 0) throw new RangeError(`bad block size ${blockSize}`)
}

function badGeometry (message: string, t: { length: number, pieceLength: number, pieceCount?: number }): MetainfoError {
  return new MetainfoError('bad-geometry', message, { details: { length: t.length, pieceLength: t.pieceLength, pieceCount: t.pieceCount } })
}
