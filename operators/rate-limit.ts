import { asyncScheduler, timer } from 'rxjs'
import type { SchedulerLike } from 'rxjs'
import type { TokenBucket } from '../lib/stats/token-bucket.js'

/** What {@link rateLimit} can measure: bytes, a list of byte arrays, or anything with a `byteLength` (e.g. a `Uint8ArrayList`). */
export type RateLimitedItem = Uint8Array | { readonly byteLength: number } | Uint8Array[]

/** Options of {@link rateLimit} and {@link rateLimitedSource}. */
export interface RateLimitOptions {
  /** Runs the waits and gives the time; default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike
  readonly signal?: AbortSignal
}

function sizeOf (item: RateLimitedItem): number {
  if (Array.isArray(item)) {
    let n = 0
    for (const chunk of item) n += chunk.byteLength
    return n
  }
  return item.byteLength
}

function abortError (signal: AbortSignal): unknown {
  return signal.reason
}

/** Resolve after `ms` on `scheduler`; reject with the signal's reason on abort. */
function delay (ms: number, scheduler: SchedulerLike, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      subscription.unsubscribe()
      reject(abortError(signal as AbortSignal))
    }
    const subscription = timer(ms, scheduler).subscribe(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    })
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Settle with `promise`, or reject with the signal's reason as soon as it aborts. */
function raceAbort<R> (promise: Promise<R>, signal: AbortSignal | undefined): Promise<R> {
  if (signal === undefined) return promise
  return new Promise<R>((resolve, reject) => {
    const onAbort = (): void => { reject(abortError(signal)) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value) },
      (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error) }
    )
  })
}

/**
 * Limit the byte rate of an async iterable: before yielding each item, its
 * byte size is taken from every bucket and the iteration waits, on the
 * scheduler, for the longest of their delays. `buckets` is read at each
 * item, so an array the caller changes in place (a connection routed to
 * its torrent) applies from the next item.
 *
 * ```
 * 32 KiB/s, burst 16 KiB, 16 KiB items:  a b c d  →  a 500ms b 500ms c 500ms d
 * ```
 *
 * Backpressure: the next item is pulled from the source only after the
 * previous one has been yielded and the consumer asks again, so a limited
 * download stops reading its socket and the peer's TCP window closes.
 * Completes when the source does; source errors pass through.
 * Cancellation: aborting `signal` ends the iteration with the signal's reason,
 * also while waiting on a delay or on the source (the source is then asked to
 * `return()` without waiting for it). Breaking out of the loop returns the source.
 *
 * @example
 * ```ts
 * const global = new TokenBucket({ rate: 1_000_000 })
 * const perPeer = new TokenBucket({ rate: 100_000 })
 * for await (const chunk of rateLimit([global, perPeer], { signal })(duplex.source)) { … }
 * ```
 * @throws the signal's reason on abort; whatever the source throws;
 *   UsageError `bad-bytes` from a bucket for an item whose size is not a
 *   finite non-negative number.
 * @see BEP 3
 */
export function rateLimit (buckets: readonly TokenBucket[], options: RateLimitOptions = {}): <T extends RateLimitedItem>(source: AsyncIterable<T>) => AsyncIterable<T> {
  const scheduler = options.scheduler ?? asyncScheduler
  const { signal } = options
  return <T extends RateLimitedItem>(source: AsyncIterable<T>): AsyncIterable<T> => (async function * () {
    signal?.throwIfAborted()
    const iterator = source[Symbol.asyncIterator]()
    let finished = false
    try {
      while (true) {
        let next: IteratorResult<T>
        try {
          next = await raceAbort(iterator.next(), signal)
        } catch (error) {
          // A failed or aborted pull: the source is not awaited again.
          finished = true
          if (signal?.aborted === true) void iterator.return?.()?.catch(() => {})
          throw error
        }
        if (next.done === true) {
          finished = true
          return
        }
        const size = sizeOf(next.value)
        const now = scheduler.now()
        let wait = 0
        for (const bucket of buckets) wait = Math.max(wait, bucket.take(size, now))
        if (wait > 0) await delay(wait, scheduler, signal)
        signal?.throwIfAborted()
        yield next.value
      }
    } finally {
      if (!finished) await iterator.return?.()
    }
  })()
}

/**
 * `source` limited by `buckets`: the same as `rateLimit(buckets, options)(source)`.
 * @throws see {@link rateLimit}.
 * @see BEP 3
 */
export function rateLimitedSource<T extends RateLimitedItem> (source: AsyncIterable<T>, buckets: readonly TokenBucket[], options: RateLimitOptions = {}): AsyncIterable<T> {
  return rateLimit(buckets, options)(source)
}
