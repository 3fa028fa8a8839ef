/** Options of {@link mapConcurrent}. */
export interface MapConcurrentOptions {
  /** Most calls of `fn` pending at once before the source stops being pulled; default 4. */
  readonly concurrency?: number
}

type Event<T, R> =
  | { readonly kind: 'next', readonly result: IteratorResult<T> }
  | { readonly kind: 'next-failed', readonly error: unknown }
  | { readonly kind: 'done', readonly value: R }
  | { readonly kind: 'failed', readonly error: unknown }

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
  const c = options.concurrency ?? 4
  const concurrency = Number.isFinite(c) ? Math.max(1, Math.floor(c)) : 4
  return async function * (source) {
    const it = source[Symbol.asyncIterator]()
    // Settled events queue up here; each promise gets one reaction only (a
    // race over all pending promises per turn would pile reactions onto a
    // long-pending one).
    const ready: Array<Event<T, R>> = []
    let wake: (() => void) | undefined
    const settle = (e: Event<T, R>): void => {
      ready.push(e)
      const w = wake
      wake = undefined
      w?.()
    }
    let pending = 0
    let pulling = false
    let sourceDone = false
    try {
      while (true) {
        if (!sourceDone && !pulling && pending < concurrency) {
          pulling = true
          it.next().then(
            (result) => { settle({ kind: 'next', result }) },
            (error: unknown) => { settle({ kind: 'next-failed', error }) }
          )
        }
        if (!pulling && pending === 0 && ready.length === 0) return
        if (ready.length === 0) await new Promise<void>((resolve) => { wake = resolve })
        const event = ready.shift() as Event<T, R>
        switch (event.kind) {
          case 'next-failed':
            pulling = false
            sourceDone = true
            throw event.error
          case 'next': {
            pulling = false
            if (event.result.done === true) { sourceDone = true; break }
            const out = fn(event.result.value)
            if (!(out instanceof Promise)) { yield out; break }
            pending++
            out.then(
              (value) => { settle({ kind: 'done', value }) },
              (error: unknown) => { settle({ kind: 'failed', error }) }
            )
            break
          }
          case 'done':
            pending--
            yield event.value
            break
          case 'failed':
            pending--
            throw event.error
        }
      }
    } finally {
      if (!sourceDone) it.return?.()?.catch(() => {})
    }
  }
}
