/**
 * A sliding-window byte rate: bytes are added with the time they arrived and
 * the rate is the total over the last `windowMs` divided by the window. Time
 * is an argument, so the meter runs the same under virtual time.
 */
export class RateMeter {
  readonly #windowMs: number
  readonly #bucketMs: number
  readonly #buckets: Float64Array
  #head = 0
  #headTime = 0
  #total = 0

  constructor (options: { windowMs?: number, buckets?: number } = {}) {
    this.#windowMs = options.windowMs ?? 5000
    const n = options.buckets ?? 10
    this.#bucketMs = this.#windowMs / n
    this.#buckets = new Float64Array(n)
  }

  /** Count `bytes` at time `now` (milliseconds, monotonic). */
  add (bytes: number, now: number): void {
    this.#advance(now)
    this.#buckets[this.#head] = (this.#buckets[this.#head] as number) + bytes
    this.#total += bytes
  }

  /** Bytes per second over the window ending at `now`. */
  rate (now: number): number {
    this.#advance(now)
    let sum = 0
    for (const b of this.#buckets) sum += b
    return sum * 1000 / this.#windowMs
  }

  /** Every byte ever added. */
  get total (): number { return this.#total }

  #advance (now: number): void {
    const slot = Math.floor(now / this.#bucketMs)
    if (this.#headTime === 0 && this.#total === 0) { this.#headTime = slot; return }
    let steps = slot - this.#headTime
    if (steps <= 0) return
    if (steps > this.#buckets.length) steps = this.#buckets.length
    for (let i = 0; i < steps; i++) {
      this.#head = (this.#head + 1) % this.#buckets.length
      this.#buckets[this.#head] = 0
    }
    this.#headTime = slot
  }
}
