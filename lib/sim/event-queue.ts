/**
 * The clock of a simulated swarm: a priority queue of actions by virtual
 * time, ties in the order they were scheduled. Nothing waits on the event
 * loop; `runUntil` runs actions one after the other, moving time to each.
 */

/** Virtual time is counted in steps of 1/1024 ms (about a microsecond). */
const TICKS_PER_MS = 1024
/** The clock's resolution, in ms. */
export const TICK_MS = 1 / TICKS_PER_MS

interface Scheduled {
  readonly at: number
  readonly seq: number
  readonly fn: () => void
}

/** A binary min-heap of actions by (time, order scheduled). */
export class EventQueue {
  readonly #heap: Scheduled[] = []
  #seq = 0
  #now = 0
  /** Actions run so far. */
  ran = 0

  /** Virtual ms. */
  get now (): number { return this.#now }
  /** Actions waiting. */
  get size (): number { return this.#heap.length }
  /** When the next action is due; `Infinity` with none. */
  get nextAt (): number { return this.#heap.length === 0 ? Infinity : (this.#heap[0] as Scheduled).at }

  /**
   * Run `fn` at virtual time `at` (now, if `at` is in the past), rounded up
   * to a multiple of {@link TICK_MS}: times are then exact binary fractions,
   * so sums and differences of them carry no rounding error.
   */
  at (at: number, fn: () => void): void {
    const tick = Math.ceil(at * TICKS_PER_MS) / TICKS_PER_MS
    const e: Scheduled = { at: tick < this.#now ? this.#now : tick, seq: this.#seq++, fn }
    const h = this.#heap
    let i = h.length
    h.push(e)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = h[parent] as Scheduled
      if (p.at < e.at || (p.at === e.at && p.seq < e.seq)) break
      h[i] = p
      i = parent
    }
    h[i] = e
  }

  /** Run `fn` `delay` ms from now. */
  after (delay: number, fn: () => void): void { this.at(this.#now + delay, fn) }

  /**
   * Run actions in order while the next one is due no later than `end` and
   * at most `budget` of them; `instant(now)` runs after the last action of
   * each virtual instant and returns true to stop. Returns true when it
   * stopped because `instant` said so.
   */
  runUntil (end: number, budget: number, instant: (now: number) => boolean): boolean {
    const h = this.#heap
    let ran = 0
    while (ran < budget && h.length > 0 && (h[0] as Scheduled).at <= end) {
      const e = this.#pop()
      this.#now = e.at
      e.fn()
      ran++
      if (this.nextAt !== e.at && instant(this.#now)) { this.ran += ran; return true }
    }
    this.ran += ran
    return false
  }

  /** Move the clock forward to `t` (when nothing is due before it). */
  advanceTo (t: number): void { if (t > this.#now) this.#now = Math.ceil(t * TICKS_PER_MS) / TICKS_PER_MS }

  #pop (): Scheduled {
    const h = this.#heap
    const top = h[0] as Scheduled
    const last = h.pop() as Scheduled
    if (h.length > 0) {
      let i = 0
      const n = h.length
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        let c = l
        if (r < n && before(h[r] as Scheduled, h[l] as Scheduled)) c = r
        if (!before(h[c] as Scheduled, last)) break
        h[i] = h[c] as Scheduled
        i = c
      }
      h[i] = last
    }
    return top
  }
}

function before (a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}
