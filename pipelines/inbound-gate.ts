import type { SchedulerLike, Subscription } from 'rxjs'
import { LIMITS } from '../lib/constants.js'
import { RxTorrentError, TimeoutError } from '../lib/errors.js'
import { InboundLedger, type InboundBudgets } from '../lib/swarm/inbound-admission.js'
import type { Duplex } from '../lib/transport/types.js'

/** Limits on inbound connections before their handshake; defaults in `LIMITS`. */
export interface InboundLimits extends InboundBudgets {
  /** Close an inbound connection that sends nothing for this long after it is accepted; default `LIMITS.inboundIdleTimeoutMs`. */
  readonly idleTimeoutMs?: number
}

/** Options of {@link InboundGate}. */
export interface InboundGateOptions extends InboundLimits {
  /** Clock of the idle timeout. */
  readonly scheduler: SchedulerLike
}

/** An accepted connection, while the gate watches it. */
export interface GatedConnection {
  /** The connection to run: the accepted one, with its received bytes counted until the handshake. */
  readonly conn: Duplex
  /** Its handshake completed: it leaves the half-open budget (and still counts for its address). */
  readonly handshaken: () => void
  /** It ended, however: it counts nowhere any more. */
  readonly closed: () => void
}

/**
 * Applies the inbound admission rule (lib/swarm/inbound-admission) to the
 * connections a listener accepts: refuses (closes) those the rule refuses,
 * closes the idle half-open connection it evicts, and closes any connection
 * that sends nothing within `idleTimeoutMs` of being accepted. A connection
 * closed by the gate ends its `source` with the reason (`inbound-idle`,
 * TimeoutError, disconnect; `evicted-idle`, ignore), so the owner reports it.
 * Refusals are silent (a flood would otherwise flood the warnings) and
 * counted in `refused`.
 */
export class InboundGate {
  readonly #ledger: InboundLedger
  readonly #scheduler: SchedulerLike
  readonly #idleMs: number
  readonly #live = new Map<string, { close: (err: Error) => void }>()
  #seq = 0
  /** Connections refused so far: over the per-address cap, or with the half-open budget full of busy handshakes. */
  refused = 0
  /** Half-open connections closed so far for sending nothing: evicted, or idle past the timeout. */
  idleClosed = 0

  constructor (options: InboundGateOptions) {
    this.#scheduler = options.scheduler
    this.#idleMs = options.idleTimeoutMs ?? LIMITS.inboundIdleTimeoutMs
    this.#ledger = new InboundLedger({
      ...(options.maxHalfOpen === undefined ? {} : { maxHalfOpen: options.maxHalfOpen }),
      ...(options.maxPerAddress === undefined ? {} : { maxPerAddress: options.maxPerAddress })
    })
  }

  /** Inbound connections in their handshake now. */
  get halfOpen (): number { return this.#ledger.halfOpenCount }

  /**
   * Decide on a connection just accepted: undefined when refused (it is
   * closed here), else the connection to run and the two calls its owner
   * makes (handshake done, closed).
   */
  accept (conn: Duplex): GatedConnection | undefined {
    const key = `inbound-${++this.#seq}`
    const now = this.#scheduler.now()
    const d = this.#ledger.admit(key, conn.remote?.host, now)
    if (d.type === 'refuse') {
      this.refused++
      conn.close()
      return undefined
    }
    if (d.type === 'evict') {
      this.idleClosed++
      this.#live.get(d.key)?.close(new RxTorrentError('evicted-idle', 'closed to make room for a new connection: it had sent nothing while the handshake budget was full', { disposition: 'ignore' }))
    }
    let reason: Error | undefined
    let counting = true
    const close = (err: Error): void => {
      reason ??= err
      conn.close(err)
    }
    this.#live.set(key, { close })
    const idle: Subscription = this.#scheduler.schedule(() => {
      // The timer firing is the deadline: the clock may read a little short
      // of it (timers count from the event loop's cached time), so only the
      // bytes received decide.
      if (!this.#ledger.isIdle(key, Math.max(this.#scheduler.now(), now + this.#idleMs), this.#idleMs)) return
      this.idleClosed++
      close(new TimeoutError('inbound-idle', `sent nothing within ${this.#idleMs} ms of being accepted`, { details: { idleTimeoutMs: this.#idleMs } }))
    }, this.#idleMs)
    // Counted until the handshake; after it, `next` is the inner one's, with no extra step per chunk.
    const inner = conn.source[Symbol.asyncIterator]()
    const iterator: AsyncIterator<Uint8Array> = {
      next: () => {
        if (!counting) return inner.next()
        return inner.next().then((r) => {
          if (r.done === true && reason !== undefined) throw reason
          if (r.done !== true) this.#ledger.received(key, r.value.byteLength)
          return r
        }, (err: unknown) => { throw reason ?? err })
      },
      return: async (value?: unknown) => await (inner.return?.(value) ?? { done: true as const, value: undefined })
    }
    const gated: Duplex = {
      source: { [Symbol.asyncIterator]: () => iterator },
      sink: (s) => conn.sink(s),
      close: (err) => { conn.close(err) },
      ...(conn.remote === undefined ? {} : { remote: conn.remote }),
      ...(conn.borrowedChunks === undefined ? {} : { borrowedChunks: conn.borrowedChunks })
    }
    return {
      conn: gated,
      handshaken: () => {
        counting = false
        idle.unsubscribe()
        this.#ledger.handshaken(key)
      },
      closed: () => {
        idle.unsubscribe()
        this.#live.delete(key)
        this.#ledger.closed(key)
      }
    }
  }
}
