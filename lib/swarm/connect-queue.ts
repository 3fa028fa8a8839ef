import { formatAddress, type PeerAddress } from '../transport/types.js'

/** Where a peer address came from. Manual peers are retried longer. */
export type PeerSource = 'manual' | 'tracker' | 'incoming' | 'pex' | 'dht' | 'lsd' | 'other'

/** Options of {@link ConnectQueue}: connection budgets and retry back-off. */
export interface ConnectQueueOptions {
  /** Connections (open and half-open) at most. Default 50. */
  readonly maxConnections?: number
  /** Dials in progress at most. Default 8. */
  readonly maxHalfOpen?: number
  /** Consecutive failures before a manual peer is given up. Default 5. */
  readonly maxManualFailures?: number
  /** Consecutive failures before any other peer is given up. Default 3. */
  readonly maxFailures?: number
  /** Delay before retry number `n` (1-based). Default 1 s · 2^(n-1), at most 30 s. */
  readonly backoffMs?: (failures: number) => number
  /** Addresses remembered at most; new ones beyond it are dropped. Default 2000. */
  readonly maxKnown?: number
  /**
   * How long a peer whose connection ended at a connection limit (ours or
   * its own: replaced by a peer of higher BEP 40 priority, refused, or hung
   * up on us) waits before it is dialed again. Default
   * {@link LIMIT_HOLD_MS}, libtorrent's `min_reconnect_time`.
   */
  readonly limitHoldMs?: number
}

/** Default {@link ConnectQueueOptions.limitHoldMs}: 60 s, as libtorrent's `min_reconnect_time`. */
export const LIMIT_HOLD_MS = 60_000

/** How a dialed connection ended, for {@link ConnectQueue.closed}. */
export interface CloseOptions {
  /** It delivered data: the failure count starts again. */
  readonly useful: boolean
  /** Dial it again later; false gives the peer up. */
  readonly retry: boolean
  /**
   * Why it is held back before the next dial (at least `limitHoldMs`):
   * `'limit'`, it ended at a connection limit (replaced by a peer of higher
   * BEP 40 priority, or refused), which is no failure of the peer;
   * `'hung-up'`, the peer closed it (during the handshake, as a peer at its
   * own limit does, or later), a failure as usual, and not held for a peer
   * the user named (`manual`). Without it, the usual backoff.
   */
  readonly hold?: 'limit' | 'hung-up'
}

interface Entry {
  readonly key: string
  /** When it was learned, in order (the queue's iteration order). */
  readonly order: number
  readonly address: PeerAddress
  source: PeerSource
  state: 'idle' | 'dialing' | 'connected' | 'gone'
  failures: number
  retryAt: number
}

/**
 * Which peer to dial next: a pure queue over known addresses with connection
 * and half-open limits and per-address backoff. The pipeline reports what
 * happened (`connected`, `failed`, `closed`) and asks `due(now)` for dials;
 * time is always an argument.
 */
export class ConnectQueue {
  readonly #entries = new Map<string, Entry>()
  readonly #maxConnections: number
  readonly #maxHalfOpen: number
  readonly #maxManual: number
  readonly #maxOther: number
  readonly #backoff: (n: number) => number
  readonly #maxKnown: number
  readonly #limitHold: number
  #dialing = 0
  #connected = 0
  #learned = 0

  constructor (options: ConnectQueueOptions = {}) {
    this.#maxConnections = options.maxConnections ?? 50
    this.#maxHalfOpen = options.maxHalfOpen ?? 8
    this.#maxManual = options.maxManualFailures ?? 5
    this.#maxOther = options.maxFailures ?? 3
    this.#backoff = options.backoffMs ?? ((n) => Math.min(1000 * 2 ** (n - 1), 30_000))
    this.#maxKnown = options.maxKnown ?? 2000
    this.#limitHold = options.limitHoldMs ?? LIMIT_HOLD_MS
  }

  /**
   * Learn an address. A known address that was given up is revived (a source
   * vouched for it again), not before its hold ends; one that is waiting
   * keeps its backoff. Returns
   * true when the address is new or revived.
   */
  add (address: PeerAddress, source: PeerSource, now: number): boolean {
    const key = formatAddress(address)
    const e = this.#entries.get(key)
    if (e !== undefined) {
      if (source === 'manual') e.source = 'manual'
      if (e.state !== 'gone') return false
      e.state = 'idle'
      e.failures = 0
      // A hold (a peer at its limit) outlasts the revival: PEX names peers again and again.
      e.retryAt = Math.max(now, e.retryAt)
      return true
    }
    if (this.#entries.size >= this.#maxKnown) return false
    this.#entries.set(key, { key, order: this.#learned++, address, source, state: 'idle', failures: 0, retryAt: now })
    return true
  }

  /** Count a connection we did not dial (an incoming peer). */
  incoming (): void { this.#connected++ }
  /** An incoming connection ended. */
  incomingClosed (): void { this.#connected = Math.max(0, this.#connected - 1) }

  /**
   * Addresses to dial now, marked as dialing. `blocked(key)` vetoes an
   * address (banned, ourselves, already connected by another route). With
   * `priority` (e.g. BEP 40 `priorityOrLowest` against our address), when
   * more addresses are ready than there are free slots the highest-priority
   * ones are dialed first, ties in the order they were learned; without it,
   * the order they were learned. `room` caps the dials further (a session's
   * budget shared with other torrents); default no cap.
   * @see BEP 40
   */
  due (now: number, blocked: (key: string) => boolean = () => false, priority?: (address: PeerAddress) => number, room = Infinity): PeerAddress[] {
    const free = Math.min(room, this.#maxHalfOpen - this.#dialing, this.#maxConnections - this.#dialing - this.#connected)
    if (free <= 0) return []
    // The ready entries in the order learned; with a priority and more of
    // them than free slots, the best `free`: by priority, then that order.
    const ready: Entry[] = []
    const ranks: number[] = []
    let seen = 0
    for (const e of this.#entries.values()) {
      if (priority === undefined && ready.length >= free) break
      if (e.state !== 'idle' || e.retryAt > now) continue
      if (blocked(e.key)) { e.state = 'gone'; continue }
      if (priority === undefined) { ready.push(e); continue }
      seen++
      const p = priority(e.address)
      if (ready.length >= free && p <= (ranks[ranks.length - 1] as number)) continue
      let at = ready.length
      while (at > 0 && (ranks[at - 1] as number) < p) at--
      ready.splice(at, 0, e)
      ranks.splice(at, 0, p)
      if (ready.length > free) { ready.pop(); ranks.pop() }
    }
    // Room for every one: the order learned, as without a priority.
    if (priority !== undefined && seen <= free) ready.sort((a, b) => a.order - b.order)
    for (const e of ready) {
      e.state = 'dialing'
      this.#dialing++
    }
    return ready.map((e) => e.address)
  }

  /** A dial succeeded (the connection is up). */
  connected (address: PeerAddress): void {
    const e = this.#get(address)
    if (e?.state !== 'dialing') return
    e.state = 'connected'
    this.#dialing--
    this.#connected++
  }

  /** A dial failed, or a connection ended before it was useful. */
  failed (address: PeerAddress, now: number): void {
    const e = this.#get(address)
    if (e === undefined) return
    if (e.state === 'dialing') this.#dialing--
    else if (e.state === 'connected') this.#connected--
    else return
    e.failures++
    const max = e.source === 'manual' ? this.#maxManual : this.#maxOther
    if (e.failures >= max) { e.state = 'gone'; return }
    e.state = 'idle'
    e.retryAt = now + this.#backoff(e.failures)
  }

  /**
   * A connection ended. `useful` (it delivered data) resets the failure count;
   * `retry: false` (we are done with the peer, or it was banned) gives it up;
   * `hold` keeps it from being dialed for `limitHoldMs`, even if a source
   * names it again meanwhile.
   */
  closed (address: PeerAddress, now: number, options: CloseOptions): void {
    const e = this.#get(address)
    if (e?.state !== 'connected') return
    this.#connected--
    if (options.useful) e.failures = 0
    if (options.hold !== 'limit') e.failures++
    const max = e.source === 'manual' ? this.#maxManual : this.#maxOther
    e.state = !options.retry || e.failures >= max ? 'gone' : 'idle'
    // A peer the user named (`manual`) that hung up is retried with the usual
    // backoff: a client still starting (Transmission checking its data)
    // closes the first dials, and the user asked for that peer.
    const hold = options.hold === 'hung-up' && e.source === 'manual' ? undefined : options.hold
    if (hold !== undefined) e.retryAt = now + Math.max(this.#limitHold, e.failures === 0 ? 0 : this.#backoff(e.failures))
    // Given up without a hold: a source naming it again revives it at once, as before.
    else e.retryAt = e.state === 'gone' ? now : now + this.#backoff(e.failures)
  }

  /** The earliest time a waiting address becomes dialable, if any. */
  nextRetryAt (): number | undefined {
    let t: number | undefined
    for (const e of this.#entries.values()) if (e.state === 'idle' && (t === undefined || e.retryAt < t)) t = e.retryAt
    return t
  }

  /** True when nothing is connected, dialing, or left to try. */
  get exhausted (): boolean {
    if (this.#dialing > 0 || this.#connected > 0) return false
    for (const e of this.#entries.values()) if (e.state === 'idle') return false
    return true
  }

  get dialing (): number { return this.#dialing }
  get connectedCount (): number { return this.#connected }
  get known (): number { return this.#entries.size }

  #get (address: PeerAddress): Entry | undefined { return this.#entries.get(formatAddress(address)) }
}
