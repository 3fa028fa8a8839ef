import { BEP3 } from '../constants.js'
import { ProtocolError } from '../errors.js'
import { Bitfield } from './bitfield.js'
import type { BlockRef, PieceGeometry } from './geometry.js'
import { blockAt, blockCount, blockNumberOf, isValidBlockRequest } from './geometry.js'
import type { PickerView, PiecePicker } from './piece-picker.js'
import { rarestFirst } from './rarest-first.js'

/** How a peer is identified in the planner (e.g. its `host:port`). */
export type PeerKey = string

/** Default cap on pieces being downloaded at once (bounds the assembler's memory with it). */
export const DEFAULT_MAX_PIECES_IN_PROGRESS = 512

export interface RequestPlannerOptions {
  /** Verified pieces; the planner sets bits in it as pieces verify. */
  readonly have: Bitfield
  /** Strategy for new pieces; default `rarestFirst()`. */
  readonly picker?: PiecePicker
  /** Request size; default 16 KiB. */
  readonly blockSize?: number
  /** Most pieces in progress at once; default {@link DEFAULT_MAX_PIECES_IN_PROGRESS}. */
  readonly maxPiecesInProgress?: number
}

const FREE = 0
const REQUESTED = 1
const RECEIVED = 2

/** Per-piece download state: each block free, requested from a peer, or received from one. */
interface Partial {
  readonly index: number
  readonly state: Uint8Array
  /** The peer a block is requested from or was received from. */
  readonly owner: Array<PeerKey | undefined>
  free: number
  received: number
}

/**
 * Which blocks to request from whom, for one torrent shared by all its peer
 * connections. Keeps peer availability, the pieces in progress and each
 * block's state. A block is outstanding to at most one peer at a time
 * (endgame is a separate strategy). Pure and synchronous.
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
    const partials = this.#partials
    this.#view = {
      pieceCount: g.pieceCount,
      have: this.have,
      availability: this.availability,
      isInProgress: (index) => partials.has(index),
      isWanted: () => true
    }
  }

  /** All pieces verified. */
  get complete (): boolean { return this.have.complete }

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

  /** The peer disconnected: its pieces leave the availability counts and its requests are freed. */
  peerGone (peer: PeerKey): void {
    this.#forget(peer)
    this.#peers.delete(peer)
    this.releaseAll(peer)
  }

  /** True when the peer has a piece we lack. */
  isInteresting (peerHas: Bitfield): boolean {
    const ours = this.have.bytes
    const theirs = peerHas.bytes
    const n = Math.min(ours.length, theirs.length)
    for (let i = 0; i < n; i++) {
      if (((theirs[i] as number) & ~(ours[i] as number) & 0xff) !== 0) return true
    }
    return false
  }

  /**
   * Blocks to request from this peer now (up to `max`), marked requested by
   * it: free blocks of pieces in progress first (oldest piece first), then
   * blocks of new pieces from the picker. Never a block outstanding to
   * another peer or already received.
   */
  next (peer: PeerKey, peerHas: Bitfield, max: number): BlockRef[] {
    const out: BlockRef[] = []
    if (!(max > 0)) return out
    for (const p of this.#partials.values()) {
      if (out.length >= max) return out
      if (p.free > 0 && peerHas.has(p.index)) this.#take(peer, p, out, max)
    }
    while (out.length < max && this.#partials.size < this.#maxInProgress) {
      const room = this.#maxInProgress - this.#partials.size
      const wanted = Math.min(room, Math.ceil((max - out.length) / this.#stride))
      const picked = this.#picker.pick(this.#view, peerHas, wanted)
      let started = 0
      for (const index of picked) {
        if (out.length >= max || this.#partials.size >= this.#maxInProgress) break
        if (this.have.has(index) || this.#partials.has(index) || !peerHas.has(index)) continue
        this.#take(peer, this.#start(index), out, max)
        started++
      }
      if (started === 0) break
    }
    return out
  }

  /** A request was rejected, choked away or timed out: the block is free again. No effect when `ref` is not outstanding to `peer`. */
  release (peer: PeerKey, ref: BlockRef): void {
    const block = blockNumberOf(this.#g, ref, this.#blockSize)
    if (block < 0) return
    const p = this.#partials.get(ref.index)
    if (p === undefined || p.state[block] !== REQUESTED || p.owner[block] !== peer) return
    this.#free(p, block)
    this.#outstanding.get(peer)?.delete(this.#key(ref.index, block))
    this.#dropIfIdle(p)
  }

  /** Free every block outstanding to `peer` (choke without Fast, disconnect); returns them. */
  releaseAll (peer: PeerKey): BlockRef[] {
    const keys = this.#outstanding.get(peer)
    this.#outstanding.delete(peer)
    if (keys === undefined) return []
    const out: BlockRef[] = []
    for (const key of keys) {
      const index = Math.floor(key / this.#stride)
      const block = key - index * this.#stride
      const p = this.#partials.get(index)
      if (p === undefined || p.state[block] !== REQUESTED || p.owner[block] !== peer) continue
      this.#free(p, block)
      out.push(blockAt(this.#g, index, block, this.#blockSize))
      this.#dropIfIdle(p)
    }
    return out
  }

  /**
   * A block arrived. 'accepted' when we requested it from this peer, or from
   * another peer and it is still missing (it is then taken off that peer's
   * outstanding list); 'unrequested' when nobody asked for it, it does not
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
    const requester = p.owner[block] as PeerKey
    this.#outstanding.get(requester)?.delete(this.#key(ref.index, block))
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
      p.free--
      keys.add(this.#key(p.index, b))
      out.push(blockAt(this.#g, p.index, b, this.#blockSize))
    }
  }

  #start (index: number): Partial {
    const n = blockCount(this.#g, index, this.#blockSize)
    const p: Partial = { index, state: new Uint8Array(n), owner: new Array<PeerKey | undefined>(n).fill(undefined), free: n, received: 0 }
    this.#partials.set(index, p)
    return p
  }

  #free (p: Partial, block: number): void {
    p.state[block] = FREE
    p.owner[block] = undefined
    p.free++
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
      if (p.state[b] === REQUESTED) this.#outstanding.get(p.owner[b] as PeerKey)?.delete(this.#key(index, b))
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
