/**
 * A token bucket for byte rate limits. Time is an argument (milliseconds on
 * any monotonic clock), so the bucket runs the same under virtual time.
 */
import { UsageError } from '../errors.js'
import { BEP3 } from '../constants.js'

/** Smallest burst: one block plus the 13-byte `piece` message header always fits. */
export const MIN_BURST = BEP3.BLOCK_SIZE + 13

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Bytes per second; `0` or `Infinity` means unlimited. */
  readonly rate: number
  /**
   * Bytes that may go at once after a quiet period. Default: one second at
   * `rate`. Raised to {@link MIN_BURST} when smaller.
   */
  readonly burst?: number
}

function isUnlimited (rate: number): boolean {
  return rate === 0 || rate === Infinity
}

function checkRate (rate: number): void {
  if (Number.isNaN(rate) || rate < 0) {
    throw new UsageError('bad-rate', `rate must be a non-negative number of bytes per second, got ${String(rate)}`, { details: { rate } })
  }
}

function checkNow (now: number): void {
  if (!Number.isFinite(now)) {
    throw new UsageError('bad-time', `time must be a finite number of milliseconds, got ${String(now)}`, { details: { now } })
  }
}

/**
 * A byte-rate token bucket with debt. `take` always accounts the bytes, even
 * beyond what the bucket holds (the balance goes negative), and answers how
 * long the caller must wait before sending them; the debt is what makes later
 * callers wait behind earlier ones. One bucket may be shared by many
 * connections (a global limit) and combined with a per-peer bucket: take
 * from both and wait the longer delay.
 *
 * Over any sequence of takes at a fixed rate, the bytes whose wait has
 * elapsed by time `t` never exceed `burst + rate × (t − start)`, where
 * `start` is the time of the first take (the bucket starts full).
 *
 * @throws UsageError `bad-rate` for a negative or NaN rate, `bad-burst` for a
 *   negative or NaN burst (from the constructor).
 * @see BEP 3
 */
export class TokenBucket {
  #rate: number
  #burst: number
  readonly #burstGiven: boolean
  /** Current balance in bytes; negative is debt. */
  #tokens: number
  /** Time of the last refill; `undefined` until first used. */
  #last: number | undefined

  constructor (options: TokenBucketOptions) {
    checkRate(options.rate)
    const burst = options.burst
    if (burst !== undefined && (Number.isNaN(burst) || burst < 0)) {
      throw new UsageError('bad-burst', `burst must be a non-negative number of bytes, got ${String(burst)}`, { details: { burst } })
    }
    this.#rate = options.rate
    this.#burstGiven = burst !== undefined
    this.#burst = TokenBucket.#burstFor(options.rate, burst)
    this.#tokens = this.#burst
    this.#last = undefined
  }

  static #burstFor (rate: number, burst: number | undefined): number {
    const wanted = burst ?? (isUnlimited(rate) ? MIN_BURST : rate)
    return Math.max(MIN_BURST, wanted)
  }

  /** Bytes per second; `0` or `Infinity` when unlimited. */
  get rate (): number { return this.#rate }

  /** The bucket's capacity in bytes. */
  get burst (): number { return this.#burst }

  /**
   * Account `bytes` sent at `now` (ms) and return how many milliseconds the
   * caller must wait before sending them (`0`: right away). The bytes are
   * counted whatever the answer, so the caller must not take them again.
   * An unlimited bucket always answers `0`. A clock that goes backwards is
   * treated as standing still.
   * @throws UsageError `bad-bytes` for a negative or non-finite byte count,
   *   `bad-time` for a non-finite `now`.
   */
  take (bytes: number, now: number): number {
    if (!Number.isFinite(bytes) || bytes < 0) {
      throw new UsageError('bad-bytes', `byte count must be a finite non-negative number, got ${String(bytes)}`, { details: { bytes } })
    }
    checkNow(now)
    if (isUnlimited(this.#rate)) return 0
    this.#refill(now)
    this.#tokens -= bytes
    if (this.#tokens >= 0) return 0
    return Math.ceil(-this.#tokens * 1000 / this.#rate)
  }

  /**
   * Change the rate from `now` on (ms). Tokens earned until `now` count at
   * the old rate; a burst that was defaulted follows the new rate; debt is
   * kept. Going from unlimited to limited starts with a full bucket.
   * @throws UsageError `bad-rate`, `bad-time`.
   */
  setRate (rate: number, now: number): void {
    checkRate(rate)
    checkNow(now)
    const wasUnlimited = isUnlimited(this.#rate)
    if (!wasUnlimited) this.#refill(now)
    this.#rate = rate
    if (!this.#burstGiven) this.#burst = TokenBucket.#burstFor(rate, undefined)
    this.#tokens = wasUnlimited ? this.#burst : Math.min(this.#tokens, this.#burst)
    this.#last = now
  }

  #refill (now: number): void {
    const last = this.#last
    if (last === undefined) {
      this.#last = now
      return
    }
    if (now <= last) return
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - last) * this.#rate / 1000)
    this.#last = now
  }
}
