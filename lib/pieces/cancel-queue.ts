/**
 * The cancels the request planner owes: when a block outstanding to several
 * peers (endgame) arrives from one, every other holder gets a `cancel`. The
 * queue is bounded: past its limit the oldest cancel is dropped (a late
 * block is then counted as waste, nothing worse).
 * @see BEP 3 ("end game")
 */
import type { BlockRef } from './geometry.js'
import type { PeerKey } from './peer-key.js'

/** A request to withdraw: the block arrived from another peer first. */
export interface PlannedCancel {
  /** The peer the request was sent to. */
  readonly peer: PeerKey
  /** The block requested. */
  readonly ref: BlockRef
}

/** Cancels in the order they were queued, at most `max` (oldest dropped first; 0 keeps none). */
export class CancelQueue {
  readonly #max: number
  #queued: PlannedCancel[] = []

  /** An empty queue that keeps at most `max` cancels. */
  constructor (max: number) {
    this.#max = max
  }

  /** Queue a cancel of `ref` to `peer`. */
  push (peer: PeerKey, ref: BlockRef): void {
    if (this.#max <= 0) return
    if (this.#queued.length >= this.#max) this.#queued.shift()
    this.#queued.push({ peer, ref })
  }

  /** Every cancel queued since the last call, oldest first; the queue is empty afterwards. */
  take (): PlannedCancel[] {
    const out = this.#queued
    this.#queued = []
    return out
  }
}
