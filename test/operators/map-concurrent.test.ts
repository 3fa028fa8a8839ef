import { describe, expect, it } from 'vitest'
import { mapConcurrent } from '../../operators/map-concurrent.js'

interface Deferred<T> {
  readonly promise: Promise<T>
  resolve: (v: T) => void
  reject: (e: unknown) => void
}

function deferred<T> (): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

/** Let every queued promise callback run (no wall-clock wait: one macrotask turn). */
async function flush (): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => { setImmediate(resolve) })
}

/** A source that counts pulls and `return` calls; optionally fails at pull number `failAt` (0-based). */
function controlledSource<T> (items: readonly T[], failAt?: { pull: number, error: unknown }): {
  readonly iterable: AsyncIterable<T>
  readonly pulls: number
  readonly returns: number
} {
  let pulls = 0
  let returns = 0
  const iterator: AsyncIterator<T> = {
    next: async () => {
      const n = pulls++
      if (failAt !== undefined && n === failAt.pull) throw failAt.error
      return n < items.length ? { done: false, value: items[n] as T } : { done: true, value: undefined }
    },
    return: async () => {
      returns++
      return { done: true, value: undefined }
    }
  }
  return {
    iterable: { [Symbol.asyncIterator]: () => iterator },
    get pulls () { return pulls },
    get returns () { return returns }
  }
}

describe('mapConcurrent', () => {
  it('yields results in settle order and pulls the source at most `concurrency` ahead', async () => {
    const src = controlledSource([0, 1, 2, 3, 4])
    const d = Array.from({ length: 5 }, () => deferred<string>())
    const calls: number[] = []
    const it = mapConcurrent((i: number) => { calls.push(i); return (d[i] as Deferred<string>).promise }, { concurrency: 2 })(src.iterable)[Symbol.asyncIterator]()

    const first = it.next()
    await flush()
    expect(src.pulls).toBe(2)
    expect(calls).toEqual([0, 1])

    // The second call settles first and comes out first.
    d[1]?.resolve('one')
    expect(await first).toEqual({ done: false, value: 'one' })
    const second = it.next()
    await flush()
    expect(src.pulls).toBe(3)
    expect(calls).toEqual([0, 1, 2])

    d[2]?.resolve('two')
    expect(await second).toEqual({ done: false, value: 'two' })
    const third = it.next()
    await flush()
    expect(src.pulls).toBe(4)
    expect(calls).toEqual([0, 1, 2, 3])

    d[0]?.resolve('zero')
    expect(await third).toEqual({ done: false, value: 'zero' })
    const fourth = it.next()
    await flush()
    // Item 4 is pulled, then the source is asked once more and reports its end.
    expect(calls).toEqual([0, 1, 2, 3, 4])
    expect(src.pulls).toBe(5)

    d[4]?.resolve('four')
    expect(await fourth).toEqual({ done: false, value: 'four' })
    const fifth = it.next()
    await flush()
    expect(src.pulls).toBe(6)
    d[3]?.resolve('three')
    expect(await fifth).toEqual({ done: false, value: 'three' })
    expect(await it.next()).toEqual({ done: true, value: undefined })
    expect(src.pulls).toBe(6)
    expect(src.returns).toBe(0)
  })

  it('never has more than `concurrency` calls pending', async () => {
    const src = controlledSource(Array.from({ length: 20 }, (_, i) => i))
    let pending = 0
    let most = 0
    const d = Array.from({ length: 20 }, () => deferred<number>())
    const fn = async (i: number): Promise<number> => {
      pending++
      most = Math.max(most, pending)
      try { return await (d[i] as Deferred<number>).promise } finally { pending-- }
    }
    const out: number[] = []
    const run = (async () => { for await (const v of mapConcurrent(fn, { concurrency: 3 })(src.iterable)) out.push(v) })()
    // Settle in a scrambled order, one at a time, letting the pipeline move on between each.
    const order = [2, 0, 1, 5, 3, 4, 8, 7, 6, 9, 11, 10, 14, 12, 13, 15, 17, 16, 19, 18]
    for (const i of order) {
      await flush()
      expect(src.pulls - out.length).toBeLessThanOrEqual(3)
      d[i]?.resolve(i * 10)
    }
    await run
    expect(most).toBe(3)
    expect(out).toEqual(order.map((i) => i * 10))
  })

  it('with concurrency 1 maps strictly one at a time, in source order', async () => {
    const src = controlledSource([1, 2, 3, 4])
    let active = 0
    let most = 0
    const fn = async (x: number): Promise<number> => {
      active++
      most = Math.max(most, active)
      await flush()
      active--
      return x * x
    }
    const out: number[] = []
    for await (const v of mapConcurrent(fn, { concurrency: 1 })(src.iterable)) out.push(v)
    expect(out).toEqual([1, 4, 9, 16])
    expect(most).toBe(1)
  })

  it('yields a synchronous result at once, ahead of earlier pending ones', async () => {
    const src = controlledSource([0, 1, 2])
    const d0 = deferred<string>()
    const fn = (i: number): string | Promise<string> => i === 0 ? d0.promise : `sync${i}`
    const it = mapConcurrent(fn, { concurrency: 2 })(src.iterable)[Symbol.asyncIterator]()
    expect(await it.next()).toEqual({ done: false, value: 'sync1' })
    expect(await it.next()).toEqual({ done: false, value: 'sync2' })
    const last = it.next()
    await flush()
    let settled = false
    void last.then(() => { settled = true })
    await flush()
    expect(settled).toBe(false)
    d0.resolve('async0')
    expect(await last).toEqual({ done: false, value: 'async0' })
    expect(await it.next()).toEqual({ done: true, value: undefined })
  })

  it('propagates a rejection of fn and asks the source to return', async () => {
    const src = controlledSource([0, 1, 2, 3])
    const d = Array.from({ length: 4 }, () => deferred<number>())
    const it = mapConcurrent((i: number) => (d[i] as Deferred<number>).promise, { concurrency: 2 })(src.iterable)[Symbol.asyncIterator]()
    const first = it.next()
    await flush()
    const boom = new Error('fn failed')
    d[0]?.reject(boom)
    await expect(first).rejects.toBe(boom)
    await flush()
    expect(src.returns).toBe(1)
    // The generator is finished: later results are forgotten.
    d[1]?.resolve(1)
    expect(await it.next()).toEqual({ done: true, value: undefined })
  })

  it('propagates a synchronous throw of fn', async () => {
    const src = controlledSource([0, 1])
    const boom = new Error('sync throw')
    const run = async (): Promise<void> => {
      for await (const _ of mapConcurrent((i: number) => { if (i === 1) throw boom; return i })(src.iterable)) { /* drain */ }
    }
    await expect(run()).rejects.toBe(boom)
    expect(src.returns).toBe(1)
  })

  it('propagates the source error', async () => {
    const boom = new Error('source failed')
    const src = controlledSource([1, 2, 3], { pull: 2, error: boom })
    const out: number[] = []
    const run = async (): Promise<void> => {
      for await (const v of mapConcurrent((x: number) => x + 100, { concurrency: 4 })(src.iterable)) out.push(v)
    }
    await expect(run()).rejects.toBe(boom)
    expect(out).toEqual([101, 102])
    // A source that threw is finished: it is not asked to return.
    expect(src.returns).toBe(0)
  })

  it('breaking out early calls the source return and stops pulling', async () => {
    const src = controlledSource(Array.from({ length: 100 }, (_, i) => i))
    const out: number[] = []
    for await (const v of mapConcurrent(async (x: number) => x, { concurrency: 3 })(src.iterable)) {
      out.push(v)
      if (out.length === 2) break
    }
    expect(out).toHaveLength(2)
    expect(src.returns).toBe(1)
    const pulled = src.pulls
    expect(pulled).toBeLessThanOrEqual(2 + 3 + 1)
    await flush()
    expect(src.pulls).toBe(pulled)
  })

  it('completes only after every pending result has settled', async () => {
    const src = controlledSource([0, 1, 2])
    const d = Array.from({ length: 3 }, () => deferred<number>())
    const out: number[] = []
    let finished = false
    const run = (async () => {
      for await (const v of mapConcurrent((i: number) => (d[i] as Deferred<number>).promise, { concurrency: 8 })(src.iterable)) out.push(v)
      finished = true
    })()
    await flush()
    expect(src.pulls).toBe(4) // three items and the end
    d[2]?.resolve(2)
    await flush()
    expect(out).toEqual([2])
    expect(finished).toBe(false)
    d[0]?.resolve(0)
    await flush()
    expect(finished).toBe(false)
    d[1]?.resolve(1)
    await run
    expect(finished).toBe(true)
    expect(out).toEqual([2, 0, 1])
  })

  it('an empty source completes at once; the default concurrency is 4', async () => {
    const empty = controlledSource<number>([])
    const out: number[] = []
    for await (const v of mapConcurrent(async (x: number) => x)(empty.iterable)) out.push(v)
    expect(out).toEqual([])
    expect(empty.pulls).toBe(1)

    const src = controlledSource(Array.from({ length: 10 }, (_, i) => i))
    const d = Array.from({ length: 10 }, () => deferred<number>())
    const it = mapConcurrent((i: number) => (d[i] as Deferred<number>).promise)(src.iterable)[Symbol.asyncIterator]()
    const first = it.next()
    await flush()
    expect(src.pulls).toBe(4)
    d[3]?.resolve(3)
    expect(await first).toEqual({ done: false, value: 3 })
    await it.return?.()
    expect(src.returns).toBe(1)
  })

  // Each result gets one reaction: settled results queue up for the loop
  // instead of every pending promise being raced on every turn, which grew
  // memory by ~390 bytes per item behind one long-pending result.
  it('attaches a bounded number of reactions to a long-pending result', async () => {
    let thenCalls = 0
    class Counted<T> extends Promise<T> {
      override then<A = T, B = never> (onFulfilled?: ((value: T) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
        thenCalls++
        return super.then(onFulfilled, onRejected)
      }
    }
    let release!: (v: number) => void
    const slow = new Counted<number>((resolve) => { release = resolve })
    const items = 1000
    const src = controlledSource(Array.from({ length: items }, (_, i) => i))
    const out: number[] = []
    const it = mapConcurrent((i: number): Promise<number> => i === 0 ? slow : Promise.resolve(i), { concurrency: 2 })(src.iterable)[Symbol.asyncIterator]()
    for (let k = 1; k < items; k++) {
      const r = await it.next()
      out.push(r.value as number)
    }
    expect(out).toHaveLength(items - 1)
    release(0)
    expect(await it.next()).toEqual({ done: false, value: 0 })
    // Each turn re-subscribed to the slow result: about one `then` per item.
    expect(thenCalls).toBeLessThan(20)
  })
})

