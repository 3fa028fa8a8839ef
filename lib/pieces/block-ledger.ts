/**
 * The request planner's book of blocks in flight: the pieces in progress
 * (each a {@link PartialPiece}) and, per peer, the blocks outstanding to it.
 * Both sides are kept in step: a block is on a peer's list exactly while
 * that peer is one of its holders. A piece leaves the book when it is idle
 * (nothing requested or received), verified, failed or abandoned. Which
 * blocks to hand out is decided by the planner; this records it.
 */
import type { CancelQueue } from './cancel-queue.js'
import type { EndgameCandidate } from './endgame.js'
import type { BlockRef, PieceGeometry } from './geometry.js'
import { blockAt, blockCount, blockNumberOf } from './geometry.js'
import {
  FREE, RECEIVED, REQUESTED, addHolder, contributorsOf, dropHolder, isIdle, newPartialPiece,
  receiveBlock, requestBlock, unreceiveBlock, type PartialPiece
} from './partial-piece.js'
import type { PeerKey } from './peer-key.js'

/** Pieces in progress and the blocks outstanding to each peer. */
export class BlockLedger {
  readonly #g: PieceGeometry
  readonly #blockSize: number
  /** Stride for global block numbers: `index * #stride + block`. */
  readonly #stride: number
  readonly #cancels: CancelQueue
  readonly #partials = new Map<number, PartialPiece>()
  /** Global block numbers outstanding per peer. */
  readonly #outstanding = new Map<PeerKey, Set<number>>()
  /** Request sequence counter (a logical clock for "oldest request"). */
  #seq = 0

  /** `cancels` receives a cancel for every other holder of a block that arrives. */
  constructor (g: PieceGeometry, blockSize: number, cancels: CancelQueue) {
    this.#g = g
    this.#blockSize = blockSize
    this.#stride = Math.max(1, Math.ceil(g.pieceLength / blockSize))
    this.#cancels = cancels
  }

  /** Most blocks in a piece. */
  get stride (): number { return this.#stride }

  /** Pieces in progress. */
  get size (): number { return this.#partials.size }

  /** True when piece `index` is in progress. */
  has (index: number): boolean { return this.#partials.has(index) }

  /** The pieces in progress, oldest first (live: don't start or drop pieces while iterating). */
  pieces (): IterableIterator<PartialPiece> { return this.#partials.values() }

  /** Number of blocks outstanding to `peer`. */
  outstanding (peer: PeerKey): number { return this.#outstanding.get(peer)?.size ?? 0 }

  /** Put piece `index` in progress with every block free. */
  start (index: number): PartialPiece {
    const p = newPartialPiece(index, blockCount(this.#g, index, this.#blockSize))
    this.#partials.set(index, p)
    return p
  }

  /** Request free blocks of `p` from `peer`, in block order, appending them to `out` up to `max` in all. */
  take (peer: PeerKey, p: PartialPiece, out: BlockRef[], max: number): void {
    const keys = this.#keysOf(peer)
    for (let b = 0; b < p.state.length && out.length < max && p.free > 0; b++) {
      if (p.state[b] !== FREE) continue
      requestBlock(p, b, peer, this.#seq++)
      keys.add(this.#key(p.index, b))
      out.push(blockAt(this.#g, p.index, b, this.#blockSize))
    }
  }

  /** Endgame: `peer` becomes a further holder of each chosen block, which is appended to `out`. */
  duplicate (peer: PeerKey, chosen: readonly EndgameCandidate[], out: BlockRef[]): void {
    if (chosen.length === 0) return
    const keys = this.#keysOf(peer)
    for (const c of chosen) {
      addHolder(this.#partials.get(c.index) as PartialPiece, c.block, peer)
      keys.add(this.#key(c.index, c.block))
      out.push(blockAt(this.#g, c.index, c.block, this.#blockSize))
    }
  }

  /** `peer` no longer holds `ref`; see `RequestPlanner.release`. */
  release (peer: PeerKey, ref: BlockRef): void {
    const block = blockNumberOf(this.#g, ref, this.#blockSize)
    if (block < 0) return
    const p = this.#partials.get(ref.index)
    if (p === undefined || p.state[block] !== REQUESTED || !dropHolder(p, block, peer)) return
    this.#outstanding.get(peer)?.delete(this.#key(ref.index, block))
    this.#dropIfIdle(p)
  }

  /** `peer` holds nothing any more; returns the blocks it held. */
  releaseAll (peer: PeerKey): BlockRef[] {
    const keys = this.#outstanding.get(peer)
    this.#outstanding.delete(peer)
    if (keys === undefined) return []
    const out: BlockRef[] = []
    for (const key of keys) {
      const index = Math.floor(key / this.#stride)
      const block = key - index * this.#stride
      const p = this.#partials.get(index)
      if (p === undefined || p.state[block] !== REQUESTED || !dropHolder(p, block, peer)) continue
      out.push(blockAt(this.#g, index, block, this.#blockSize))
      this.#dropIfIdle(p)
    }
    return out
  }

  /**
   * A block (inside the torrent) arrived from `peer`: true when it was
   * requested and not yet received. It is then received from `peer`, off
   * every holder's list, and each other holder is queued for a cancel.
   */
  receive (peer: PeerKey, ref: BlockRef): boolean {
    const block = blockNumberOf(this.#g, ref, this.#blockSize)
    const p = this.#partials.get(ref.index)
    if (block < 0 || p === undefined || p.state[block] !== REQUESTED) return false
    const key = this.#key(ref.index, block)
    const first = p.owner[block]
    if (first !== undefined) this.#settle(first, peer, key, p.index, block)
    const more = p.extra.get(block)
    if (more !== undefined) for (const holder of more) this.#settle(holder, peer, key, p.index, block)
    receiveBlock(p, block, peer)
    return true
  }

  /** A received block is missing again; see `RequestPlanner.discard`. */
  discard (ref: BlockRef): void {
    const block = blockNumberOf(this.#g, ref, this.#blockSize)
    const p = block < 0 ? undefined : this.#partials.get(ref.index)
    if (p === undefined || p.state[block] !== RECEIVED) return
    unreceiveBlock(p, block)
    this.#dropIfIdle(p)
  }

  /** Free the blocks received from `peer` that `isHeld` denies, in pieces still missing blocks; see `RequestPlanner.forgetUnheld`. */
  forgetUnheld (peer: PeerKey, isHeld: (ref: BlockRef) => boolean): BlockRef[] {
    const out: BlockRef[] = []
    for (const p of [...this.#partials.values()]) {
      if (p.received === p.state.length) continue
      for (let b = 0; b < p.state.length; b++) {
        if (p.state[b] !== RECEIVED || p.owner[b] !== peer) continue
        const ref = blockAt(this.#g, p.index, b, this.#blockSize)
        if (isHeld(ref)) continue
        unreceiveBlock(p, b)
        out.push(ref)
      }
      this.#dropIfIdle(p)
    }
    return out
  }

  /** The peers that sent the received blocks of piece `index`, each once (none when it is not in progress). */
  contributors (index: number): PeerKey[] {
    const p = this.#partials.get(index)
    return p === undefined ? [] : contributorsOf(p)
  }

  /** Forget a piece's state, taking its outstanding blocks off their holders' lists. */
  abandon (index: number): void {
    const p = this.#partials.get(index)
    if (p === undefined) return
    for (let b = 0; b < p.state.length; b++) {
      if (p.state[b] !== REQUESTED) continue
      const key = this.#key(index, b)
      const first = p.owner[b]
      if (first !== undefined) this.#outstanding.get(first)?.delete(key)
      const more = p.extra.get(b)
      if (more !== undefined) for (const holder of more) this.#outstanding.get(holder)?.delete(key)
    }
    this.#partials.delete(index)
  }

  /** A holder of an arrived block: off its list, and cancelled unless it sent the block. */
  #settle (holder: PeerKey, sender: PeerKey, key: number, index: number, block: number): void {
    this.#outstanding.get(holder)?.delete(key)
    if (holder !== sender) this.#cancels.push(holder, blockAt(this.#g, index, block, this.#blockSize))
  }

  #keysOf (peer: PeerKey): Set<number> {
    let keys = this.#outstanding.get(peer)
    if (keys === undefined) {
      keys = new Set()
      this.#outstanding.set(peer, keys)
    }
    return keys
  }

  /** A piece with nothing requested or received is no longer in progress. */
  #dropIfIdle (p: PartialPiece): void {
    if (isIdle(p)) this.#partials.delete(p.index)
  }

  #key (index: number, block: number): number { return index * this.#stride + block }
}
