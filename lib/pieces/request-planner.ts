import { BEP3, LIMITS } from '../constants.js'
import { ProtocolError } from '../errors.js'
import { PeerAvailability } from './availability.js'
import { Bitfield } from './bitfield.js'
import { BlockLedger } from './block-ledger.js'
import { CancelQueue, type PlannedCancel } from './cancel-queue.js'
import type { BlockRef, PieceGeometry } from './geometry.js'
import { isValidBlockRequest } from './geometry.js'
import { DEFAULT_MAX_DUPLICATES, endgameCandidates, isEndgame, pickEndgame } from './endgame.js'
import type { PeerKey } from './peer-key.js'
import type { PickerView, PiecePicker } from './piece-picker.js'
import { rarestFirst } from './rarest-first.js'
import { DEFAULT_MAX_SUGGESTIONS_PER_PEER, SuggestedPieces } from './suggested-pieces.js'

export type { PlannedCancel } from './cancel-queue.js'
export type { PeerKey } from './peer-key.js'

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
  /** Verified pieces (the `have` option itself). */
  readonly have: Bitfield
  /** Peers having each piece, as the picker sees it. */
  readonly availability: Uint32Array
  readonly #g: PieceGeometry
  readonly #picker: PiecePicker
  readonly #blockSize: number
  readonly #maxInProgress: number
  readonly #peers: PeerAvailability
  readonly #ledger: BlockLedger
  readonly #cancels: CancelQueue
  readonly #view: PickerView
  readonly #endgame: boolean
  readonly #maxDuplicates: number
  readonly #suggested: SuggestedPieces
  #wanted: Bitfield

  constructor (g: PieceGeometry, options: RequestPlannerOptions) {
    if (options.have.length !== g.pieceCount) throw new RangeError(`have has ${options.have.length} bits for ${g.pieceCount} pieces`)
    this.#g = g
    this.have = options.have
    this.#peers = new PeerAvailability(g.pieceCount)
    this.availability = this.#peers.counts
    this.#picker = options.picker ?? rarestFirst()
    this.#blockSize = options.blockSize ?? BEP3.BLOCK_SIZE
    if (!Number.isInteger(this.#blockSize) || this.#blockSize <= 0) throw new RangeError(`bad block size ${this.#blockSize}`)
    this.#maxInProgress = options.maxPiecesInProgress ?? DEFAULT_MAX_PIECES_IN_PROGRESS
    this.#endgame = options.endgame !== false
    this.#maxDuplicates = options.maxDuplicates ?? DEFAULT_MAX_DUPLICATES
    if (!Number.isInteger(this.#maxDuplicates) || this.#maxDuplicates < 1) throw new RangeError(`bad maxDuplicates ${this.#maxDuplicates}`)
    this.#cancels = new CancelQueue(options.maxPendingCancels ?? LIMITS.maxIncomingRequests)
    const ledger = this.#ledger = new BlockLedger(g, this.#blockSize, this.#cancels)
    this.#suggested = new SuggestedPieces(options.maxSuggestionsPerPeer ?? DEFAULT_MAX_SUGGESTIONS_PER_PEER)
    this.#wanted = Bitfield.full(g.pieceCount)
    this.#view = {
      pieceCount: g.pieceCount,
      have: this.have,
      availability: this.availability,
      isInProgress: (index) => ledger.has(index),
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
    return this.#endgame && isEndgame(this.#ledger.pieces(), this.#wanted, this.have)
  }

  /**
   * Cancels to send since the last call, in order: for each block accepted
   * by {@link receive}, every other peer it was still outstanding to. Those
   * peers no longer hold the block in the planner. Drain after each
   * `receive`; past `maxPendingCancels` the oldest are dropped.
   */
  takeCancels (): PlannedCancel[] { return this.#cancels.take() }

  /** Pieces in progress (some blocks requested/received, not verified). */
  get inProgress (): number { return this.#ledger.size }

  /** Number of blocks outstanding to `peer`. */
  outstanding (peer: PeerKey): number { return this.#ledger.outstanding(peer) }

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
    this.#peers.setBitfield(peer, bitfield)
  }

  /**
   * A peer's `have` message. Repeated haves count once.
   * @throws ProtocolError `bad-have` (disconnect) when `index` is not a piece (ADVERSARIAL C34).
   */
  peerHave (peer: PeerKey, index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#g.pieceCount) {
      throw new ProtocolError('bad-have', `have ${index} is out of range 0..${this.#g.pieceCount - 1}`, { details: { index } })
    }
    this.#peers.addHave(peer, index)
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
    this.#peers.remove(peer)
    this.#ledger.releaseAll(peer)
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
    const ledger = this.#ledger
    for (const p of ledger.pieces()) {
      if (out.length >= max) return out
      if (p.free > 0 && peerHas.has(p.index) && this.#wanted.has(p.index)) ledger.take(peer, p, out, max)
    }
    if (out.length < max) this.#followSuggestions(peer, peerHas, out, max)
    if (out.length < max) this.#startPicked(peer, peerHas, out, max)
    if (out.length < max && this.inEndgame) {
      const chosen = pickEndgame(endgameCandidates(ledger.pieces(), peerHas, this.#wanted), peer, max - out.length, this.#maxDuplicates)
      ledger.duplicate(peer, chosen, out)
    }
    return out
  }

  /**
   * A request was rejected, choked away or timed out: `peer` no longer holds
   * the block, which is free again unless another peer still has it
   * outstanding (endgame). No effect when `ref` is not outstanding to `peer`.
   */
  release (peer: PeerKey, ref: BlockRef): void { this.#ledger.release(peer, ref) }

  /**
   * Withdraw every block outstanding to `peer` (choke without Fast,
   * disconnect); returns them. Each is free again unless another peer still
   * has it outstanding (endgame).
   */
  releaseAll (peer: PeerKey): BlockRef[] { return this.#ledger.releaseAll(peer) }

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
    return this.#ledger.receive(peer, ref) ? 'accepted' : 'unrequested'
  }

  /**
   * A received block will not be kept after all (the assembler refused it):
   * it is missing again.
   */
  discard (ref: BlockRef): void { this.#ledger.discard(ref) }

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
    return this.#ledger.forgetUnheld(peer, isHeld)
  }

  /**
   * Abandon a piece without blaming anyone (its bytes were lost, e.g. the
   * pipeline holding it ended before verification): every block is missing
   * again and outstanding requests for it are forgotten.
   */
  reset (index: number): void { this.#ledger.abandon(index) }

  /** A piece passed its hash check: marked have and no longer in progress. */
  pieceVerified (index: number): void {
    this.#suggested.removePiece(index)
    this.#ledger.abandon(index)
    this.have.set(index)
  }

  /**
   * A piece failed its hash check: all its blocks are missing again. Returns
   * the peers that contributed blocks, each once, for smart banning
   * (ADVERSARIAL C67).
   */
  pieceFailed (index: number): PeerKey[] {
    const contributors = this.#ledger.contributors(index)
    this.#ledger.abandon(index)
    return contributors
  }

  /** Start pieces `peer` suggested (see {@link next}); drops suggestions that can never be followed. */
  #followSuggestions (peer: PeerKey, peerHas: Bitfield, out: BlockRef[], max: number): void {
    const known = this.#peers.of(peer)
    for (const index of this.#suggested.of(peer)) {
      if (out.length >= max || this.#ledger.size >= this.#maxInProgress) return
      if (this.have.has(index) || known?.has(index) === false) { this.#suggested.remove(peer, index); continue }
      if (this.#ledger.has(index) || !peerHas.has(index) || !this.#wanted.has(index)) continue
      this.#suggested.remove(peer, index)
      this.#ledger.take(peer, this.#ledger.start(index), out, max)
    }
  }

  /** Start the pieces the picker chooses for `peer` while blocks and room for pieces remain (see {@link next}). */
  #startPicked (peer: PeerKey, peerHas: Bitfield, out: BlockRef[], max: number): void {
    const ledger = this.#ledger
    while (out.length < max && ledger.size < this.#maxInProgress) {
      const room = this.#maxInProgress - ledger.size
      const wanted = Math.min(room, Math.ceil((max - out.length) / ledger.stride))
      const picked = this.#picker.pick(this.#view, peerHas, wanted)
      let started = 0
      for (const index of picked) {
        if (out.length >= max || ledger.size >= this.#maxInProgress) break
        if (this.have.has(index) || ledger.has(index) || !peerHas.has(index) || !this.#wanted.has(index)) continue
        ledger.take(peer, ledger.start(index), out, max)
        started++
      }
      if (started === 0) return
    }
  }
}
