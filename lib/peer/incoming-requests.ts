import { BEP3 } from '../constants.js'
import { blockKey } from './block-key.js'
import type { BlockRef } from '../pieces/geometry.js'

/**
 * A peer's queued requests to us, in arrival order. A whole 16 KiB block is
 * keyed by its block number in the torrent (a small integer): the queue
 * then holds no object per request, so the hundreds a fast peer keeps
 * queued are not promoted to V8's old generation (with six libtorrent
 * leechers that promotion was most of the seeder's peak heap). Any other
 * request is keyed by its `blockKey` string and keeps its `BlockRef` (a
 * number and a string never collide, so a shorter request at the same
 * offset is another request).
 *
 * The order is an array of keys read from a head index, and a map from
 * each queued key to its place in that array: taking the oldest costs an
 * array read and a map lookup, not a new iterator over a map whose deleted
 * head entries it must skip. A cancelled request leaves its key in the
 * array, skipped when reached; the array is compacted once such dead keys,
 * or the keys already taken from a queue that never empties, outnumber the
 * live ones, so memory follows the queue's size whatever the peer sends.
 */
export class IncomingRequests {
  /** Keys in arrival order from `#head` on; some are dead (cancelled, or queued again later). */
  #order: Array<number | string> = []
  #head = 0
  /** Every queued key, with its place in the arrival order. */
  readonly #live = new Map<number | string, number>()
  /** The requests keyed by string (not whole aligned blocks). */
  readonly #odd = new Map<string, BlockRef>()
  /** `ceil(pieceLength / 16 KiB)`: block numbers of whole blocks. */
  readonly #blocksPerPiece: number

  constructor (pieceLength: number) {
    this.#blocksPerPiece = Math.ceil(pieceLength / BEP3.BLOCK_SIZE)
  }

  get size (): number { return this.#live.size }

  /** Whether `ref` is queued. */
  has (ref: BlockRef): boolean { return this.#live.has(this.#key(ref)) }

  /** Queue `ref`; false when it was queued already (it then stays where it is). */
  add (ref: BlockRef): boolean {
    const key = this.#key(ref)
    if (this.#live.has(key)) return false
    this.#live.set(key, this.#order.length)
    this.#order.push(key)
    if (typeof key === 'string') this.#odd.set(key, ref)
    return true
  }

  /** Remove `ref`; false when it was not queued. */
  delete (ref: BlockRef): boolean {
    const key = this.#key(ref)
    if (!this.#live.delete(key)) return false
    if (typeof key === 'string') this.#odd.delete(key)
    if (this.#order.length - this.#head > 2 * this.#live.size + 64) this.#compact()
    return true
  }

  /** The oldest request, removed from the queue. */
  take (): BlockRef | undefined {
    const order = this.#order
    while (this.#head < order.length) {
      const at = this.#head++
      const key = order[at] as number | string
      if (this.#live.get(key) !== at) continue
      this.#live.delete(key)
      if (this.#head === order.length) this.#reset()
      // A queue that never empties: drop the keys taken once they are most of the array.
      else if (this.#head > 1024 && this.#head * 2 > order.length) this.#compact()
      return this.#refOf(key)
    }
    this.#reset()
    return undefined
  }

  /** Every queued request, oldest first, and an empty queue. */
  drain (): BlockRef[] {
    const out: BlockRef[] = []
    for (let ref = this.take(); ref !== undefined; ref = this.take()) out.push(ref)
    return out
  }

  /** The array holds no live key from `#head` on: start it afresh. */
  #reset (): void {
    this.#order = []
    this.#head = 0
  }

  /** Drop the dead keys from the arrival order, renumbering the live ones. */
  #compact (): void {
    const live: Array<number | string> = []
    for (let at = this.#head; at < this.#order.length; at++) {
      const key = this.#order[at] as number | string
      if (this.#live.get(key) === at) {
        this.#live.set(key, live.length)
        live.push(key)
      }
    }
    this.#order = live
    this.#head = 0
  }

  #key (ref: BlockRef): number | string {
    if (ref.length === BEP3.BLOCK_SIZE && ref.begin % BEP3.BLOCK_SIZE === 0) {
      const n = ref.index * this.#blocksPerPiece + ref.begin / BEP3.BLOCK_SIZE
      // Below 2^30: a small integer, no heap number.
      if (n < 0x40000000) return n
    }
    return blockKey(ref)
  }

  #refOf (key: number | string): BlockRef {
    if (typeof key === 'string') {
      const ref = this.#odd.get(key) as BlockRef
      this.#odd.delete(key)
      return ref
    }
    const index = Math.floor(key / this.#blocksPerPiece)
    return { index, begin: (key - index * this.#blocksPerPiece) * BEP3.BLOCK_SIZE, length: BEP3.BLOCK_SIZE }
  }
}
