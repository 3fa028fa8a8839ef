/**
 * Rate limits in three levels, as libtorrent's bandwidth channels: the
 * session's bucket, each torrent's bucket beneath it, and each connection
 * (which takes from both, one item at a time, and waits the longer delay:
 * `rateLimit` in operators). Pure: time is an argument.
 */
import { UsageError } from '../errors.js'
import { TokenBucket } from '../stats/token-bucket.js'

/** Upload and download rates in bytes per second; 0 or absent: unlimited. */
export interface RateLimits {
  readonly uploadLimit?: number
  readonly downloadLimit?: number
}

/** One torrent's place in a {@link SessionBandwidth}: the buckets its connections take from. */
export interface TorrentBandwidth {
  /** The session's upload bucket, then the torrent's: every outbound byte of the torrent's connections. */
  readonly upload: readonly TokenBucket[]
  /** The session's download bucket, then the torrent's: every inbound byte. */
  readonly download: readonly TokenBucket[]
  /**
   * Change the torrent's own limits from `now` (ms); those left out stay.
   * @throws UsageError `bad-rate`, `bad-time`
   */
  readonly setLimits: (limits: RateLimits, now: number) => void
}

function rateOf (name: string, value: number | undefined): number {
  const rate = value ?? 0
  if (!Number.isFinite(rate) || rate < 0) {
    throw new UsageError('bad-rate', `${name} must be a finite non-negative number of bytes per second, got ${String(value)}`, { details: { [name]: value } })
  }
  return rate
}

/**
 * Throw unless every rate given is a finite non-negative number.
 * @throws UsageError `bad-rate`
 */
export function checkRateLimits (limits: RateLimits): void {
  rateOf('uploadLimit', limits.uploadLimit)
  rateOf('downloadLimit', limits.downloadLimit)
}

/** A pair of buckets (upload, download) whose rates follow a {@link RateLimits}. */
function bucketPair (limits: RateLimits): { readonly up: TokenBucket, readonly down: TokenBucket, readonly set: (l: RateLimits, now: number) => void } {
  const up = new TokenBucket({ rate: rateOf('uploadLimit', limits.uploadLimit) })
  const down = new TokenBucket({ rate: rateOf('downloadLimit', limits.downloadLimit) })
  const set = (l: RateLimits, now: number): void => {
    const u = l.uploadLimit === undefined ? undefined : rateOf('uploadLimit', l.uploadLimit)
    const d = l.downloadLimit === undefined ? undefined : rateOf('downloadLimit', l.downloadLimit)
    if (u !== undefined) up.setRate(u, now)
    if (d !== undefined) down.setRate(d, now)
  }
  return { up, down, set }
}

/**
 * A session's upload and download limits with every torrent's beneath.
 *
 * Every connection of every torrent takes its bytes from the session's
 * bucket and its torrent's (`TorrentBandwidth.upload` / `download`), so
 * neither the session nor a torrent ever goes over its limit (beyond one
 * burst). The buckets run in debt: a connection that asks waits behind the
 * bytes granted before it, so connections that all go flat out share the
 * session's rate in turn, equal shares for equal items (16 KiB blocks):
 * two torrents with one busy peer each get half each; a torrent held below
 * its share by its own limit leaves the rest to the others.
 *
 * @example
 * ```ts
 * const bw = new SessionBandwidth({ uploadLimit: 1_000_000 })
 * const a = bw.torrent({ uploadLimit: 200_000 })
 * for await (const frame of rateLimit(a.upload, { scheduler })(frames)) send(frame)
 * ```
 * @throws UsageError `bad-rate` for a negative or non-finite limit (constructor, `torrent`, `setLimits`).
 * @see BEP 3
 */
export class SessionBandwidth {
  readonly #session: ReturnType<typeof bucketPair>

  constructor (limits: RateLimits = {}) {
    this.#session = bucketPair(limits)
  }

  /** The session's upload bucket (every torrent's connections take from it). */
  get upload (): TokenBucket { return this.#session.up }
  /** The session's download bucket. */
  get download (): TokenBucket { return this.#session.down }

  /**
   * Change the session's limits from `now` (ms); those left out stay.
   * @throws UsageError `bad-rate`, `bad-time`
   */
  setLimits (limits: RateLimits, now: number): void {
    this.#session.set(limits, now)
  }

  /**
   * A torrent's buckets beneath the session's, with its own limits.
   * @throws UsageError `bad-rate`
   */
  torrent (limits: RateLimits = {}): TorrentBandwidth {
    const own = bucketPair(limits)
    return {
      upload: [this.#session.up, own.up],
      download: [this.#session.down, own.down],
      setLimits: own.set
    }
  }
}
