import { UsageError } from '../../lib/errors.js'
import type { Progress } from '../types.js'
import { formatBytes } from './progress.js'

/**
 * When to stop seeding, as aria2's `--seed-ratio` and `--seed-time`: the
 * ratio is bytes uploaded over the bytes we hold (the torrent's size once
 * complete), the time counts from the moment every piece is verified; seeding
 * stops at whichever comes first. A ratio of 0 means no ratio limit; a time
 * of 0 means no seeding at all after the download.
 */
export interface SeedLimits {
  /** Stop once `uploaded >= ratio × bytes held`; absent or 0: no ratio limit. */
  readonly ratio?: number
  /** Stop after this many minutes of seeding; 0: stop as soon as complete. */
  readonly minutes?: number
}

/**
 * `--seed-ratio` and `--seed-time` flag values.
 * @throws UsageError `bad-args` for a value that is not a non-negative number
 */
export function parseSeedLimits (ratio: string | undefined, minutes: string | undefined): SeedLimits {
  return {
    ...(ratio === undefined ? {} : { ratio: nonNegative(ratio, '--seed-ratio', 'a share ratio such as 1.0 (0: no ratio limit)') }),
    ...(minutes === undefined ? {} : { minutes: nonNegative(minutes, '--seed-time', 'minutes, fractions allowed, such as 30 or 0.5') })
  }
}

/** True when either limit is set. */
export function hasSeedLimits (limits: SeedLimits): boolean {
  return limits.ratio !== undefined || limits.minutes !== undefined
}

/**
 * Tracks one seeding run: feed it every progress snapshot; it answers why
 * seeding should stop now (a sentence for the user), or `undefined`.
 * Time is the snapshot's `elapsedMs` (the pipeline's scheduler), so it
 * needs no clock of its own.
 */
export class SeedStopper {
  readonly #limits: SeedLimits
  #seedingSinceMs: number | undefined

  constructor (limits: SeedLimits) {
    this.#limits = limits
  }

  /** Why to stop after `p`, or `undefined` to go on. */
  check (p: Progress): string | undefined {
    if (p.state !== 'seeding') return undefined
    this.#seedingSinceMs ??= p.elapsedMs
    const { ratio, minutes } = this.#limits
    if (ratio !== undefined && ratio > 0 && p.bytesVerified > 0 && p.uploaded >= ratio * p.bytesVerified) {
      return `seed ratio ${ratio} reached: uploaded ${formatBytes(p.uploaded)} for ${formatBytes(p.bytesVerified)} (ratio ${(p.uploaded / p.bytesVerified).toFixed(2)})`
    }
    if (minutes !== undefined && p.elapsedMs - this.#seedingSinceMs >= minutes * 60_000) {
      return minutes === 0 ? 'seed time 0: not seeding' : `seed time reached: seeded ${minutes} min, uploaded ${formatBytes(p.uploaded)}`
    }
    return undefined
  }
}

function nonNegative (text: string, flag: string, expected: string): number {
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(text.trim()) ? Number(text) : Number.NaN
  if (!Number.isFinite(n)) throw new UsageError('bad-args', `bad ${flag} '${text}': expected ${expected}`)
  return n
}
