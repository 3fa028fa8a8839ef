import { timer, type Observable, type SchedulerLike, type Subscription } from 'rxjs'
import { ConnectQueue, type ConnectQueueOptions, type PeerSource } from '../lib/swarm/connect-queue.js'
import { connectionLimitDecision, connectionLimitError, priorityOrLowest, type LimitPeer } from '../lib/swarm/connection-limit.js'
import { closeHold, dialFailureReason, peersExhausted } from '../lib/swarm/dial-rules.js'
import { formatAddress, type Duplex, type PeerAddress, type Transport } from '../lib/transport/types.js'
import { InboundGate, type InboundLimits } from './inbound-gate.js'
import type { FoundPeer } from './types.js'

/** What the owner of a dialed connection reports once it has ended. */
export interface DialOutcome {
  /** It delivered something: its failure count starts again. */
  readonly useful: boolean
  /** Dial the address again later (with backoff); false gives it up. */
  readonly retry: boolean
  /**
   * Why it ended: an error code (`replaced-by-priority`,
   * `truncated-handshake`, …) or `'closed'` when the peer hung up cleanly.
   * A connection ended at a limit or by the peer is not dialed again before
   * the queue's `limitHoldMs` (lib/swarm/connect-queue).
   */
  readonly reason?: string
}


/**
 * Connections shared with other torrents (a session's budget, lib/session
 * `ConnectionBudget`): the dialer asks it before dialing or admitting and
 * reports every dial and connection to it.
 */
export interface DialBudget {
  /** Dials that may start now. */
  room: () => number
  /** True when no connection may be added (an incoming one is refused, or replaces one of ours). */
  readonly full: boolean
  /** A dial started (half-open until `dialEnded`). */
  dialStarted: () => void
  /** A dial ended, `connected` or failed. */
  dialEnded: (connected: boolean) => void
  /** An incoming connection was admitted. */
  opened: () => void
  /** A connected or admitted connection ended. */
  closed: () => void
  /** Call `wake` when a slot frees (another torrent's connection ended); returns a function that stops the calls. */
  watch: (wake: () => void) => () => void
}

/** What {@link PeerDialer.addSource} calls when a source ends. */
export interface SourceHooks {
  /** The source completed or failed. */
  readonly onEnd?: () => void
  /** The source failed (after `onEnd`). */
  readonly onError?: (error: Error) => void
}

/** Options of {@link PeerDialer}. */
export interface PeerDialerOptions {
  /** Dials addresses (and the owner listens through it). */
  readonly transport: Transport
  /** Backoff timers and the inbound idle timeout. */
  readonly scheduler: SchedulerLike
  /** Aborts dials in progress; no dial starts once aborted. */
  readonly signal: AbortSignal
  /** Connection limits and dial backoff (lib/swarm/connect-queue). */
  readonly connectQueue?: ConnectQueueOptions
  /** Inbound connections before their handshake (pipelines/inbound-gate). */
  readonly inbound?: InboundLimits
  /** A connection budget shared with other torrents, beneath which `connectQueue`'s limits apply; default none. */
  readonly budget?: DialBudget
  /**
   * Runs one dialed connection to its end (handshake, messages, close) and
   * says what to do with the address. Should not reject; a rejection counts
   * as `{ useful: false, retry: true }`.
   */
  readonly run: (conn: Duplex, address: PeerAddress) => Promise<DialOutcome>
  /** Addresses not to dial now (lib/swarm/dial-rules `dialVetoed`); they are given up. */
  readonly blocked?: (key: string) => boolean
  /** Our address as peers see it (BEP 40), once known: the dial order and replacement at the limit. */
  readonly self?: () => PeerAddress | undefined
  /** Established connections that may be replaced at the limit, apart from `except` (the newcomer). */
  readonly limitPeers?: (except: Duplex) => LimitPeer[]
  /** Close connection `key`: a newcomer of higher BEP 40 priority takes its slot. */
  readonly replace?: (key: string, newcomer: PeerAddress) => void
  /** We have everything we want (seeds are replaced first at the limit). */
  readonly seeding?: () => boolean
  /** No more dials for now (done, or stopping); checked at each pump. */
  readonly paused?: () => boolean
  /** A dial failed; `reason` is the transport's message without a repeated `cannot connect to <address>: `. */
  readonly onDialFailed?: (address: PeerAddress, reason: string, error: Error) => void
  /** No peer is left and none can come (lib/swarm/dial-rules `peersExhausted`); called once. */
  readonly onExhausted?: () => void
}

/**
 * One torrent's (or one metadata fetch's) way to peers: addresses from the
 * manual list and every peer source go into one `ConnectQueue`, are dialed
 * within its connection and half-open limits (highest BEP 40 priority first
 * once our address is known) and retried with backoff; inbound connections
 * pass the `InboundGate` and, once handshaken, the connection limit, where a
 * newcomer of higher BEP 40 priority replaces the lowest peer
 * (lib/swarm/connection-limit). When the queue is empty, every source has
 * ended and nothing listens, `onExhausted` says so.
 *
 * Errors never escape: a failed dial is reported (`onDialFailed`) and
 * retried as the queue says; a source's error ends that source. `stop()`
 * cancels the retry timer and every source; the owner closes connections.
 * @see BEP 40
 */
export class PeerDialer {
  readonly #o: PeerDialerOptions
  readonly #queue: ConnectQueue
  readonly #maxConnections: number
  readonly #gate: InboundGate
  readonly #sources = new Set<Subscription>()
  /** Keys of connections we closed for a newcomer of higher BEP 40 priority, until they end. */
  readonly #replaced = new Set<string>()
  /** BEP 40 priorities of queued addresses against our address `#prioritySelf`. */
  #priorities = new WeakMap<PeerAddress, number>()
  #prioritySelf = ''
  #liveSources = 0
  #listening = false
  #stopped = false
  #exhausted = false
  /** Pumped once by its owner (or by what it added): budget wake-ups reach it from then on. */
  #started = false
  #wake: Subscription | undefined
  readonly #unwatch: (() => void) | undefined

  constructor (options: PeerDialerOptions) {
    this.#o = options
    this.#queue = new ConnectQueue(options.connectQueue)
    this.#maxConnections = options.connectQueue?.maxConnections ?? 50
    this.#gate = new InboundGate({ scheduler: options.scheduler, ...options.inbound })
    // Another torrent's freed slot wakes this dialer only once its owner has
    // started it: a pump before its peers and sources are added would find
    // nothing to dial and report the torrent exhausted.
    this.#unwatch = options.budget?.watch(() => { if (this.#started) this.pump() })
  }

  /** The inbound gate: its `refused` and `idleClosed` counts. */
  get gate (): InboundGate { return this.#gate }

  /** Connections counted against the limit now: open (dialed and inbound) and dialing. */
  get used (): number { return this.#queue.connectedCount + this.#queue.dialing }

  /** Addresses known (dialed or not). */
  get known (): number { return this.#queue.known }

  /** Incoming peers may still come: the torrent is not exhausted while this is true. */
  set listening (on: boolean) {
    this.#listening = on
  }

  get listening (): boolean { return this.#listening }

  /** Learn an address from `source` and dial it when due. Returns true when it is new (or revived). */
  add (address: PeerAddress, source: PeerSource): boolean {
    const fresh = this.#queue.add(address, source, this.#o.scheduler.now())
    if (fresh) this.pump()
    return fresh
  }

  /**
   * Take peers from `source$` until it ends or `stop()`. While it runs the
   * dialer is not exhausted; `hooks.onEnd` runs once it completes or fails,
   * then `hooks.onError` with a failure.
   */
  addSource (source$: Observable<FoundPeer>, hooks: SourceHooks = {}): void {
    if (this.#stopped) return
    this.#liveSources++
    let ended = false
    const end = (): void => {
      if (ended) return
      ended = true
      this.#liveSources--
      hooks.onEnd?.()
      this.pump()
    }
    const sub = source$.subscribe({
      next: (found) => { this.add(found.address, found.source) },
      error: (e: unknown) => { end(); hooks.onError?.(e instanceof Error ? e : new Error(String(e))) },
      complete: end
    })
    if (!ended) this.#sources.add(sub)
  }

  /** Something other than an address source that may still finish the job (a web seed): not exhausted until it settles. */
  hold (work: Promise<unknown>): void {
    this.#liveSources++
    const end = (): void => { this.#liveSources--; this.pump() }
    work.then(end, end)
  }

  /**
   * Take a connection a listener accepted: the inbound gate admits it or
   * closes it; `run` runs it, calling `handshaken` once the handshake is
   * done, which throws RxTorrentError `connection-limit` (disposition
   * `ignore`) when the limit is reached and no peer can be replaced.
   */
  accept (conn: Duplex, run: (conn: Duplex, handshaken: () => void) => Promise<unknown>): void {
    const g = this.#gate.accept(conn)
    if (g === undefined) return
    let counted = false
    const handshaken = (): void => {
      g.handshaken()
      this.#admit(g.conn)
      counted = true
    }
    const ended = (): void => {
      g.closed()
      if (counted) this.#incomingClosed()
      if (g.conn.remote !== undefined) this.#replaced.delete(formatAddress(g.conn.remote))
      this.pump()
    }
    run(g.conn, handshaken).then(ended, ended)
  }

  /**
   * Take a connection whose handshake another listener ran (a session's):
   * the connection limit applies at once (with BEP 40 replacement); `run`
   * runs it unless refused, then the connection is counted until it ends
   * (the promise settles then).
   * @throws RxTorrentError `connection-limit` (disposition `ignore`), the connection then closed
   */
  acceptHandshaken (conn: Duplex, run: () => Promise<unknown>): Promise<void> {
    try {
      this.#admit(conn)
    } catch (err) {
      conn.close()
      throw err
    }
    const ended = (): void => { this.#incomingClosed(); this.pump() }
    return run().then(ended, ended)
  }

  /**
   * Count an incoming connection, at our limit or the session's only when it
   * replaces a peer of lower BEP 40 priority.
   * @throws RxTorrentError `connection-limit` (disposition `ignore`)
   */
  #admit (conn: Duplex): void {
    const sessionFull = this.#o.budget?.full === true
    if ((this.used >= this.#maxConnections || sessionFull) && !this.#replaceForPriority(conn, sessionFull)) {
      throw connectionLimitError(this.#maxConnections, sessionFull)
    }
    this.#queue.incoming()
    this.#o.budget?.opened()
  }

  #incomingClosed (): void {
    this.#queue.incomingClosed()
    this.#o.budget?.closed()
  }

  /** Dial what is due, arm the retry timer, and report exhaustion. Called on every change; safe to call any time. */
  pump (): void {
    this.#started = true
    if (this.#stopped || this.#o.signal.aborted || this.#o.paused?.() === true) return
    const now = this.#o.scheduler.now()
    for (const peer of this.#queue.due(now, this.#o.blocked, this.#priority(), this.#o.budget?.room())) void this.#dial(peer)
    this.#wake?.unsubscribe()
    // An address already due waits for a free slot: the next dial or close pumps again.
    const at = this.#queue.nextRetryAt()
    this.#wake = at !== undefined && at > now ? timer(at - now, this.#o.scheduler).subscribe(() => { this.pump() }) : undefined
    if (!this.#exhausted && peersExhausted({ queueExhausted: this.#queue.exhausted, liveSources: this.#liveSources, listening: this.#listening })) {
      this.#exhausted = true
      this.#o.onExhausted?.()
    }
  }

  /** Stop dialing: cancel the retry timer and unsubscribe every source. Connections are the owner's to close. */
  stop (): void {
    this.#stopped = true
    this.#unwatch?.()
    this.#wake?.unsubscribe()
    for (const s of this.#sources) s.unsubscribe()
    this.#sources.clear()
  }

  async #dial (peer: PeerAddress): Promise<void> {
    const budget = this.#o.budget
    budget?.dialStarted()
    let conn: Duplex
    try {
      conn = await this.#o.transport.dial(peer, { signal: this.#o.signal })
      budget?.dialEnded(true)
    } catch (e) {
      budget?.dialEnded(false)
      const err = e instanceof Error ? e : new Error(String(e))
      this.#o.onDialFailed?.(peer, dialFailureReason(peer, err.message), err)
      this.#queue.failed(peer, this.#o.scheduler.now())
      this.pump()
      return
    }
    this.#queue.connected(peer)
    this.pump()
    const outcome = await this.#o.run(conn, peer).catch((): DialOutcome => ({ useful: false, retry: true }))
    budget?.closed()
    const replaced = this.#replaced.delete(formatAddress(peer))
    const hold = closeHold(outcome.reason ?? '', replaced)
    this.#queue.closed(peer, this.#o.scheduler.now(), { useful: outcome.useful, retry: outcome.retry, ...(hold === undefined ? {} : { hold }) })
    this.pump()
  }

  #priority (): ((a: PeerAddress) => number) | undefined {
    const me = this.#o.self?.()
    if (me === undefined) return undefined
    const self = formatAddress(me)
    if (self !== this.#prioritySelf) {
      this.#prioritySelf = self
      this.#priorities = new WeakMap()
    }
    // The queue hands back the address objects it was given: each priority is computed once per address.
    const cache = this.#priorities
    return (a) => {
      let p = cache.get(a)
      if (p === undefined) {
        p = priorityOrLowest(me, a)
        cache.set(a, p)
      }
      return p
    }
  }

  /** At the connection limit (ours, or the session's: `sessionFull`): true when the newcomer replaces a peer of lower BEP 40 priority (closed by `replace`). */
  #replaceForPriority (conn: Duplex, sessionFull: boolean): boolean {
    const newcomer = conn.remote
    if (newcomer === undefined) return false
    const d = connectionLimitDecision({
      self: this.#o.self?.(),
      newcomer,
      peers: this.#o.limitPeers?.(conn) ?? [],
      // The session full counts as our limit reached: a slot comes only from one of our peers.
      used: sessionFull ? Math.max(this.used, this.#maxConnections) : this.used,
      limit: this.#maxConnections,
      seeding: this.#o.seeding?.() === true
    })
    if (typeof d !== 'object') return d === 'accept'
    this.#replaced.add(d.replace)
    this.#o.replace?.(d.replace, newcomer)
    return true
  }
}
