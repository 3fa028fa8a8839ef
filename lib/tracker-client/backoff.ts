/**
 * How long to wait before talking to a tracker again: after a failure
 * (exponential backoff, or the tracker's own BEP 31 `retry in`), and after a
 * success (the announce interval, kept inside sane bounds).
 * @see BEP 3, BEP 31
 */

/** Limits of {@link retryDelayMs} and {@link announceDelayMs}. */
export interface BackoffOptions {
  /** Delay after the first failure. Default 15 s. */
  readonly baseMs?: number
  /** Longest delay after repeated failures. Default 30 min. */
  readonly maxMs?: number
  /** Shortest announce interval accepted from a tracker (protects against `interval 0`). Default 30 s. */
  readonly minIntervalMs?: number
  /** Longest announce interval accepted from a tracker. Default 6 h. */
  readonly maxIntervalMs?: number
}

/** Defaults of {@link BackoffOptions}. */
export const BACKOFF_DEFAULTS = {
  baseMs: 15_000,
  maxMs: 30 * 60_000,
  minIntervalMs: 30_000,
  maxIntervalMs: 6 * 3600_000
} as const

/**
 * The delay before retrying a tracker that has now failed `failures` times in
 * a row (1 for the first failure): `baseMs · 2^(failures-1)`, capped at
 * `maxMs`. A BEP 31 `retry in` from the tracker wins: a number of
 * milliseconds is used as is (at least `baseMs`, at most a day), `'never'`
 * returns `'never'` (drop the tracker). Never throws.
 * @see BEP 31
 */
export function retryDelayMs (failures: number, retryInMs?: number | 'never', options: BackoffOptions = {}): number | 'never' {
  const base = options.baseMs ?? BACKOFF_DEFAULTS.baseMs
  const max = options.maxMs ?? BACKOFF_DEFAULTS.maxMs
  if (retryInMs === 'never') return 'never'
  if (retryInMs !== undefined && Number.isFinite(retryInMs)) {
    return Math.min(Math.max(retryInMs, base), 24 * 3600_000)
  }
  const n = Math.max(0, Math.min(Math.floor(failures) - 1, 30))
  return Math.min(base * 2 ** n, max)
}

/**
 * The delay before the next regular announce after a successful one, from the
 * tracker's `interval` and `min interval` (seconds): never below `min
 * interval`, and clamped to `[minIntervalMs, maxIntervalMs]`. Non-finite or
 * negative values count as absent. Never throws.
 * @see BEP 3 (interval), BEP 12
 */
export function announceDelayMs (response: { readonly interval: number, readonly minInterval?: number | undefined }, options: BackoffOptions = {}): number {
  const floor = options.minIntervalMs ?? BACKOFF_DEFAULTS.minIntervalMs
  const ceiling = Math.max(floor, options.maxIntervalMs ?? BACKOFF_DEFAULTS.maxIntervalMs)
  const seconds = (v: number | undefined): number => (v !== undefined && Number.isFinite(v) && v > 0 ? v : 0)
  const wanted = Math.max(seconds(response.interval), seconds(response.minInterval)) * 1000
  return Math.min(Math.max(wanted, floor), ceiling)
}
