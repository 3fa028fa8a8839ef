import { ProtocolError } from '../errors.js'
import { LIMITS } from '../constants.js'
import { Bitfield } from '../pieces/bitfield.js'
import { isValidBlockRequest } from '../pieces/geometry.js'
import type { BlockRef, PieceGeometry } from '../pieces/geometry.js'
import type { Message } from '../wire/types.js'
import { blockKey, outstandingKey, toBlockRef } from './block-key.js'
import type { PeerEvent } from './peer-event.js'
import type { OutstandingRequest, PeerSessionOptions } from './peer-session-types.js'
import { IncomingRequests } from './incoming-requests.js'

export type { PeerEvent } from './peer-event.js'

export type { PeerSessionOptions, OutstandingRequest } from './peer-session-types.js'

/** Messages that may come before the peer's bitfield without making it "not first". */
const BEFORE_BITFIELD = new Set<Message['type']>(['keep-alive', 'extended', 'port'])
const FAST_ONLY = new Set<Message['type']>(['suggest-piece', 'have-all', 'have-none', 'reject-request', 'allowed-fast'])

/**
 * The protocol state of one peer connection, with no I/O and no clock: the
 * peer's messages go in through {@link PeerSession.handle}, our commands
 * through the command methods, and both return what happened (events) or
 * what must be sent (messages). Time is an argument.
 *
 * Memory is bounded whatever the peer sends: the incoming request queue is
 * capped by `maxIncomingRequests`, queued rejects by the same number, and
 * every other structure by the piece count or by our own requests.
 *
 * @see BEP 3 (peer wire protocol), BEP 6 (Fast extension), BEP 10 (extension protocol)
 */
export class PeerSession {
  readonly #geometry: PieceGeometry
  readonly #fast: boolean
  readonly #extended: boolean
  readonly #maxIncoming: number
  readonly #maxWhileChoked: number
  readonly #maxBlock: number
  readonly #ourHave: Bitfield
  readonly #peerHas: Bitfield
  /** Incoming requests in arrival order (lib/peer/incoming-requests). */
  readonly #incoming: IncomingRequests
  readonly #outstanding = new Map<number | string, OutstandingRequest>()
  readonly #allowedFast = new Set<number>()
  #outgoing: Message[] = []
  #dropped: BlockRef[] = []
  #requestsWhileChoked = 0
  #sawFirst = false
  readonly #weAllowFast = new Set<number>()
  #lastMessageAt: number | undefined
  #failure: ProtocolError | undefined
  #amChoking = true
  #amInterested = false
  #peerChoking = true
  #peerInterested = false

  constructor (options: PeerSessionOptions) {
    this.#geometry = options.geometry
    this.#incoming = new IncomingRequests(options.geometry.pieceLength)
    this.#fast = options.fast
    this.#extended = options.extended
    this.#maxIncoming = options.maxIncomingRequests ?? LIMITS.maxIncomingRequests
    this.#maxWhileChoked = options.maxRequestsWhileChoked ?? LIMITS.maxRequestsWhileChoked
    this.#maxBlock = options.maxBlockLength ?? LIMITS.maxBlockLength
    this.#ourHave = options.ourHave
    this.#peerHas = new Bitfield(options.geometry.pieceCount)
  }

  get amChoking (): boolean { return this.#amChoking }
  get amInterested (): boolean { return this.#amInterested }
  get peerChoking (): boolean { return this.#peerChoking }
  get peerInterested (): boolean { return this.#peerInterested }
  /** The pieces the peer announced; live, empty until its bitfield or first have. */
  get peerHas (): Bitfield { return this.#peerHas }
  /** Incoming requests waiting to be served. */
  get pendingRequests (): number { return this.#incoming.size }
  /** Our requests to this peer not yet answered, with the time each was sent (keys are internal: read the values). */
  get outstanding (): ReadonlyMap<number | string, OutstandingRequest> { return this.#outstanding }
  /** Pieces the peer allows us to request while it chokes us (BEP 6). */
  get allowedFast (): ReadonlySet<number> { return this.#allowedFast }
  /** The `now` of the last message handled, `undefined` before the first. */
  get lastMessageAt (): number | undefined { return this.#lastMessageAt }
  /** Whether BEP 6 was negotiated for this session. */
  get fast (): boolean { return this.#fast }

  /**
   * Apply one message from the peer and return the events it produced
   * (often none: duplicates and tolerated noise produce nothing).
   * Messages that must be sent in answer (BEP 6 rejects) are queued for
   * {@link PeerSession.drainOutgoing}.
   *
   * @throws ProtocolError (disconnect) on a violation: `bad-bitfield`
   *   (wrong size, spare bits set, not the first message, sent twice),
   *   `invalid-have` (index out of range), `fast-not-negotiated`,
   *   `extended-not-negotiated`, `unknown-message`, `invalid-piece`
   *   (outside the geometry or larger than `maxBlockLength`),
   *   `too-many-requests-when-choked`, `reject-flood` (rejects pile up
   *   undrained beyond `maxIncomingRequests`). After a violation the
   *   session is failed: every later call rethrows the same error.
   */
  handle (msg: Message, now: number): PeerEvent[] {
    if (this.#failure !== undefined) throw this.#failure
    try {
      return this.#handle(msg, now)
    } catch (err) {
      if (err instanceof ProtocolError) this.#failure = err
      throw err
    }
  }

  #handle (msg: Message, now: number): PeerEvent[] {
    this.#lastMessageAt = now
    if (FAST_ONLY.has(msg.type) && !this.#fast) {
      throw new ProtocolError('fast-not-negotiated', `${msg.type} received but the Fast extension was not negotiated`, { details: { type: msg.type } })
    }
    const first = !this.#sawFirst
    if (!BEFORE_BITFIELD.has(msg.type)) this.#sawFirst = true
    switch (msg.type) {
      case 'keep-alive': return [{ type: 'keep-alive' }]
      case 'choke': return this.#onChoke()
      case 'unchoke':
        if (!this.#peerChoking) return []
        this.#peerChoking = false
        return [{ type: 'unchoked' }]
      case 'interested':
        if (this.#peerInterested) return []
        this.#peerInterested = true
        return [{ type: 'interested' }]
      case 'not-interested':
        if (!this.#peerInterested) return []
        this.#peerInterested = false
        return [{ type: 'not-interested' }]
      case 'have': {
        if (!Number.isInteger(msg.index) || msg.index < 0 || msg.index >= this.#geometry.pieceCount) {
          throw new ProtocolError('invalid-have', `have ${msg.index} out of range 0..${this.#geometry.pieceCount - 1}`, { details: { index: msg.index } })
        }
        return this.#peerHas.set(msg.index) ? [{ type: 'have', index: msg.index }] : []
      }
      // A later bitfield or have-all (aria2 sends one instead of many haves)
      // only adds pieces; its size and spare bits are checked all the same.
      case 'bitfield': {
        const has = Bitfield.fromWire(msg.bits, this.#geometry.pieceCount)
        return first ? this.#replaceHas(has) : this.#mergeHas(has)
      }
      case 'have-all':
        return first ? this.#replaceHas(Bitfield.full(this.#geometry.pieceCount)) : this.#mergeHas(Bitfield.full(this.#geometry.pieceCount))
      case 'have-none':
        return first ? this.#replaceHas(new Bitfield(this.#geometry.pieceCount)) : []
      case 'request': return this.#onRequest(toBlockRef(msg))
      case 'cancel': return this.#onCancel(toBlockRef(msg))
      case 'piece': return this.#onPiece(msg.index, msg.begin, msg.block)
      case 'reject-request': {
        const entry = this.#takeOutstanding(msg.index, msg.begin, msg.length)
        return entry === undefined ? [] : [{ type: 'rejected', ref: entry.ref }]
      }
      case 'suggest-piece':
        return this.#inRange(msg.index) ? [{ type: 'suggest', index: msg.index }] : []
      case 'allowed-fast':
        if (!this.#inRange(msg.index) || this.#allowedFast.has(msg.index)) return []
        this.#allowedFast.add(msg.index)
        return [{ type: 'allowed-fast', index: msg.index }]
      case 'port': return [{ type: 'port', port: msg.port }]
      case 'extended':
        if (!this.#extended) throw new ProtocolError('extended-not-negotiated', 'extended message received but BEP 10 was not negotiated')
        return [{ type: 'extended', id: msg.id, payload: msg.payload }]
      case 'unknown':
        throw new ProtocolError('unknown-message', `unknown message id ${msg.id}`, { details: { id: msg.id } })
    }
  }

  /**
   * BEP 6: let the peer request these pieces even while we choke it (the
   * allowed-fast set, `lib/swarm/allowed-fast.ts`). Returns the
   * `allowed-fast` messages to send; `[]` without the Fast extension.
   */
  allowFast (indices: readonly number[]): Message[] {
    if (!this.#fast) return []
    const out: Message[] = []
    for (const index of indices) {
      if (!this.#inRange(index) || this.#weAllowFast.has(index)) continue
      this.#weAllowFast.add(index)
      out.push({ type: 'allowed-fast', index })
    }
    return out
  }

  /** Pieces we allowed the peer to fetch while choked. */
  get weAllowFast (): ReadonlySet<number> { return this.#weAllowFast }

  /** Messages owed to the peer as a consequence of its own (BEP 6 rejects); the queue is emptied. */
  drainOutgoing (): Message[] {
    const out = this.#outgoing
    this.#outgoing = []
    return out
  }

  /**
   * Choke the peer. With BEP 6 every queued request is answered with a
   * reject after the choke; without it they are silently dropped.
   * Returns `[]` when already choking.
   */
  choke (): Message[] {
    if (this.#amChoking) return []
    this.#amChoking = true
    const out: Message[] = [{ type: 'choke' }]
    const queued = this.#incoming.drain()
    if (this.#fast) for (const ref of queued) out.push({ type: 'reject-request', ...ref })
    return out
  }

  /** Unchoke the peer; resets its count of requests made while choked. Returns `[]` when not choking. */
  unchoke (): Message[] {
    if (!this.#amChoking) return []
    this.#amChoking = false
    this.#requestsWhileChoked = 0
    return [{ type: 'unchoke' }]
  }

  /** Tell the peer we are interested; `[]` when we already are. */
  interested (): Message[] {
    if (this.#amInterested) return []
    this.#amInterested = true
    return [{ type: 'interested' }]
  }

  /** Tell the peer we are not interested; `[]` when we already are not. */
  notInterested (): Message[] {
    if (!this.#amInterested) return []
    this.#amInterested = false
    return [{ type: 'not-interested' }]
  }

  /**
   * Request blocks from the peer. Each is tracked in `outstanding` with
   * `now` as its send time; blocks already outstanding are skipped.
   * @throws RangeError when a reference lies outside the geometry (a local bug, not peer input)
   */
  request (refs: readonly BlockRef[], now: number): Message[] {
    const out: Message[] = []
    for (const r of refs) {
      if (!isValidBlockRequest(this.#geometry, r, this.#maxBlock)) throw new RangeError(`request ${blockKey(r)} outside the torrent`)
      const key = outstandingKey(r.index, r.begin)
      if (this.#outstanding.has(key)) continue
      const ref = toBlockRef(r)
      this.#outstanding.set(key, { ref, sentAt: now })
      out.push({ type: 'request', ...ref })
    }
    return out
  }

  /** Cancel one of our outstanding requests; `[]` when it is not outstanding. */
  cancel (ref: BlockRef): Message[] {
    if (this.#takeOutstanding(ref.index, ref.begin, ref.length) === undefined) return []
    return [{ type: 'cancel', index: ref.index, begin: ref.begin, length: ref.length }]
  }

  /** Announce a piece we just verified. */
  have (index: number): Message[] {
    return [{ type: 'have', index }]
  }

  /**
   * Our opening announcement: with BEP 6 `have-all`, `have-none` or a
   * bitfield; without it a bitfield, or nothing when we have no piece.
   * The bitfield bytes are copied, so later changes to `have` do not leak in.
   */
  announce (have: Bitfield): Message[] {
    if (this.#fast) {
      if (have.length > 0 && have.complete) return [{ type: 'have-all' }]
      if (have.empty) return [{ type: 'have-none' }]
    } else if (have.empty) {
      return []
    }
    return [{ type: 'bitfield', bits: Uint8Array.from(have.bytes) }]
  }

  /** The oldest incoming request still queued, removed from the queue. */
  takeRequest (): BlockRef | undefined {
    return this.#incoming.take()
  }

  /** Remove and return our requests sent at or before `now - timeoutMs`. */
  expire (now: number, timeoutMs: number): BlockRef[] {
    const expired: BlockRef[] = []
    for (const [key, entry] of this.#outstanding) {
      if (now - entry.sentAt >= timeoutMs) {
        this.#outstanding.delete(key)
        expired.push(entry.ref)
      }
    }
    return expired
  }

  /** Requests implicitly cancelled by a choke without BEP 6, since the last call. */
  takeDropped (): BlockRef[] {
    const dropped = this.#dropped
    this.#dropped = []
    return dropped
  }

  /** Remove and return our request for exactly this block, if outstanding. */
  #takeOutstanding (index: number, begin: number, length: number): OutstandingRequest | undefined {
    const key = outstandingKey(index, begin)
    const entry = this.#outstanding.get(key)
    if (entry === undefined || entry.ref.length !== length) return undefined
    this.#outstanding.delete(key)
    return entry
  }

  #onChoke (): PeerEvent[] {
    if (this.#peerChoking) return []
    this.#peerChoking = true
    if (!this.#fast) {
      for (const entry of this.#outstanding.values()) this.#dropped.push(entry.ref)
      this.#outstanding.clear()
    }
    return [{ type: 'choked' }]
  }

  #onRequest (ref: BlockRef): PeerEvent[] {
    // BEP 6: pieces we told the peer it may fetch while choked skip the choke check.
    if (this.#amChoking && !(this.#fast && this.#weAllowFast.has(ref.index))) {
      this.#requestsWhileChoked++
      if (this.#requestsWhileChoked > this.#maxWhileChoked) {
        throw new ProtocolError('too-many-requests-when-choked', `more than ${this.#maxWhileChoked} requests while choked`, { details: { limit: this.#maxWhileChoked } })
      }
      this.#reject(ref)
      return []
    }
    if (!isValidBlockRequest(this.#geometry, ref, this.#maxBlock) || !this.#ourHave.has(ref.index)) {
      this.#reject(ref)
      return []
    }
    if (this.#incoming.size >= this.#maxIncoming) {
      if (!this.#incoming.has(ref)) this.#reject(ref)
      return []
    }
    // A request already queued stays where it is, and is not news.
    return this.#incoming.add(ref) ? [{ type: 'request', ref }] : []
  }

  #onCancel (ref: BlockRef): PeerEvent[] {
    if (!this.#incoming.delete(ref)) return []
    // BEP 6: a cancelled request is still answered, with a reject when the block is not sent.
    this.#reject(ref)
    return [{ type: 'cancel', ref }]
  }

  #onPiece (index: number, begin: number, block: Uint8Array): PeerEvent[] {
    const ref = { index, begin, length: block.length }
    if (block.length > this.#maxBlock || !isValidBlockRequest(this.#geometry, ref, this.#maxBlock)) {
      throw new ProtocolError('invalid-piece', `piece ${blockKey(ref)} is outside the torrent or larger than ${this.#maxBlock} bytes`, { details: { index, begin, length: block.length } })
    }
    if (this.#takeOutstanding(index, begin, block.length) === undefined) return [{ type: 'unwanted-block', index, begin, length: block.length }]
    return [{ type: 'block', index, begin, block }]
  }

  /** Queue a BEP 6 reject; without BEP 6 the request is silently ignored. */
  #reject (ref: BlockRef): void {
    if (!this.#fast) return
    if (this.#outgoing.length >= this.#maxIncoming) {
      throw new ProtocolError('reject-flood', `more than ${this.#maxIncoming} rejects owed to the peer`, { details: { limit: this.#maxIncoming } })
    }
    this.#outgoing.push({ type: 'reject-request', index: ref.index, begin: ref.begin, length: ref.length })
  }

  #mergeHas (has: Bitfield): PeerEvent[] {
    let changed = false
    for (const i of has.indices()) if (this.#peerHas.set(i)) changed = true
    return changed ? [{ type: 'bitfield', bitfield: this.#peerHas.clone() }] : []
  }

  #replaceHas (has: Bitfield): PeerEvent[] {
    // Only ever called on the first message, so the live bitfield is still empty.
    for (const i of has.indices()) this.#peerHas.set(i)
    return [{ type: 'bitfield', bitfield: has }]
  }

  #inRange (index: number): boolean {
    return Number.isInteger(index) && index >= 0 && index < this.#geometry.pieceCount
  }
}
