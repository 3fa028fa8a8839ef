import { describe, expect, it } from 'vitest'
import { interval, timer, timeout, Subject, take } from 'rxjs'
import { VirtualClock } from '../../operators/virtual-clock.js'

/** One macrotask turn: every pending promise continuation runs first. */
const settle = (): Promise<void> => new Promise<void>((resolve) => { setImmediate(resolve) })

describe('VirtualClock', () => {
  it('runs scheduled work in order of due time, then of scheduling, only when advanced', () => {
    const clock = new VirtualClock()
    const log: string[] = []
    clock.schedule(() => { log.push(`a@${clock.now()}`) }, 10)
    clock.schedule(() => { log.push(`b@${clock.now()}`) }, 5)
    clock.schedule(() => { log.push(`c@${clock.now()}`) }, 10)
    clock.schedule(() => { log.push(`d@${clock.now()}`) }, -3)
    expect(log).toEqual([])
    expect(clock.pending).toBe(4)
    expect(clock.nextAt()).toBe(0)
    clock.advanceTo(7)
    expect(log).toEqual(['d@0', 'b@5'])
    expect(clock.now()).toBe(7)
    clock.advanceTo(100)
    expect(log).toEqual(['d@0', 'b@5', 'a@10', 'c@10'])
    expect(clock.now()).toBe(100)
    expect(clock.nextAt()).toBeUndefined()
  })

  it('drives rxjs interval and timer, whose actions reschedule themselves, and stops them on unsubscribe', () => {
    const clock = new VirtualClock(1000)
    const ticks: number[] = []
    const sub = interval(300, clock).subscribe(() => { ticks.push(clock.now()) })
    const once: number[] = []
    timer(450, clock).subscribe(() => { once.push(clock.now()) })
    clock.advanceTo(2000)
    expect(ticks).toEqual([1300, 1600, 1900])
    expect(once).toEqual([1450])
    sub.unsubscribe()
    expect(clock.pending).toBe(0)
    clock.advanceTo(5000)
    expect(ticks).toHaveLength(3)
  })

  it('an unsubscribed action never runs; a rescheduled one runs only at its new time', () => {
    const clock = new VirtualClock()
    const log: number[] = []
    const cancelled = clock.schedule(() => { log.push(-1) }, 10)
    cancelled.unsubscribe()
    clock.schedule(function (n?: number) {
      log.push(clock.now())
      if ((n ?? 0) < 2) this.schedule((n ?? 0) + 1, 7)
    }, 1, 0)
    clock.advanceTo(50)
    expect(log).toEqual([1, 8, 15])
  })

  it('rxjs timeout fires on virtual time', () => {
    const clock = new VirtualClock()
    const s = new Subject<number>()
    let error: unknown
    s.pipe(timeout({ each: 1000, scheduler: clock })).subscribe({ error: (e: unknown) => { error = e } })
    clock.advanceTo(900)
    s.next(1)
    clock.advanceTo(1800)
    expect(error).toBeUndefined()
    clock.advanceTo(1900)
    expect((error as Error).name).toBe('TimeoutError')
  })

  it('rethrows what scheduled work throws and drops the failing action', () => {
    const clock = new VirtualClock()
    clock.schedule(() => { throw new Error('boom') }, 1)
    expect(() => { clock.advanceTo(2) }).toThrow('boom')
    expect(clock.pending).toBe(0)
  })

  it('rejects a NaN delay with a typed error', () => {
    const clock = new VirtualClock()
    expect(() => clock.schedule(() => {}, Number.NaN)).toThrow(expect.objectContaining({ name: 'UsageError', code: 'bad-delay' }))
  })

  it('run lets promise work finish at each instant before time moves on', async () => {
    const clock = new VirtualClock()
    const log: string[] = []
    // A loop that awaits async work (several promise hops) between timer waits.
    const work = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve) => { timer(1000, clock).subscribe(() => { resolve() }) })
        for (let hop = 0; hop < 5; hop++) await Promise.resolve()
        log.push(`step ${i} at ${clock.now()}`)
      }
    }
    let finished = false
    void work().then(() => { finished = true })
    // A second source of timers that would run ahead if time jumped too soon.
    const ticks = interval(250, clock).subscribe(() => { log.push(`tick ${clock.now()}`) })
    const held = await clock.run({ until: () => finished, forMs: 60_000, settle })
    ticks.unsubscribe()
    expect(held).toBe(true)
    expect(clock.now()).toBe(3000)
    expect(log.filter((l) => l.startsWith('step'))).toEqual(['step 0 at 1000', 'step 1 at 2000', 'step 2 at 3000'])
    // Every step is logged at its own instant, after that instant's tick.
    expect(log.indexOf('step 0 at 1000')).toBe(log.indexOf('tick 1000') + 1)
  })

  it('run stops at the deadline when the condition never holds, or when nothing is scheduled', async () => {
    const clock = new VirtualClock()
    const seen: number[] = []
    const sub = interval(1000, clock).pipe(take(100)).subscribe(() => { seen.push(clock.now()) })
    expect(await clock.run({ until: () => false, forMs: 3500, settle })).toBe(false)
    expect(clock.now()).toBe(3500)
    expect(seen).toEqual([1000, 2000, 3000])
    sub.unsubscribe()
    expect(await clock.run({ forMs: 10_000, settle })).toBe(false)
    expect(clock.now()).toBe(13_500)
  })
})
