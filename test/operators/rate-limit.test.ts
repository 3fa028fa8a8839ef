import { describe, it, expect } from 'vitest'
import { VirtualTimeScheduler } from 'rxjs'
import { rateLimit, rateLimitedSource } from '../../operators/rate-limit.js'
import { MIN_BURST, TokenBucket } from '../../lib/stats/token-bucket.js'

const KiB = 1024
const BLOCK = 16 * KiB

/** Let every pending promise continuation run (a macrotask turn, not a wall-clock wait). */
const settle = (): Promise<void> => new Promise<void>((resolve) => { setImmediate(resolve) })

/** Advance virtual time one due instant at a time until `done()`, letting async code run in between. */
async function runUntil (done: () => boolean, scheduler: VirtualTimeScheduler): Promise<void> {
  for (let guard = 0; guard < 10_000; guard++) {
    await settle()
    if (done()) return
    const next = scheduler.actions[0]
    if (next === undefined) throw new Error('stalled: nothing scheduled and not done')
    scheduler.maxFrames = next.delay
    scheduler.flush()
  }
  throw new Error('did not finish')
}

interface Log { pulls: number[], yields: Array<[number, number]> }

/** A source of `n` blocks that records the virtual time of every pull. */
function blocks (n: number, scheduler: VirtualTimeScheduler, log: Log, size = BLOCK): AsyncIterable<Uint8Array> {
  return (async function * () {
    for (let i = 0; i < n; i++) {
      log.pulls.push(scheduler.now())
      yield new Uint8Array(size).fill(i)
    }
  })()
}

/** Consume `source`, logging [time, first byte] for each item; returns a done flag and the promise. */
function consume (source: AsyncIterable<Uint8Array>, scheduler: VirtualTimeScheduler, log: Log): { done: () => boolean, finished: Promise<void> } {
  let finished = false
  const p = (async () => {
    for await (const item of source) log.yields.push([scheduler.now(), item[0] ?? -1])
  })().finally(() => { finished = true })
  return { done: () => finished, finished: p }
}

describe('rateLimit', () => {
  it('sends 10 × 16 KiB at 32 KiB/s with a one-block burst in 4.5 s of virtual time', async () => {
    const scheduler = new VirtualTimeScheduler()
    const bucket = new TokenBucket({ rate: 32 * KiB, burst: BLOCK })
    const log: Log = { pulls: [], yields: [] }
    const c = consume(rateLimit([bucket], { scheduler })(blocks(10, scheduler, log)), scheduler, log)
    await runUntil(c.done, scheduler)
    await c.finished
    expect(log.yields.map(([t]) => t)).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500])
    expect(log.yields.map(([, v]) => v)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('pulls nothing from the source ahead of the limit', async () => {
    const scheduler = new VirtualTimeScheduler()
    const bucket = new TokenBucket({ rate: 32 * KiB, burst: BLOCK })
    const log: Log = { pulls: [], yields: [] }
    const c = consume(rateLimit([bucket], { scheduler })(blocks(5, scheduler, log)), scheduler, log)
    await runUntil(c.done, scheduler)
    // item i+1 is pulled only once item i has been yielded
    expect(log.pulls).toEqual([0, 0, 500, 1000, 1500])
    for (let i = 1; i < log.pulls.length; i++) {
      expect(log.pulls[i]).toBe(log.yields[i - 1]?.[0])
    }
  })

  it('stops pulling when the consumer stops asking, however much time passes', async () => {
    const scheduler = new VirtualTimeScheduler()
    const bucket = new TokenBucket({ rate: 32 * KiB, burst: BLOCK })
    const log: Log = { pulls: [], yields: [] }
    const it = rateLimit([bucket], { scheduler })(blocks(100, scheduler, log))[Symbol.asyncIterator]()
    expect((await it.next()).done).toBe(false)
    const second = it.next()
    await runUntil(() => log.pulls.length === 2 && scheduler.actions.length === 0, scheduler)
    expect((await second).done).toBe(false)
    // the consumer now sits idle while virtual time moves on a minute
    scheduler.schedule(() => {}, 60_000)
    scheduler.maxFrames = Infinity
    scheduler.flush()
    await settle()
    expect(log.pulls).toEqual([0, 0])
    await it.return?.()
  })

  it('splits one shared bucket between two sources', async () => {
    const scheduler = new VirtualTimeScheduler()
    const shared = new TokenBucket({ rate: 32 * KiB, burst: BLOCK })
    const a: Log = { pulls: [], yields: [] }
    const b: Log = { pulls: [], yields: [] }
    const ca = consume(rateLimit([shared], { scheduler })(blocks(5, scheduler, a)), scheduler, a)
    const cb = consume(rateLimit([shared], { scheduler })(blocks(5, scheduler, b)), scheduler, b)
    await runUntil(() => ca.done() && cb.done(), scheduler)
    // together they keep the bucket's 32 KiB/s; each gets half of it
    const all = [...a.yields, ...b.yields].map(([t]) => t).sort((x, y) => x - y)
    expect(all).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500])
    expect(a.yields.map(([t]) => t)).toEqual([0, 1000, 2000, 3000, 4000])
    expect(b.yields.map(([t]) => t)).toEqual([500, 1500, 2500, 3500, 4500])
  })

  it('waits for the slowest of several buckets (global and per-peer)', async () => {
    const scheduler = new VirtualTimeScheduler()
    const global = new TokenBucket({ rate: 1024 * KiB })
    const perPeer = new TokenBucket({ rate: 16 * KiB, burst: BLOCK })
    const log: Log = { pulls: [], yields: [] }
    const c = consume(rateLimitedSource(blocks(4, scheduler, log), [global, perPeer], { scheduler }), scheduler, log)
    await runUntil(c.done, scheduler)
    expect(log.yields.map(([t]) => t)).toEqual([0, 1000, 2000, 3000])
  })

  it('passes through without scheduling anything when unlimited', async () => {
    const scheduler = new VirtualTimeScheduler()
    const log: Log = { pulls: [], yields: [] }
    const out: number[] = []
    for await (const x of rateLimit([new TokenBucket({ rate: 0 })], { scheduler })(blocks(20, scheduler, log))) out.push(x[0] ?? -1)
    expect(out).toHaveLength(20)
    expect(scheduler.actions).toHaveLength(0)
  })

  it('measures byte arrays, lists of arrays and anything with byteLength', async () => {
    const scheduler = new VirtualTimeScheduler()
    const bucket = new TokenBucket({ rate: 32 * KiB, burst: MIN_BURST })
    const items = [new Uint8Array(BLOCK), [new Uint8Array(8 * KiB), new Uint8Array(8 * KiB)], { byteLength: BLOCK }]
    const source = (async function * () { yield * items })()
    const times: number[] = []
    let finished = false
    const p = (async () => {
      for await (const item of rateLimit([bucket], { scheduler })(source)) {
        times.push(scheduler.now())
        expect(items).toContain(item)
      }
    })().finally(() => { finished = true })
    await runUntil(() => finished, scheduler)
    await p
    expect(times).toEqual([0, 500, 1000])
  })

  it('ends with the abort reason while waiting, and returns the source', async () => {
    const scheduler = new VirtualTimeScheduler()
    const bucket = new TokenBucket({ rate: 32 * KiB, burst: BLOCK })
    const controller = new AbortController()
    let returned = false
    const source = (async function * () {
      try {
        for (let i = 0; ; i++) yield new Uint8Array(BLOCK)
      } finally { returned = true }
    })()
    const it = rateLimit([bucket], { scheduler, signal: controller.signal })(source)[Symbol.asyncIterator]()
    await it.next()
    const waiting = it.next() // 500 ms of debt: waits on the scheduler
    await settle()
    expect(scheduler.actions).toHaveLength(1)
    const reason = new Error('stop')
    controller.abort(reason)
    await expect(waiting).rejects.toBe(reason)
    expect(returned).toBe(true)
    expect(scheduler.actions).toHaveLength(0) // the timer was cancelled
  })

  it('ends with the abort reason while the source is stalled', async () => {
    const controller = new AbortController()
    const never = { [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Uint8Array>>(() => {}) }) }
    const it = rateLimit([new TokenBucket({ rate: 1000 })], { signal: controller.signal })(never)[Symbol.asyncIterator]()
    const pending = it.next()
    controller.abort('gone')
    await expect(pending).rejects.toBe('gone')
  })

  it('refuses to start when already aborted, without pulling', async () => {
    const controller = new AbortController()
    controller.abort('early')
    const log: Log = { pulls: [], yields: [] }
    const scheduler = new VirtualTimeScheduler()
    const it = rateLimit([new TokenBucket({ rate: 1000 })], { signal: controller.signal, scheduler })(blocks(3, scheduler, log))[Symbol.asyncIterator]()
    await expect(it.next()).rejects.toBe('early')
    expect(log.pulls).toEqual([])
  })

  it('passes source errors through', async () => {
    const boom = new Error('boom')
    const source = (async function * () { yield new Uint8Array(1); throw boom })()
    const out: number[] = []
    await expect((async () => {
      for await (const x of rateLimit([new TokenBucket({ rate: 0 })])(source)) out.push(x.byteLength)
    })()).rejects.toBe(boom)
    expect(out).toEqual([1])
  })
})
