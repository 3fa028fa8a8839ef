/**
 * Per-connection PEX state: what to tell a peer next (`PexState`) and which
 * of a peer's PEX messages to believe (`PexInbox`). Pure; time is an argument.
 * @see BEP 11
 */
import type { PeerAddress } from '../transport/types.js'
import { PEX_LIMITS, pexAddressKey, type PexMessage, type PexPeer } from './ut-pex.js'

/** Options of {@link PexState}. */
export interface PexStateOptions {
  /** Most peers in one message's `added` (both families). Default 50. */
  readonly maxAdded?: number
  /** Most peers in one message's `dropped` (both families). Default 50. */
  readonly maxDropped?: number
  /** Least time between two messages, in milliseconds. Default 60 000. */
  readonly intervalMs?: number
}

/**
 * What one peer has been told about our peers, and the next difference to
 * send it. The receiver's view is modelled as the set of every peer sent in
 * `added` and not since sent in `dropped`; a peer whose flags change is sent
 * again in `added`. Changes beyond the per-message limits are carried over to
 * later messages, so a stable peer set is fully communicated after enough
 * rounds. Peers that cannot be encoded (host not an IP address, port outside
 * 1..65535) are ignored; duplicates in `current` count once (the first wins).
 * @see BEP 11
 */
export class PexState {
  readonly #maxAdded: number
  readonly #maxDropped: number
  readonly #intervalMs: number
  /** The receiver's view: address key → peer as last sent. */
  readonly #sent = new Map<string, PexPeer>()
  #lastSentAt: number | undefined

  constructor (options: PexStateOptions = {}) {
    this.#maxAdded = options.maxAdded ?? PEX_LIMITS.maxPeers
    this.#maxDropped = options.maxDropped ?? PEX_LIMITS.maxPeers
    this.#intervalMs = options.intervalMs ?? PEX_LIMITS.intervalMs
  }

  /**
   * The message to send now, given the peers we are connected to, and record
   * it as sent. The first message is sent on the first call and holds up to
   * `maxAdded` of `current`; later ones the difference since the last sent
   * set. Undefined (nothing recorded) when less than `intervalMs` has passed
   * since the last message or nothing changed.
   * @throws nothing
   */
  diff (current: readonly PexPeer[], now: number): PexMessage | undefined {
    if (this.#lastSentAt !== undefined && now - this.#lastSentAt < this.#intervalMs) return undefined
    const wanted = new Map<string, PexPeer>()
    for (const p of current) {
      const key = pexAddressKey(p)
      if (key !== undefined && !wanted.has(key)) wanted.set(key, p)
    }
    const added: PexPeer[] = []
    const addedKeys: string[] = []
    for (const [key, p] of wanted) {
      if (added.length >= this.#maxAdded) break
      const prev = this.#sent.get(key)
      if (prev !== undefined && (prev.flags & 0xff) === (p.flags & 0xff)) continue
      added.push({ host: p.host, port: p.port, flags: p.flags & 0xff })
      addedKeys.push(key)
    }
    const dropped: PeerAddress[] = []
    const droppedKeys: string[] = []
    for (const [key, p] of this.#sent) {
      if (dropped.length >= this.#maxDropped) break
      if (wanted.has(key)) continue
      dropped.push({ host: p.host, port: p.port })
      droppedKeys.push(key)
    }
    if (added.length === 0 && dropped.length === 0) return undefined
    for (const key of droppedKeys) this.#sent.delete(key)
    added.forEach((p, i) => this.#sent.set(addedKeys[i] as string, p))
    this.#lastSentAt = now
    return { added, dropped }
  }
}

/** Options of {@link PexInbox}. */
export interface PexInboxOptions {
  /** Least time between two accepted messages, in milliseconds. Default 45 000 (a minute, less tolerance for early senders). */
  readonly minIntervalMs?: number
  /** Most peers taken from one message's `added`; the rest are ignored. Default 50. */
  readonly maxPerMessage?: number
}

/**
 * Guards the PEX messages received from one peer. A message that arrives
 * less than `minIntervalMs` after the last accepted one yields no peers (it
 * is ignored, not an error; the peer may stay). Of an accepted message, the
 * first `maxPerMessage` entries of `added` are considered; entries that are
 * our own addresses, have port 0 or an invalid port, a host that is not an
 * IP address, or repeat an earlier entry are dropped. `dropped` is not used:
 * a peer leaving a neighbour says nothing about whether we can reach it.
 * @see BEP 11
 */
export class PexInbox {
  readonly #minIntervalMs: number
  readonly #maxPerMessage: number
  #lastAcceptedAt: number | undefined
  #ignored = 0

  constructor (options: PexInboxOptions = {}) {
    this.#minIntervalMs = options.minIntervalMs ?? 45_000
    this.#maxPerMessage = options.maxPerMessage ?? PEX_LIMITS.maxPeers
  }

  /** Messages ignored so far because they came too soon. */
  get ignored (): number {
    return this.#ignored
  }

  /**
   * The peers of `m` worth connecting to, given our own addresses `self`;
   * `[]` when the message came too soon.
   * @throws nothing
   */
  accept (now: number, m: PexMessage, self: readonly PeerAddress[]): PexPeer[] {
    if (this.#lastAcceptedAt !== undefined && now - this.#lastAcceptedAt < this.#minIntervalMs) {
      this.#ignored++
      return []
    }
    this.#lastAcceptedAt = now
    const seen = new Set<string>()
    for (const a of self) {
      const key = pexAddressKey(a)
      if (key !== undefined) seen.add(key)
    }
    const out: PexPeer[] = []
    for (const p of m.added.slice(0, this.#maxPerMessage)) {
      const key = pexAddressKey(p)
      if (key === undefined || seen.has(key)) continue
      seen.add(key)
      out.push(p)
    }
    return out
  }
}
