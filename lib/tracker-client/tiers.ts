/**
 * BEP 12 multitracker state: the announce tiers of a torrent, each shuffled
 * once, tried in order; a tracker that answers moves to the front of its
 * tier; a tracker that fails waits out its backoff while the next one (then
 * the next tier) is tried. Time and randomness are arguments.
 *
 * A private torrent (BEP 27) must get peers from these trackers only: the
 * pipeline that uses this state turns DHT, PEX and LSD off for it.
 * @see BEP 12, BEP 27, BEP 31
 */
import { retryDelayMs, type BackoffOptions } from './backoff.js'

/** One tracker's standing. */
export interface TrackerStanding {
  readonly url: string
  /** Index of its tier (0 is tried first). */
  readonly tier: number
  /** Failures in a row since it last answered. */
  readonly failures: number
  /** Not to be tried before this time (ms, the caller's clock). */
  readonly retryAtMs: number
  /** `retry in: never` (BEP 31) or a permanent refusal: never tried again. */
  readonly dropped: boolean
  /** It has answered an announce at least once. */
  readonly answered: boolean
}

type Mutable = { -readonly [K in keyof TrackerStanding]: TrackerStanding[K] }

/** Options of {@link TrackerTiers}. */
export interface TrackerTiersOptions extends BackoffOptions {
  /** Most trackers kept (the rest are ignored). Default 200. */
  readonly maxTrackers?: number
}

/**
 * The mutable multitracker state of one torrent. Duplicate URLs keep their
 * first place; empty tiers are dropped. Throws nothing.
 * @see BEP 12
 */
export class TrackerTiers {
  private readonly tiersList: Mutable[][]
  private readonly byUrl = new Map<string, Mutable>()
  private readonly options: TrackerTiersOptions

  /**
   * @param tiers the torrent's `announce-list` (or `[[announce]]`), in file order
   * @param random numbers in [0, 1) used once to shuffle each tier
   */
  constructor (tiers: readonly (readonly string[])[], random: () => number, options: TrackerTiersOptions = {}) {
    this.options = options
    const max = options.maxTrackers ?? 200
    this.tiersList = []
    for (const tier of tiers) {
      const kept: Mutable[] = []
      for (const url of tier) {
        if (this.byUrl.size >= max || this.byUrl.has(url)) continue
        const s: Mutable = { url, tier: this.tiersList.length, failures: 0, retryAtMs: 0, dropped: false, answered: false }
        this.byUrl.set(url, s)
        kept.push(s)
      }
      if (kept.length === 0) continue
      shuffle(kept, random)
      this.tiersList.push(kept)
    }
  }

  /** The current order, tier by tier (dropped trackers included). */
  get tiers (): readonly (readonly string[])[] {
    return this.tiersList.map(t => t.map(s => s.url))
  }

  /** The standing of `url`, or undefined for a tracker not in the list. */
  standing (url: string): TrackerStanding | undefined {
    const s = this.byUrl.get(url)
    return s === undefined ? undefined : { ...s }
  }

  /** True when every tracker has been dropped (or there were none). */
  get exhausted (): boolean {
    for (const s of this.byUrl.values()) if (!s.dropped) return false
    return true
  }

  /**
   * The tracker to try now: the first in tier order that is not dropped and
   * whose backoff has ended at `nowMs`; undefined when none is ready.
   */
  next (nowMs: number): string | undefined {
    for (const tier of this.tiersList) {
      for (const s of tier) if (!s.dropped && s.retryAtMs <= nowMs) return s.url
    }
    return undefined
  }

  /** When the earliest tracker in backoff becomes ready; undefined when all are dropped. */
  nextReadyAtMs (): number | undefined {
    let at: number | undefined
    for (const s of this.byUrl.values()) {
      if (!s.dropped && (at === undefined || s.retryAtMs < at)) at = s.retryAtMs
    }
    return at
  }

  /** `url` answered: it moves to the front of its tier and its failures are forgotten. */
  succeeded (url: string): void {
    const s = this.byUrl.get(url)
    if (s === undefined) return
    s.failures = 0
    s.retryAtMs = 0
    s.answered = true
    const tier = this.tiersList[s.tier]
    if (tier === undefined) return
    tier.splice(tier.indexOf(s), 1)
    tier.unshift(s)
  }

  /**
   * `url` failed at `nowMs`. `retryInMs` is the tracker's BEP 31 hint
   * (`'never'` drops it); otherwise it backs off exponentially. Returns the
   * delay before it may be tried again, or `'never'`.
   * @see BEP 31
   */
  failed (url: string, nowMs: number, retryInMs?: number | 'never'): number | 'never' {
    const s = this.byUrl.get(url)
    if (s === undefined) return 'never'
    s.failures += 1
    const delay = retryDelayMs(s.failures, retryInMs, this.options)
    if (delay === 'never') {
      s.dropped = true
      return 'never'
    }
    s.retryAtMs = nowMs + delay
    return delay
  }

  /** Never try `url` again (a refused or malformed URL). */
  drop (url: string): void {
    const s = this.byUrl.get(url)
    if (s !== undefined) s.dropped = true
  }
}

/** Fisher–Yates with an injected source of randomness. */
function shuffle<T> (items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(random() * (i + 1)))
    const a = items[i] as T
    items[i] = items[j] as T
    items[j] = a
  }
}
