import { asyncScheduler, throwError, timeout } from 'rxjs'
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
  return timeout({
    each: timeoutMs,
    scheduler: options.scheduler ?? asyncScheduler,
    with: () => throwError(() => new TimeoutError('idle', `nothing received for ${timeoutMs} ms`, { details: { timeoutMs } }))
  })
}
