import { BEP3, LIMITS } from '../constants.js'
import { ProtocolError } from '../errors.js'
import { Bitfield } from './bitfield.js'
import type { BlockRef, PieceGeometry } from './geometry.js'
import { blockAt, blockCount, blockNumberOf, isValidBlockRequest } from './geometry.js'
import type { EndgameCandidate } from './endgame.js'
import { DEFAULT_MAX_DUPLICATES, pickEndgame } from './endgame.js'
import type { PickerView, PiecePicker } from './piece-picker.js'
import { rarestFirst } from './rarest-first.js'
import { DEFAULT_MAX_SUGGESTIONS_PER_PEER, SuggestedPieces } from './suggested-pieces.js'

/** How a peer is identified in the planner (e.g. its `host:port`). */
export type PeerKey = string

/** Default cap on pieces being downloaded at once (bounds the assembler's memory with it). */
export const DEFAULT_MAX_PIECES_IN_PROGRESS = 512

/** Options of {@link RequestPlanner}. */
export interface RequestPlannerOptions {
  /** Verified pieces; the planner sets bits in it as pieces verify. */
  readonly have: Bitfield
  /** Strategy for new pieces; default `rarestFirst()`. */
  readonly picker?: PiecePicker
  /** Request size; default 16 KiB. */
  readonly blockSize?: number
  /** Most pieces in progress at once; default {@link DEFAULT_MAX_PIECES_IN_PROGRESS}. */
  readonly maxPiecesInProgress?: number
  /**
   * Endgame (BEP 3): once every missing wanted block is requested, hand
   * outstanding blocks to further peers. Default true; `false` turns it off.
   */
  readonly endgame?: boolean
  /** Most peers one block may be outstanding to in endgame; default {@link DEFAULT_MAX_DUPLICATES}. */
  readonly maxDuplicates?: number
  /**
   * Most cancels kept for {@link RequestPlanner.takeCancels} before the
   * oldest are dropped; default `LIMITS.maxIncomingRequests`.
   */
  readonly maxPendingCancels?: number
  /**
   * BEP 6 `suggest_piece` hints remembered per peer (most recent kept);
   * default {@link DEFAULT_MAX_SUGGESTIONS_PER_PEER}, 0 ignores suggestions.
   */
  readonly maxSuggestionsPerPeer?: number
}

/** A request to withdraw: the block arrived from another peer first. */
export interface PlannedCancel {
  readonly peer: PeerKey
  readonly ref: BlockRef
}

const FREE = 0
const REQUESTED = 1
const RECEIVED = 2

/** Per-piece download state: each block free, requested from a peer, or received from one. */
interface Partial {
  readonly index: number
  readonly state: Uint8Array
  /** The peer a block was first requested from (of those still holding it) or was received from. */
  readonly owner: Array<PeerKey | undefined>
  /** Further peers a requested block is outstanding to (endgame), by block number. */
  readonly extra: Map<number, PeerKey[]>
  /** Sequence number of each requested block's first request. */
  readonly since: Float64Array
  free: number
  received: number
}

/**
 * Which blocks to request from whom, for one torrent shared by all its peer
 * connections. Keeps peer availability, the pieces in progress and each
 * block's state. A block is outstanding to one peer at a time, except in
 * endgame, when every missing wanted block is requested: then it may be
 * outstanding to up to `maxDuplicates` peers, never twice to the same one;
 * the first arrival wins and the other holders are queued for `cancel`
 * ({@link RequestPlanner.takeCancels}). Pieces outside the wanted set
 * ({@link RequestPlanner.setWanted}) are never started. Pure and synchronous.
 * @see BEP 3
 */
export class RequestPlanner {
  readonly have: Bitfield
  readonly availability: Uint32Array
  readonly #g: PieceGeometry
  readonly #picker: PiecePicker
  readonly #blockSize: number
  readonly #maxInProgress: number
  /** Stride for global block numbers: `index * #stride + block`. */
  readonly #stride: number
  readonly #peers = new Map<PeerKey, Bitfield>()
  readonly #partials = new Map<number, Partial>()
  /** Global block numbers outstanding per peer. */
  readonly #outstanding = new Map<PeerKey, Set<number>>()
  readonly #view: PickerView
  readonly #endgame: boolean
  readonly #maxDuplicates: number
  readonly #maxCancels: number
  readonly #suggested: SuggestedPieces
  #wanted: Bitfield
  #cancels: PlannedCancel[] = []
  /** Request sequence counter (a logical clock for "oldest request"). */
  #seq = 0

  constructor (g: PieceGeometry, options: RequestPlannerOptions) {
    if (options.have.length !== g.pieceCount) throw new RangeError(`have has ${options.have.length} bits for ${g.pieceCount} pieces`)
    this.#g = g
    this.have = options.have
    this.availability = new Uint32Array(g.pieceCount)
    this.#picker = options.picker ?? rarestFirst()
    this.#blockSize = options.blockSize ?? BEP3.BLOCK_SIZE
    if (!Number.isInteger(this.#blockSize) || this.#blockSize <= 0) throw new RangeError(`bad block size ${this.#blockSize}`)
    this.#maxInProgress = options.maxPiecesInProgress ?? DEFAULT_MAX_PIECES_IN_PROGRESS
    this.#stride = Math.max(1, Math.ceil(g.pieceLength / this.#blockSize))
    this.#endgame = options.endgame !== false
    this.#maxDuplicates = options.maxDuplicates ?? DEFAULT_MAX_DUPLICATES
    if (!Number.isInteger(this.#maxDuplicates) || this.#maxDuplicates < 1) throw new RangeError(`bad maxDuplicates ${this.#maxDuplicates}`)
    this.#maxCancels = options.maxPendingCancels ?? LIMITS.maxIncomingRequests
    this.#suggested = new SuggestedPieces(options.maxSuggestionsPerPeer ?? DEFAULT_MAX_SUGGESTIONS_PER_PEER)
    this.#wanted = Bitfield.full(g.pieceCount)
    const partials = this.#partials
    this.#view = {
      pieceCount: g.pieceCount,
      have: this.have,
      availability: this.availability,
      isInProgress: (index) => partials.has(index),
      isWanted: (index) => this.#wanted.has(index)
    }
  }

  /** All pieces verified (wanted or not); see {@link wantedComplete}. */
  get complete (): boolean { return this.have.complete }

  /** Every wanted piece verified. */
  get wantedComplete (): boolean {
    const w = this.#wanted.bytes
    const h = this.have.bytes
    for (let i = 0; i < w.length; i++) if (((w[i] as number) & ~(h[i] as number) & 0xff) !== 0) return false
    return true
  }

  /** The wanted pieces (a copy). */
  get wanted (): Bitfield { return this.#wanted.clone() }

  /**
   * Which pieces to download (file priorities, see `wantedPieces`). Pieces
   * not wanted are never started; blocks already requested for them stay
   * outstanding until they arrive or are released, but their free blocks
   * are no longer handed out. Default: every piece.
   * @throws RangeError when `wanted` has the wrong length (a caller bug).
   */
  setWanted (wanted: Bitfield): void {
    if (wanted.length !== this.#g.pieceCount) throw new RangeError(`wanted has ${wanted.length} bits for ${this.#g.pieceCount} pieces`)
    this.#wanted = wanted.clone()
  }

  /**
   * True when nothing is left to hand out normally: every missing wanted
   * piece is in progress and none of them has a free block (and endgame is
   * enabled). `next` may then duplicate outstanding blocks.
   * @see BEP 3 ("end game")
   */
  get inEndgame (): boolean {
    if (!this.#endgame) return false
    let wantedPartials = 0
    for (const p of this.#partials.values()) {
      if (!this.#wanted.has(p.index) || this.have.has(p.index)) continue
      if (p.free > 0) return false
      wantedPartials++
    }
    if (wantedPartials === 0) return false
    const w = this.#wanted.bytes
    const h = this.have.bytes
    let missing = 0
    for (let i = 0; i < w.length; i++) missing += POPCOUNT[(w[i] as number) & ~(h[i] as number) & 0xff] as number
    return missing === wantedPartials
  }

  /**
   * Cancels to send since the last call, in order: for each block accepted
   * by {@link receive}, every other peer it was still outstanding to. Those
   * peers no longer hold the block in the planner. Drain after each
   * `receive`; past `maxPendingCancels` the oldest are dropped.
   */
  takeCancels (): PlannedCancel[] {
    const out = this.#cancels
    this.#cancels = []
    return out
  }

  /** Pieces in progress (some blocks requested/received, not verified). */
  get inProgress (): number { return this.#partials.size }

  /** Number of blocks outstanding to `peer`. */
  outstanding (peer: PeerKey): number { return this.#outstanding.get(peer)?.size ?? 0 }

  /**
   * A peer's full bitfield (BEP 3 `bitfield`, BEP 6 `have-all`): replaces what
   * was known of it in the availability counts.
   * @throws ProtocolError `bad-bitfield` (disconnect) when the bitfield has the
   *   wrong length (`Bitfield.fromWire` checks this on the wire already).
   */
  peerHas (peer: PeerKey, bitfield: Bitfield): void {
    if (bitfield.length !== this.#g.pieceCount) {
      throw new ProtocolError('bad-bitfield', `bitfield of ${bitfield.length} bits for ${this.#g.pieceCount} pieces`, { details: { got: bitfield.length, expected: this.#g.pieceCount } })
    }
    this.#forget(peer)
    const copy = bitfield.clone()
    this.#peers.set(peer, copy)
    for (const i of copy.indices()) this.availability[i] = (this.availability[i] as number) + 1
  }

  /**
   * A peer's `have` message. Repeated haves count once.
   * @throws ProtocolError `bad-have` (disconnect) when `index` is not a piece (ADVERSARIAL C34).
   */
  peerHave (peer: PeerKey, index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#g.pieceCount) {
      throw new ProtocolError('bad-have', `have ${index} is out of range 0..${this.#g.pieceCount - 1}`, { details: { index } })
    }
    let bits = this.#peers.get(peer)
    if (bits === undefined) {
      bits = new Bitfield(this.#g.pieceCount)
      this.#peers.set(peer, bits)
    }
    if (bits.set(index)) this.availability[index] = (this.availability[index] as number) + 1
  }

  /**
   * A peer's BEP 6 `suggest_piece`: a hint that {@link next} follows for
   * that peer only (see there). Ignored when `index` is not a piece or is
   * verified already; never an error, whatever a peer sends.
   * @see BEP 6
   */
  suggest (peer: PeerKey, index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#g.pieceCount || this.have.has(index)) return
    this.#suggested.add(peer, index)
  }

  /** The suggestions of `peer` still remembered, most recent first. */
  suggestions (peer: PeerKey): number[] { return this.#suggested.of(peer) }

  /** The peer disconnected: its pieces leave the availability counts, its requests are freed and its suggestions forgotten. */
  peerGone (peer: PeerKey): void {
    this.#suggested.removePeer(peer)
    this.#forget(peer)
    this.#peers.delete(peer)
    this.releaseAll(peer)
  }

  /** True when the peer has a wanted piece we lack. */
  isInteresting (peerHas: Bitfield): boolean {
    const ours = this.have.bytes
    const wanted = this.#wanted.bytes
    const theirs = peerHas.bytes
    const n = Math.min(ours.length, theirs.length)
    for (let i = 0; i < n; i++) {
      if (((theirs[i] as number) & (wanted[i] as number) & ~(ours[i] as number) & 0xff) !== 0) return true
    }
    return false
  }

  /**
   * Blocks to request from this peer now (up to `max`), marked requested by
   * it: free blocks of wanted pieces in progress first (oldest piece first),
   * then new pieces this peer suggested (BEP 6; most recent first, when we
   * want and lack the piece, the peer has it and nobody is downloading it),
   * then blocks of new wanted pieces from the picker. A suggestion is
   * forgotten once followed, once the piece is verified, or once the peer's
   * bitfield lacks it; suggestions never duplicate a block, so they play no
   * part in endgame. Outside endgame never
   * a block outstanding to another peer; never a received block. In
   * endgame ({@link inEndgame}), blocks outstanding to other peers fill the
   * rest: never one this peer already holds, at most `maxDuplicates`
   * holders each, fewest holders and oldest requests first.
   */
  next (peer: PeerKey, peerHas: Bitfield, max: number): BlockRef[] {
    const out: BlockRef[] = []
    if (!(max > 0)) return out
    for (const p of this.#partials.values()) {
      if (out.length >= max) return out
      if (p.free > 0 && peerHas.has(p.index) && this.#wanted.has(p.index)) this.#take(peer, p, out, max)
    }
    if (out.length < max) this.#followSuggestions(peer, peerHas, out, max)
    while (out.length < max && this.#partials.size < this.#maxInProgress) {
      const room = this.#maxInProgress - this.#partials.size
      const wanted = Math.min(room, Math.ceil((max - out.length) / this.#stride))
      const picked = this.#picker.pick(this.#view, peerHas, wanted)
      let started = 0
      for (const index of picked) {
        if (out.length >= max || this.#partials.size >= this.#maxInProgress) break
        if (this.have.has(index) || this.#partials.has(index) || !peerHas.has(index) || !this.#wanted.has(index)) continue
        this.#take(peer, this.#start(index), out, max)
        started++
      }
      if (started === 0) break
    }
    if (out.length < max && this.inEndgame) this.#duplicate(peer, peerHas, out, max)
    return out
  }

  /**
   * A request was rejected, choked away or timed out: `peer` no longer holds
   * the block, which is free again unless another peer still has it
   * outstanding (endgame). No effect when `ref` is not outstanding to `peer`.
   */
  release (peer: PeerKey, ref: BlockRef): void {
    const block = blockNumberOf(this.#g, ref, this.#blockSize)
    if (block < 0) return
    const p = this.#partials.get(ref.index)
    if (p === undefined || p.state[block] !== REQUESTED || !this.#dropHolder(p, block, peer)) return
    this.#outstanding.get(peer)?.delete(this.#key(ref.index, block))
    this.#dropIfIdle(p)
  }

  /**
   * Withdraw every block outstanding to `peer` (choke without Fast,
   * disconnect); returns them. Each is free again unless another peer still
   * has it outstanding (endgame).
   */
  releaseAll (peer: PeerKey): BlockRef[] {
    const keys = this.#outstanding.get(peer)
    this.#outstanding.delete(peer)
    if (keys === undefined) return []
    const out: BlockRef[] = []
    for (const key of keys) {
      const index = Math.floor(key / this.#stride)
      const block = key - index * this.#stride
      const p = this.#partials.get(index)
      if (p === undefined || p.state[block] !== REQUESTED || !this.#dropHolder(p, block, peer)) continue
      out.push(blockAt(this.#g, index, block, this.#blockSize))
      this.#dropIfIdle(p)
    }
    return out
  }

  /**
   * A block arrived. 'accepted' when we requested it from this peer, or from
   * another peer and it is still missing; it is then taken off every
   * holder's outstanding list and each other holder is queued for
   * {@link takeCancels}. 'unrequested' when nobody asked for it, it does not
   * match the block grid, or it was already received: count it as waste and
   * don't store it (ADVERSARIAL C39).
   * @throws ProtocolError `bad-block` (disconnect) when `ref` lies outside the
   *   torrent or is longer than a block (ADVERSARIAL C38).
   */
  receive (peer: PeerKey, ref: BlockRef): 'accepted' | 'unrequested' {
    if (!isValidBlockRequest(this.#g, ref, this.#blockSize)) {
      throw new ProtocolError('bad-block', `block ${ref.index}:${ref.begin}+${ref.length} does not fit the torrent`, { details: { index: ref.index, begin: ref.begin, length: ref.length } })
    }
    const block = blockNumberOf(this.#g, ref, this.#blockSize)
    const p = this.#partials.get(ref.index)
    if (block < 0 || p === undefined || p.state[block] !== REQUESTED) return 'unrequested'
    const key = this.#key(ref.index, block)
    for (const holder of this.#holders(p, block)) {
      this.#outstanding.get(holder)?.delete(key)
      if (holder !== peer) this.#queueCancel(holder, blockAt(this.#g, ref.index, block, this.#blockSize))
    }
    p.extra.delete(block)
    p.state[block] = RECEIVED
    p.owner[block] = peer
    p.received++
    return 'accepted'
  }

  /**
   * A received block will not be kept after all (the assembler refused it):
   * it is missing again.
   */
  discard (ref: BlockRef): void {
    const block = blockNumberOf(this.#g, ref, this.#blockSize)
    const p = block < 0 ? undefined : this.#partials.get(ref.index)
    if (p === undefined || p.state[block] !== RECEIVED) return
    p.received--
    this.#free(p, block)
    this.#dropIfIdle(p)
  }

  /**
   * After a peer's block stream ended: blocks received from `peer` (accepted
   * by {@link receive}) that never reached the assembler are lost with its
   * pipeline; free them again. `isHeld` tells whether the assembler holds a
   * block (`PieceAssembler.holds`). Only pieces still missing blocks are
   * looked at: pieces with every block received are whole in some later
   * stage (verify, write) and are settled by `pieceVerified`, `pieceFailed`
   * or `reset`. Returns the freed blocks.
   */
  forgetUnheld (peer: PeerKey, isHeld: (ref: BlockRef) => boolean): BlockRef[] {
    const out: BlockRef[] = []
    for (const p of [...this.#partials.values()]) {
      if (p.received === p.state.length) continue
      for (let b = 0; b < p.state.length; b++) {
        if (p.state[b] !== RECEIVED || p.owner[b] !== peer) continue
        const ref = blockAt(this.#g, p.index, b, this.#blockSize)
        if (isHeld(ref)) continue
        p.received--
        this.#free(p, b)
        out.push(ref)
      }
      this.#dropIfIdle(p)
    }
    return out
  }

  /**
   * Abandon a piece without blaming anyone (its bytes were lost, e.g. the
   * pipeline holding it ended before verification): every block is missing
   * again and outstanding requests for it are forgotten.
   */
  reset (index: number): void {
    this.#abandon(index)
  }

  /** A piece passed its hash check: marked have and no longer in progress. */
  pieceVerified (index: number): void {
    this.#suggested.removePiece(index)
    this.#abandon(index)
    this.have.set(index)
  }

  /**
   * A piece failed its hash check: all its blocks are missing again. Returns
   * the peers that contributed blocks, each once, for smart banning
   * (ADVERSARIAL C67).
   */
  pieceFailed (index: number): PeerKey[] {
    const p = this.#partials.get(index)
    const contributors = new Set<PeerKey>()
    if (p !== undefined) {
      for (let b = 0; b < p.state.length; b++) {
        if (p.state[b] === RECEIVED) contributors.add(p.owner[b] as PeerKey)
      }
    }
    this.#abandon(index)
    return [...contributors]
  }

  #take (peer: PeerKey, p: Partial, out: BlockRef[], max: number): void {
    let keys = this.#outstanding.get(peer)
    if (keys === undefined) {
      keys = new Set()
      this.#outstanding.set(peer, keys)
    }
    for (let b = 0; b < p.state.length && out.length < max && p.free > 0; b++) {
      if (p.state[b] !== FREE) continue
      p.state[b] = REQUESTED
      p.owner[b] = peer
      p.since[b] = this.#seq++
      p.free--
      keys.add(this.#key(p.index, b))
      out.push(blockAt(this.#g, p.index, b, this.#blockSize))
    }
  }

  /** Start pieces `peer` suggested (see {@link next}); drops suggestions that can never be followed. */
  #followSuggestions (peer: PeerKey, peerHas: Bitfield, out: BlockRef[], max: number): void {
    const known = this.#peers.get(peer)
    for (const index of this.#suggested.of(peer)) {
      if (out.length >= max || this.#partials.size >= this.#maxInProgress) return
      if (this.have.has(index) || known?.has(index) === false) { this.#suggested.remove(peer, index); continue }
      if (this.#partials.has(index) || !peerHas.has(index) || !this.#wanted.has(index)) continue
      this.#suggested.remove(peer, index)
      this.#take(peer, this.#start(index), out, max)
    }
  }

  #start (index: number): Partial {
    const n = blockCount(this.#g, index, this.#blockSize)
    const p: Partial = { index, state: new Uint8Array(n), owner: new Array<PeerKey | undefined>(n).fill(undefined), extra: new Map(), since: new Float64Array(n), free: n, received: 0 }
    this.#partials.set(index, p)
    return p
  }

  #free (p: Partial, block: number): void {
    p.state[block] = FREE
    p.owner[block] = undefined
    p.extra.delete(block)
    p.free++
  }

  /** Peers a requested block is outstanding to, first requester first. */
  #holders (p: Partial, block: number): PeerKey[] {
    const first = p.owner[block]
    if (first === undefined) return []
    const more = p.extra.get(block)
    return more === undefined ? [first] : [first, ...more]
  }

  /**
   * Take `peer` off a requested block's holders; the block is freed when no
   * holder remains. False when `peer` did not hold it.
   */
  #dropHolder (p: Partial, block: number, peer: PeerKey): boolean {
    const more = p.extra.get(block)
    if (p.owner[block] === peer) {
      const next = more?.shift()
      if (next === undefined) {
        this.#free(p, block)
      } else {
        p.owner[block] = next
        if (more?.length === 0) p.extra.delete(block)
      }
      return true
    }
    const at = more === undefined ? -1 : more.indexOf(peer)
    if (more === undefined || at < 0) return false
    more.splice(at, 1)
    if (more.length === 0) p.extra.delete(block)
    return true
  }

  /** Endgame: add outstanding blocks of other peers to `out`, with `peer` as a further holder. */
  #duplicate (peer: PeerKey, peerHas: Bitfield, out: BlockRef[], max: number): void {
    const candidates: EndgameCandidate[] = []
    for (const p of this.#partials.values()) {
      if (!peerHas.has(p.index) || !this.#wanted.has(p.index)) continue
      for (let b = 0; b < p.state.length; b++) {
        if (p.state[b] !== REQUESTED) continue
        candidates.push({ index: p.index, block: b, holders: this.#holders(p, b), since: p.since[b] as number })
      }
    }
    const chosen = pickEndgame(candidates, peer, max - out.length, this.#maxDuplicates)
    if (chosen.length === 0) return
    let keys = this.#outstanding.get(peer)
    if (keys === undefined) {
      keys = new Set()
      this.#outstanding.set(peer, keys)
    }
    for (const c of chosen) {
      const p = this.#partials.get(c.index) as Partial
      const more = p.extra.get(c.block)
      if (more === undefined) p.extra.set(c.block, [peer])
      else more.push(peer)
      keys.add(this.#key(c.index, c.block))
      out.push(blockAt(this.#g, c.index, c.block, this.#blockSize))
    }
  }

  #queueCancel (peer: PeerKey, ref: BlockRef): void {
    if (this.#maxCancels <= 0) return
    if (this.#cancels.length >= this.#maxCancels) this.#cancels.shift()
    this.#cancels.push({ peer, ref })
  }

  /** A piece with nothing requested or received is no longer in progress. */
  #dropIfIdle (p: Partial): void {
    if (p.free === p.state.length) this.#partials.delete(p.index)
  }

  /** Forget a piece's state, taking its outstanding blocks off their peers' lists. */
  #abandon (index: number): void {
    const p = this.#partials.get(index)
    if (p === undefined) return
    for (let b = 0; b < p.state.length; b++) {
      if (p.state[b] !== REQUESTED) continue
      for (const holder of this.#holders(p, b)) this.#outstanding.get(holder)?.delete(this.#key(index, b))
    }
    this.#partials.delete(index)
  }

  #forget (peer: PeerKey): void {
    const old = this.#peers.get(peer)
    if (old === undefined) return
    for (const i of old.indices()) this.availability[i] = (this.availability[i] as number) - 1
  }

  #key (index: number, block: number): number { return index * this.#stride + block }
}

const POPCOUNT = new Uint8Array(256)
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + (POPCOUNT[i >> 1] as number)
