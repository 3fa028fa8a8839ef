import type { SchedulerLike } from 'rxjs'
import { ConnectionBudget, type ConnectionBudgetLimits } from '../../lib/session/connection-budget.js'
import { SessionBandwidth, checkRateLimits, type RateLimits, type TorrentBandwidth } from '../../lib/session/session-bandwidth.js'
import type { DialBudget } from '../peer-dialer.js'

/**
 * Limits of a whole session (libtorrent's `connections_limit`, half-open
 * limit, `upload_rate_limit`, `download_rate_limit`); each torrent's own
 * limits (`AddTorrentOptions`) apply beneath them.
 */
export interface SessionLimitOptions extends ConnectionBudgetLimits, RateLimits {}

/** What a torrent of a session runs within: its rate buckets beneath the session's, and the session's connection budget. */
export interface TorrentSessionLimits {
  readonly bandwidth: TorrentBandwidth
  readonly budget: DialBudget
}

/**
 * A session's limits, shared by its torrents: one {@link ConnectionBudget}
 * (every torrent's dialer asks it and is woken when a slot frees) and one
 * {@link SessionBandwidth} (every torrent's buckets beneath the session's).
 * @throws UsageError `bad-limit`, `bad-rate` for a bad limit (constructor and `setLimits`).
 */
export class SessionLimits {
  readonly #connections: ConnectionBudget
  readonly #bandwidth: SessionBandwidth
  readonly #scheduler: SchedulerLike
  readonly #watchers = new Set<() => void>()
  #waking = false

  constructor (limits: SessionLimitOptions, scheduler: SchedulerLike) {
    this.#connections = new ConnectionBudget(limits)
    this.#bandwidth = new SessionBandwidth(limits)
    this.#scheduler = scheduler
  }

  /** The connection budget, as it counts now. */
  get connections (): ConnectionBudget { return this.#connections }
  /** The session's rate buckets. */
  get bandwidth (): SessionBandwidth { return this.#bandwidth }

  /**
   * Change the limits given, from now on; the others stay. A higher limit
   * wakes every torrent's dialer; a lower one closes nothing.
   * @throws UsageError `bad-limit`, `bad-rate` (nothing is changed then).
   */
  setLimits (limits: SessionLimitOptions): void {
    // Checked before anything changes: a bad rate leaves the connection limits alone too.
    checkRateLimits(limits)
    this.#connections.setLimits(limits)
    this.#bandwidth.setLimits(limits, this.#scheduler.now())
    this.#wake()
  }

  /**
   * A torrent's share: its own rate limits beneath the session's, and the
   * session's connection budget.
   * @throws UsageError `bad-rate`
   */
  torrent (limits: RateLimits): TorrentSessionLimits {
    return { bandwidth: this.#bandwidth.torrent(limits), budget: this.dialBudget() }
  }

  /** The session's connection budget as a dialer sees it (a torrent's, or a magnet's metadata fetch). */
  dialBudget (): DialBudget {
    const c = this.#connections
    return {
      room: () => c.room(),
      get full () { return c.full },
      dialStarted: () => { c.dialStarted() },
      dialEnded: (connected) => { c.dialEnded(connected); if (!connected) this.#wake() },
      opened: () => { c.opened() },
      closed: () => { c.closed(); this.#wake() },
      watch: (wake) => {
        this.#watchers.add(wake)
        return () => { this.#watchers.delete(wake) }
      }
    }
  }

  /** A slot freed: every torrent's dialer may dial (not re-entered while it runs). */
  #wake (): void {
    if (this.#waking) return
    this.#waking = true
    try {
      for (const w of [...this.#watchers]) w()
    } finally {
      this.#waking = false
    }
  }
}
