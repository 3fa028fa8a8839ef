/**
 * Who may hold an inbound connection before its handshake: the rule that
 * keeps one host from exhausting a listener with idle sockets. Connections
 * still in their handshake ("half-open") have their own budget, apart from
 * the connection limit (which applies once the handshake completes); each
 * source address may hold only so many connections; and when the budget is
 * full, the oldest half-open connection that has sent nothing makes room for
 * the newcomer. Pure and synchronous: time is an argument, the pipeline
 * closes what it says.
 * @see ADVERSARIAL L85 (idle connections), issue 11
 */
import { LIMITS } from '../constants.js'
import { formatIp, normalizeIp } from '../tracker/ip-address.js'

/** An inbound connection that has not finished its handshake, as the admission rule sees it. */
export interface HalfOpenConnection {
  /** How the caller names the connection; returned in `{ type: 'evict' }`. */
  readonly key: string
  /** Its source address ({@link addressKey}), undefined when unknown. */
  readonly address: string | undefined
  /** When it was accepted, on the caller's clock. */
  readonly acceptedAt: number
  /** Bytes received from it so far. */
  readonly received: number
}

/** Budgets of {@link inboundAdmission}; defaults in `LIMITS`. */
export interface InboundBudgets {
  /** Inbound connections in their handshake at most; default `LIMITS.maxHalfOpenInbound`. */
  readonly maxHalfOpen?: number
  /** Connections from one source address at most, handshaking and established; default `LIMITS.maxConnectionsPerAddress`. */
  readonly maxPerAddress?: number
}

/** Input of {@link inboundAdmission}. */
export interface InboundAdmissionInput extends InboundBudgets {
  /** The newcomer's source address ({@link addressKey}); undefined when the transport does not say. */
  readonly address: string | undefined
  /** Every inbound connection still in its handshake. */
  readonly halfOpen: readonly HalfOpenConnection[]
  /** Connections from the newcomer's address now, handshaking and established. */
  readonly fromAddress: number
}

/** Accept the newcomer, accept it after closing half-open connection `key`, or refuse it (and why). */
export type InboundDecision =
  | { readonly type: 'accept' }
  | { readonly type: 'evict', readonly key: string }
  | { readonly type: 'refuse', readonly reason: 'per-address' | 'half-open-full' }

/**
 * What to do with a connection just accepted by a listener:
 *
 * - its address already holds `maxPerAddress` connections: refuse (an
 *   unknown address is not counted);
 * - fewer than `maxHalfOpen` connections are in their handshake: accept;
 * - otherwise evict the oldest half-open connection that has received
 *   nothing (ties: the first listed), or refuse when every one has sent
 *   something.
 * @throws nothing
 */
export function inboundAdmission (input: InboundAdmissionInput): InboundDecision {
  const maxPerAddress = input.maxPerAddress ?? LIMITS.maxConnectionsPerAddress
  const maxHalfOpen = input.maxHalfOpen ?? LIMITS.maxHalfOpenInbound
  if (input.address !== undefined && input.fromAddress >= maxPerAddress) return { type: 'refuse', reason: 'per-address' }
  if (input.halfOpen.length < maxHalfOpen) return { type: 'accept' }
  const victim = oldestIdle(input.halfOpen)
  return victim === undefined ? { type: 'refuse', reason: 'half-open-full' } : { type: 'evict', key: victim.key }
}

/**
 * A half-open connection that has sent nothing for `idleMs` since it was
 * accepted: the caller closes it (the handshake itself still has
 * `LIMITS.handshakeTimeoutMs` once bytes flow).
 * @param idleMs default `LIMITS.inboundIdleTimeoutMs`
 * @throws nothing
 */
export function isIdleHalfOpen (c: HalfOpenConnection, now: number, idleMs: number = LIMITS.inboundIdleTimeoutMs): boolean {
  return c.received === 0 && now - c.acceptedAt >= idleMs
}

/**
 * The key under which connections from `host` are counted: the canonical
 * text of an IP address (IPv4-mapped IPv6 as IPv4), else `host` as given.
 * @throws nothing
 */
export function addressKey (host: string): string {
  const ip = normalizeIp(host)
  return ip === undefined ? host : formatIp(ip.bytes) ?? host
}

function oldestIdle (halfOpen: readonly HalfOpenConnection[]): HalfOpenConnection | undefined {
  let best: HalfOpenConnection | undefined
  for (const c of halfOpen) if (c.received === 0 && (best === undefined || c.acceptedAt < best.acceptedAt)) best = c
  return best
}

/**
 * The bookkeeping around {@link inboundAdmission} for one listener (or one
 * session): the half-open set and the per-address counts, updated as
 * connections are accepted, send bytes, finish their handshake and close.
 * Pure: it closes nothing and keeps no time of its own.
 */
export class InboundLedger {
  readonly #budgets: InboundBudgets
  readonly #halfOpen = new Map<string, { key: string, address: string | undefined, acceptedAt: number, received: number }>()
  readonly #established = new Map<string, string | undefined>()
  readonly #perAddress = new Map<string, number>()

  constructor (budgets: InboundBudgets = {}) {
    this.#budgets = budgets
  }

  /**
   * Decide on a newcomer from `host` (undefined when unknown). An `accept`
   * or `evict` decision records it as half-open under `key` at `now`; the
   * evicted connection is forgotten here and the caller closes it.
   */
  admit (key: string, host: string | undefined, now: number): InboundDecision {
    const address = host === undefined ? undefined : addressKey(host)
    const d = inboundAdmission({ ...this.#budgets, address, halfOpen: [...this.#halfOpen.values()], fromAddress: address === undefined ? 0 : this.#perAddress.get(address) ?? 0 })
    if (d.type === 'refuse') return d
    if (d.type === 'evict') this.closed(d.key)
    this.#halfOpen.set(key, { key, address, acceptedAt: now, received: 0 })
    if (address !== undefined) this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1)
    return d
  }

  /** Bytes arrived on a half-open connection. */
  received (key: string, bytes: number): void {
    const c = this.#halfOpen.get(key)
    if (c !== undefined) c.received += bytes
  }

  /** The connection finished its handshake: it leaves the half-open budget and still counts for its address. */
  handshaken (key: string): void {
    const c = this.#halfOpen.get(key)
    if (c === undefined) return
    this.#halfOpen.delete(key)
    this.#established.set(key, c.address)
  }

  /** The connection ended (or was evicted): it counts nowhere any more. */
  closed (key: string): void {
    const c = this.#halfOpen.get(key)
    const known = c !== undefined || this.#established.has(key)
    if (!known) return
    const address = c !== undefined ? c.address : this.#established.get(key)
    this.#halfOpen.delete(key)
    this.#established.delete(key)
    if (address === undefined) return
    const n = (this.#perAddress.get(address) ?? 0) - 1
    if (n > 0) this.#perAddress.set(address, n)
    else this.#perAddress.delete(address)
  }

  /** Is the connection under `key` half-open and idle at `now` ({@link isIdleHalfOpen})? */
  isIdle (key: string, now: number, idleMs?: number): boolean {
    const c = this.#halfOpen.get(key)
    return c !== undefined && isIdleHalfOpen(c, now, idleMs)
  }

  /** Inbound connections in their handshake now. */
  get halfOpenCount (): number { return this.#halfOpen.size }

  /** Inbound connections from `host` now, handshaking and established. */
  fromAddress (host: string): number { return this.#perAddress.get(addressKey(host)) ?? 0 }
}
