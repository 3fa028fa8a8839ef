import { LIMITS } from '../lib/constants.js'
import { RxTorrentError } from '../lib/errors.js'
import type { Outbound } from './encode-frames.js'

export type { Outbound } from './encode-frames.js'

/** Options of an {@link OutboundQueue}. */
export interface OutboundQueueOptions {
  /** Frames that may wait before `push` throws. Default `LIMITS.maxOutboundQueue`. */
  readonly maxQueued?: number
}

/** Called when the writer is ready and nothing is queued: the next block to upload, or `undefined` when none is ready now. */
export type BlockSource = () => Promise<Outbound[] | undefined> | Outbound[] | undefined

/**
 * The outbound side of one connection: a bounded queue of control frames
 * that are pushed, and block data that is pulled. Iterate it (usually through
 * `encodeFrames` into a duplex `sink`); each pull returns every queued frame
 * as one batch, or, when none is queued, asks the block source for the next
 * block — so uploads are read from storage only as fast as the writer takes
 * them.
 *
 * Backpressure: a pull waits while nothing is queued and the block source has
 * nothing; `push`, `wake` and `end` resume it. Control frames go before
 * blocks. Completion: after `end()` the queued frames are still yielded, then
 * the iteration finishes; after `end(err)` the next pull rejects with `err`
 * and queued frames are dropped. Breaking out of the iteration ends the queue.
 * @see BEP 3
 */
export class OutboundQueue implements AsyncIterable<Outbound[]> {
  readonly #max: number
  #queue: Outbound[] = []
  #blockSource: BlockSource | undefined
  #ended = false
  #error: Error | undefined
  #waiter: (() => void) | undefined
  #iterating = false
  /** Bumped by every wake-up, so one that lands while the block source runs is not lost. */
  #wakes = 0

  constructor (options: OutboundQueueOptions = {}) {
    this.#max = options.maxQueued ?? LIMITS.maxOutboundQueue
  }

  /** Frames waiting to be pulled. */
  get queued (): number { return this.#queue.length }

  /** True once `end` was called. */
  get ended (): boolean { return this.#ended }

  /**
   * Queue one frame (a message, or pre-encoded bytes).
   * @throws RxTorrentError `queue-full` (disconnect) when `maxQueued` frames are waiting;
   *   `queue-ended` (ignore) after `end`.
   */
  push (m: Outbound): void {
    if (this.#ended) throw new RxTorrentError('queue-ended', 'push after the outbound queue ended', { disposition: 'ignore' })
    if (this.#queue.length >= this.#max) {
      throw new RxTorrentError('queue-full', `outbound queue holds ${this.#max} frames`, { disposition: 'disconnect', details: { limit: this.#max } })
    }
    this.#queue.push(m)
    this.#wake()
  }

  /** Set (or replace) the block source asked for uploads when the queue is empty. */
  setBlockSource (next: BlockSource): void {
    this.#blockSource = next
    this.#wake()
  }

  /** The block source may have something now (a request arrived): retry a waiting pull. */
  wake (): void {
    this.#wake()
  }

  /** Finish: without `err` after the queued frames, with `err` at once. Later calls do nothing. */
  end (err?: Error): void {
    if (this.#ended) return
    this.#ended = true
    if (err !== undefined) {
      this.#error = err
      this.#queue = []
    }
    this.#wake()
  }

  /** The queued messages, one batch per pull; ends once the queue is closed and drained. */
  [Symbol.asyncIterator] (): AsyncIterator<Outbound[]> {
    if (this.#iterating) throw new RxTorrentError('queue-reused', 'an outbound queue can be iterated once', { disposition: 'fatal' })
    this.#iterating = true
    return {
      // #pull's own promise, not one more around it: this runs once per chunk sent.
      next: () => this.#pull(),
      return: async () => {
        this.end()
        this.#queue = []
        return { done: true, value: undefined }
      }
    }
  }

  async #pull (): Promise<IteratorResult<Outbound[]>> {
    while (true) {
      if (this.#error !== undefined) throw this.#error
      if (this.#queue.length > 0) {
        const batch = this.#queue
        this.#queue = []
        return { done: false, value: batch }
      }
      if (this.#ended) return { done: true, value: undefined }
      const source = this.#blockSource
      if (source !== undefined) {
        const wakes = this.#wakes
        const block = await source()
        if (this.#error !== undefined) throw this.#error
        if (block !== undefined && block.length > 0) return { done: false, value: block }
        if (this.#wakes !== wakes) continue
      }
      await new Promise<void>((resolve) => { this.#waiter = resolve })
    }
  }

  #wake (): void {
    this.#wakes++
    const w = this.#waiter
    this.#waiter = undefined
    w?.()
  }
}
