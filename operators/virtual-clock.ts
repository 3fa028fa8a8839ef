import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs'
import { UsageError } from '../lib/errors.js'

/** Options of {@link VirtualClock.run}. */
export interface VirtualRunOptions {
  /** Virtual milliseconds to run at most, from the current time. */
  readonly forMs: number
  /** Stop as soon as this holds; checked each time an instant has settled. */
  readonly until?: () => boolean
  /**
   * Lets pending asynchronous work run (promise continuations, async
   * iterators, storage): one macrotask turn, e.g.
   * `() => new Promise((resolve) => { setImmediate(resolve) })`.
   */
  readonly settle: () => Promise<void>
  /** Settle turns in a row with nothing due before an instant counts as quiet. Default 2. */
  readonly quietTurns?: number
}

/** One scheduled piece of work; rescheduling it (rxjs `interval`, `timer`) reuses it. */
class VirtualAction<T> extends Subscription implements SchedulerAction<T> {
  /** Sequence number of its live queue entry; `undefined` while not queued. */
  entry: number | undefined

  constructor (readonly clock: VirtualClock, readonly work: (this: SchedulerAction<T>, state?: T) => void, public state: T | undefined) {
    super()
  }

  schedule (state?: T, delay = 0): Subscription {
    if (this.closed) return this
    this.state = state
    this.clock.enqueue(this, delay)
    return this
  }
}

interface Entry {
  readonly at: number
  readonly seq: number
  readonly action: VirtualAction<any>
}

const before = (a: Entry, b: Entry): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/**
 * A `SchedulerLike` on virtual time, for running whole pipelines (`download`,
 * `seed`, a swarm of them on a memory network) without waiting on the wall
 * clock. `now()` is virtual; scheduled work (rxjs `timer`, `interval`,
 * `timeout`, rescheduling included) runs only when the clock is advanced, in
 * order of due time, then of scheduling.
 *
 * Pipelines also await promises between timers, so time must not jump while
 * such work is pending: {@link VirtualClock.run} runs what is due, lets the
 * caller's `settle` turn the event loop until nothing new is due at this
 * instant, and only then jumps to the next scheduled action.
 *
 * ```
 * schedule(a, 10); schedule(b, 5)   run({ forMs: 20 })   b at 5, a at 10, clock at 20
 * ```
 * @throws UsageError `bad-delay` from `schedule` for a NaN delay; whatever
 *   scheduled work throws is rethrown from `runDue`/`advanceTo`/`run` (the
 *   failing action is unsubscribed).
 */
export class VirtualClock implements SchedulerLike {
  #now: number
  #seq = 0
  /** A binary min-heap of entries by (at, seq); stale entries are skipped when they surface. */
  readonly #heap: Entry[] = []

  constructor (start = 0) {
    this.#now = start
  }

  now (): number { return this.#now }

  /** Schedule `work` at now + `delay` virtual milliseconds (the `SchedulerLike` contract). */
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const action = new VirtualAction<T>(this, work, state)
    this.enqueue(action, delay)
    return action
  }

  /**
   * Queue `action` at now + `delay` (negative: now; infinite: never). Used by actions rescheduling themselves.
   * @internal
   */
  enqueue (action: VirtualAction<any>, delay: number): void {
    if (Number.isNaN(delay)) throw new UsageError('bad-delay', 'a scheduled delay must be a number, got NaN')
    action.entry = undefined
    if (delay === Infinity) return
    const entry: Entry = { at: this.#now + Math.max(0, delay), seq: this.#seq++, action }
    action.entry = entry.seq
    this.#push(entry)
  }

  /** Time of the earliest pending action, `undefined` when none is pending. */
  nextAt (): number | undefined {
    return this.#peek()?.at
  }

  /** Pending actions. */
  get pending (): number {
    let n = 0
    for (const e of this.#heap) if (live(e)) n++
    return n
  }

  /**
   * Runs every action due now that was scheduled before this call, in
   * order; returns how many ran. Work they schedule for now waits for the
   * next call, as a zero delay on a real scheduler waits for the next
   * event-loop turn. Does not move the clock.
   */
  runDue (): number {
    let ran = 0
    const limit = this.#seq
    for (let e = this.#peek(); e !== undefined && e.at <= this.#now && e.seq < limit; e = this.#peek()) {
      this.#pop()
      const action = e.action
      action.entry = undefined
      ran++
      try {
        action.work.call(action, action.state)
      } catch (err) {
        action.unsubscribe()
        throw err
      }
    }
    return ran
  }

  /**
   * Moves to `time` synchronously, running each action at its own due time
   * on the way; no asynchronous work runs in between (see `run` for that).
   */
  advanceTo (time: number): void {
    for (let next = this.nextAt(); next !== undefined && next <= time; next = this.nextAt()) {
      this.#now = Math.max(this.#now, next)
      this.runDue()
    }
    this.#now = Math.max(this.#now, time)
  }

  /**
   * Drives the clock: at each instant, runs what is due and settles until
   * `quietTurns` settle turns in a row found nothing due; then checks
   * `until`; then jumps to the next pending action. Stops when `until`
   * holds (resolves `true`) or when the next action lies beyond `forMs`
   * (the clock is left at the deadline; resolves `false`).
   * Cancellation: none; stop by making `until` hold.
   */
  async run (options: VirtualRunOptions): Promise<boolean> {
    const deadline = this.#now + options.forMs
    const quiet = options.quietTurns ?? 2
    while (true) {
      for (let calm = 0; calm < quiet;) {
        const ran = this.runDue()
        await options.settle()
        const due = this.nextAt()
        calm = ran > 0 || (due !== undefined && due <= this.#now) ? 0 : calm + 1
      }
      if (options.until?.() === true) return true
      const next = this.nextAt()
      if (next === undefined || next > deadline) {
        if (Number.isFinite(deadline)) this.#now = Math.max(this.#now, deadline)
        return false
      }
      this.#now = next
    }
  }

  #peek (): Entry | undefined {
    while (this.#heap.length > 0) {
      const top = this.#heap[0] as Entry
      if (live(top)) return top
      this.#pop()
    }
    return undefined
  }

  #push (e: Entry): void {
    const h = this.#heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(e, h[parent] as Entry)) break
      h[i] = h[parent] as Entry
      i = parent
    }
    h[i] = e
  }

  #pop (): void {
    const h = this.#heap
    const last = h.pop()
    if (last === undefined || h.length === 0) return
    let i = 0
    while (true) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      let best = last
      if (l < h.length && before(h[l] as Entry, best)) { m = l; best = h[l] as Entry }
      if (r < h.length && before(h[r] as Entry, best)) { m = r; best = h[r] as Entry }
      if (m === i) break
      h[i] = best
      i = m
    }
    h[i] = last
  }
}

/** An entry still stands for its action: not unsubscribed, not rescheduled since. */
function live (e: Entry): boolean {
  return !e.action.closed && e.action.entry === e.seq
}
