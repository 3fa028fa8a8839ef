import { BEP3 } from '../constants.js'
import { blockKey } from './block-key.js'
import type { BlockRef } from '../pieces/geometry.js'

/**
 * A peer's queued requests to us, in arrival order. A whole 16 KiB block is
 * keyed by its block number in the torrent (a small integer) with no value:
 * the queue then holds no object per request, so the hundreds a fast peer
 * keeps queued are not promoted to V8's old generation (with six libtorrent
 * leechers that promotion was most of the seeder's peak heap). Any other
 * request is keyed by its `blockKey` string and keeps its `BlockRef` (a
 * number and a string never collide, so a shorter request at the same
 * offset is another request).
 */
export class IncomingRequests {
  readonly #queue = new Map<number | string, BlockRef | undefined>()
  /** `ceil(pieceLength / 16 KiB)`: block numbers of whole blocks. */
  readonly #blocksPerPiece: number

  constructor (pieceLength: number) {
    this.#blocksPerPiece = Math.ceil(pieceLength / BEP3.BLOCK_SIZE)
  }

  get size (): number { return this.#queue.size }

  /** Whether `ref` is queued. */
  has (ref: BlockRef): boolean { return this.#queue.has(this.#key(ref)) }

  /** Queue `ref` (a request already queued stays where it is). */
  add (ref: BlockRef): void {
    const key = this.#key(ref)
    if (!this.#queue.has(key)) this.#queue.set(key, typeof key === 'number' ? undefined : ref)
  }

  /** Remove `ref`; false when it was not queued. */
  delete (ref: BlockRef): boolean { return this.#queue.delete(this.#key(ref)) }

  /** The oldest request, removed from the queue. */
  take (): BlockRef | undefined {
    for (const [key, ref] of this.#queue) {
      this.#queue.delete(key)
      return this.#refOf(key, ref)
    }
    return undefined
  }

  /** Every queued request, oldest first, and an empty queue. */
  drain (): BlockRef[] {
    const out: BlockRef[] = []
    for (const [key, ref] of this.#queue) out.push(this.#refOf(key, ref))
    this.#queue.clear()
    return out
  }

  #key (ref: BlockRef): number | string {
    if (ref.length === BEP3.BLOCK_SIZE && ref.begin % BEP3.BLOCK_SIZE === 0) {
      const n = ref.index * this.#blocksPerPiece + ref.begin / BEP3.BLOCK_SIZE
      // Below 2^30: a small integer, no heap number.
      if (n < 0x40000000) return n
    }
    return blockKey(ref)
  }

  #refOf (key: number | string, ref: BlockRef | undefined): BlockRef {
    if (ref !== undefined) return ref
    const n = key as number
    const index = Math.floor(n / this.#blocksPerPiece)
    return { index, begin: (n - index * this.#blocksPerPiece) * BEP3.BLOCK_SIZE, length: BEP3.BLOCK_SIZE }
  }
}
