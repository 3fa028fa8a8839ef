/** Options of {@link mapConcurrent}. */
export interface MapConcurrentOptions {
  /** Most calls of `fn` pending at once before the source stops being pulled; default 4. */
  readonly concurrency?: number
}

type Event<T, R> =
  | { readonly kind: 'next', readonly result: IteratorResult<T> }
  | { readonly kind: 'next-failed', readonly error: unknown }
  | { readonly kind: 'done', readonly id: number, readonly value: R }
  | { readonly kind: 'failed', readonly id: number, readonly error: unknown }

/**
 * Map each item through `fn`, with up to `concurrency` results pending at
 * once, and yield results in the order they settle (not source order). A
 * synchronous result is yielded without waiting for earlier pending ones.
 *
 * Backpressure: while `concurrency` results are pending the source is not
 * pulled. Completion: after the source ends and every pending result has
 * settled. Cancellation: ending the iteration early asks the source to
 * return and forgets pending results (they still run to completion).
 * @throws the first rejection of `fn` (thrown once it settles, before later
 *   results), or the source's error.
 */
export function mapConcurrent<T, R> (fn: (item: T) => R | Promise<R>, options: MapConcurrentOptions = {}): (source: AsyncIterable<T>) => AsyncIterable<R> {
  const concurrency = Math.max(1, options.concurrency ?? 4)
  return async function * (source) {
    const it = source[Symbol.asyncIterator]()
    const pending = new Map<number, Promise<Event<T, R>>>()
    let pull: Promise<Event<T, R>> | undefined
    let sourceDone = false
    let nextId = 0
    try {
      while (true) {
        if (!sourceDone && pull === undefined && pending.size < concurrency) {
          pull = it.next().then(
            (result): Event<T, R> => ({ kind: 'next', result }),
            (error: unknown): Event<T, R> => ({ kind: 'next-failed', error })
          )
        }
        if (pull === undefined && pending.size === 0) return
        const event = await Promise.race(pull === undefined ? pending.values() : [pull, ...pending.values()])
        switch (event.kind) {
          case 'next-failed':
            sourceDone = true
            throw event.error
          case 'next': {
            pull = undefined
            if (event.result.done === true) { sourceDone = true; break }
            const out = fn(event.result.value)
            if (!(out instanceof Promise)) { yield out; break }
            const id = nextId++
            pending.set(id, out.then(
              (value): Event<T, R> => ({ kind: 'done', id, value }),
              (error: unknown): Event<T, R> => ({ kind: 'failed', id, error })
            ))
            break
          }
          case 'done':
            pending.delete(event.id)
            yield event.value
            break
          case 'failed':
            pending.delete(event.id)
            throw event.error
        }
      }
    } finally {
      if (!sourceDone) it.return?.()?.catch(() => {})
    }
  }
}
