/**
 * The session's connection budget: every torrent's peer connections and
 * dials counted against one limit, and dials in progress against another,
 * as libtorrent's `connections_limit` and half-open limit. Pure counting;
 * the pipeline asks before it dials or admits and reports what happened.
 */
import { UsageError } from '../errors.js'

/** Default {@link ConnectionBudgetLimits.maxConnections}: 200, as libtorrent's `connections_limit`. */
export const DEFAULT_SESSION_CONNECTIONS = 200
/** Default {@link ConnectionBudgetLimits.maxHalfOpen}: dials in progress across the session. */
export const DEFAULT_SESSION_HALF_OPEN = 20

/** Limits of a {@link ConnectionBudget}. */
export interface ConnectionBudgetLimits {
  /** Peer connections of every torrent at most, dials in progress included; default {@link DEFAULT_SESSION_CONNECTIONS}. */
  readonly maxConnections?: number
  /** Dials in progress (not yet connected) at most, across torrents; default {@link DEFAULT_SESSION_HALF_OPEN}. */
  readonly maxHalfOpen?: number
}

/**
 * Throw UsageError `bad-limit` unless `value` is undefined or a positive integer.
 * @throws UsageError `bad-limit`
 */
export function checkCount (name: string, value: number | undefined): void {
  if (value === undefined) return
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new UsageError('bad-limit', `${name} must be a positive integer, got ${String(value)}`, { details: { [name]: value } })
  }
}

/**
 * Connections and dials of a whole session. `room()` says how many dials
 * may start now; a dial is counted from `dialStarted` (half-open and a
 * connection) until `dialEnded` (a connection, if it connected); an
 * incoming connection from `opened` until `closed`. Counts never go below
 * zero. Limits can change at any time (`setLimits`): lowering them closes
 * nothing, it only stops new dials and admissions until enough connections end.
 */
export class ConnectionBudget {
  #maxConnections = DEFAULT_SESSION_CONNECTIONS
  #maxHalfOpen = DEFAULT_SESSION_HALF_OPEN
  #connections = 0
  #dialing = 0

  /** @throws UsageError `bad-limit` for a limit that is not a positive integer. */
  constructor (limits: ConnectionBudgetLimits = {}) {
    this.setLimits(limits)
  }

  /**
   * Change the limits given; the others stay.
   * @throws UsageError `bad-limit` for a limit that is not a positive integer (nothing is changed then).
   */
  setLimits (limits: ConnectionBudgetLimits): void {
    checkCount('maxConnections', limits.maxConnections)
    checkCount('maxHalfOpen', limits.maxHalfOpen)
    this.#maxConnections = limits.maxConnections ?? this.#maxConnections
    this.#maxHalfOpen = limits.maxHalfOpen ?? this.#maxHalfOpen
  }

  /** The connection limit now. */
  get maxConnections (): number { return this.#maxConnections }
  /** The half-open limit now. */
  get maxHalfOpen (): number { return this.#maxHalfOpen }
  /** Connections counted now: open ones and dials in progress. */
  get used (): number { return this.#connections + this.#dialing }
  /** Dials in progress now. */
  get dialing (): number { return this.#dialing }
  /** No connection may be added: an incoming one is refused (or replaces one of its torrent's). */
  get full (): boolean { return this.used >= this.#maxConnections }

  /** How many dials may start now (0 when full or at the half-open limit). */
  room (): number {
    return Math.max(0, Math.min(this.#maxHalfOpen - this.#dialing, this.#maxConnections - this.used))
  }

  /** A dial started: it counts as half-open and as a connection. */
  dialStarted (): void { this.#dialing++ }

  /** A dial ended: connected, it stays counted until `closed`; failed, it counts no more. */
  dialEnded (connected: boolean): void {
    if (this.#dialing === 0) return
    this.#dialing--
    if (connected) this.#connections++
  }

  /** An incoming connection was admitted (check `full` first). */
  opened (): void { this.#connections++ }

  /** A connection (dialed and connected, or admitted) ended. */
  closed (): void { this.#connections = Math.max(0, this.#connections - 1) }
}
