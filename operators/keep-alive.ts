import { Observable, asyncScheduler } from 'rxjs'
import type { SchedulerLike, Subscription } from 'rxjs'
import { LIMITS } from '../lib/constants.js'
import type { KeepAlive } from '../lib/wire/types.js'

/** Options of {@link keepAlives}. */
export interface KeepAlivesOptions {
  /** Quiet time before a keep-alive, and between keep-alives. Default `LIMITS.keepAliveIntervalMs`. */
  readonly intervalMs?: number
  /** Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike
}

const KEEP_ALIVE: KeepAlive = Object.freeze({ type: 'keep-alive' })

/**
 * Keep-alives to send: one whenever nothing was sent for `intervalMs`, and
 * one every `intervalMs` after that while the connection stays quiet. Each
 * value of `sent$` (something went out) restarts the wait; a keep-alive fed
 * back into `sent$` does no harm.
 *
 * ```
 * sent$:   -a-------b----------|
 * result:  ------k-----k----k--|      (intervalMs = 5 frames)
 * ```
 * Completes when `sent$` completes; errors when it errors.
 * @throws nothing
 * @see BEP 3 (keep-alive)
 */
export function keepAlives (sent$: Observable<unknown>, options: KeepAlivesOptions = {}): Observable<KeepAlive> {
  const intervalMs = options.intervalMs ?? LIMITS.keepAliveIntervalMs
  const scheduler = options.scheduler ?? asyncScheduler
  return new Observable<KeepAlive>((subscriber) => {
    // One timer per quiet period, not one per message sent: a send only
    // records the time; a timer that fires early is set again for the rest.
    let last = scheduler.now()
    let wait: Subscription | undefined
    const arm = (delay: number): void => {
      wait = scheduler.schedule(() => {
        const quiet = scheduler.now() - last
        if (quiet >= intervalMs) {
          last = scheduler.now()
          subscriber.next(KEEP_ALIVE)
          arm(intervalMs)
        } else {
          arm(intervalMs - quiet)
        }
      }, delay)
    }
    arm(intervalMs)
    const sub = sent$.subscribe({
      next: () => { last = scheduler.now() },
      error: (err: unknown) => { subscriber.error(err) },
      complete: () => { subscriber.complete() }
    })
    return () => {
      sub.unsubscribe()
      wait?.unsubscribe()
    }
  })
}
