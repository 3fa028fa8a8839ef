import { Observable, Subscription, asyncScheduler } from 'rxjs'
import type { MonoTypeOperatorFunction, SchedulerLike } from 'rxjs'
import { LIMITS } from '../lib/constants.js'
import { TimeoutError } from '../lib/errors.js'

/** Options of {@link idleTimeout}. */
export interface IdleTimeoutOptions {
  /** Longest silence allowed, from subscription and between values. Default `LIMITS.idleTimeoutMs`. */
  readonly timeoutMs?: number
  /** Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike
}

/**
 * Mirror the source, failing with `TimeoutError` `idle` (disconnect) when it
 * stays silent for `timeoutMs` — from subscription or since its last value.
 *
 * ```
 * source:  -a--b-----------
 * result:  -a--b-----#          (timeoutMs = 6 frames)
 * ```
 * Completes when the source completes; unsubscribes from the source on timeout.
 * @throws TimeoutError `idle` (disconnect), as an error notification
 * @see ADVERSARIAL C40
 */
export function idleTimeout<T> (options: IdleTimeoutOptions = {}): MonoTypeOperatorFunction<T> {
  const timeoutMs = options.timeoutMs ?? LIMITS.idleTimeoutMs
  const scheduler = options.scheduler ?? asyncScheduler
  // One timer per silence period, not one per value: a value only records
  // the time; when the timer fires early (a value came since) it is set
  // again for the rest of the period. Values cost a clock read on busy
  // connections that see thousands of messages a second.
  return (source) => new Observable<T>((subscriber) => {
    let last = scheduler.now()
    let timer: Subscription | undefined
    const arm = (delay: number): void => {
      timer = scheduler.schedule(() => {
        const idle = scheduler.now() - last
        if (idle >= timeoutMs) {
          sub.unsubscribe()
          subscriber.error(new TimeoutError('idle', `nothing received for ${timeoutMs} ms`, { details: { timeoutMs } }))
        } else {
          arm(timeoutMs - idle)
        }
      }, delay)
    }
    const sub = new Subscription()
    arm(timeoutMs)
    sub.add(source.subscribe({
      next: (v) => { last = scheduler.now(); subscriber.next(v) },
      error: (err: unknown) => { subscriber.error(err) },
      complete: () => { subscriber.complete() }
    }))
    return () => {
      timer?.unsubscribe()
      sub.unsubscribe()
    }
  })
}
