import { timer, type SchedulerLike, type Subscription } from 'rxjs'

/**
 * How long the pipelines wait for one announce before trying the next
 * tracker: long enough for two UDP sends (BEP 15: 0 s and 15 s), short enough
 * that a dead first tier does not hold up the second for a minute.
 */
export const ANNOUNCE_TIMEOUT_MS = 20_000

/**
 * The most a finished download waits for its `completed` announce before it
 * stops (and sends `stopped`): a tracker that takes the request and never
 * answers (a UDP tracker dropping packets, an HTTP tracker that accepts the
 * connection and stalls) holds the exit no longer than this.
 */
export const COMPLETED_ANNOUNCE_MAX_WAIT_MS = 3000

/**
 * The wait between the end of a download and its exit, so the trackers hear
 * `completed` before `stopped`. It ends when {@link settle} is called — the
 * announce schedule says `completed` was answered or failed, or that the
 * tracker it would go to is backing off after a failure (refused, timed out),
 * or the schedule ended — and at the latest after `maxWaitMs` on the
 * scheduler. A dead tracker therefore costs nothing at exit; a live one is
 * waited for as long as it takes to answer, up to the bound.
 * @see BEP 3 (the `completed` event), BEP 12
 */
export class CompletedAnnounceWait {
  private settled = false
  private resolveSettled: (() => void) | undefined
  private readonly settledPromise = new Promise<void>((resolve) => { this.resolveSettled = resolve })

  /** Nothing more to wait for. Idempotent. */
  settle (): void {
    if (this.settled) return
    this.settled = true
    this.resolveSettled?.()
  }

  /** True once {@link settle} was called. */
  get isSettled (): boolean {
    return this.settled
  }

  /**
   * Resolves when settled, or after `maxWaitMs` on `scheduler`, whichever is
   * first; never rejects. The timer is released either way.
   */
  async wait (scheduler: SchedulerLike, maxWaitMs = COMPLETED_ANNOUNCE_MAX_WAIT_MS): Promise<void> {
    if (this.settled) return
    let bound: Subscription | undefined
    await Promise.race([this.settledPromise, new Promise<void>((resolve) => { bound = timer(maxWaitMs, scheduler).subscribe(() => { resolve() }) })])
    bound?.unsubscribe()
  }
}
