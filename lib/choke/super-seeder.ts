import { ProtocolError, UsageError } from '../errors.js'
import { LIMITS } from '../constants.js'
import { Bitfield } from '../pieces/bitfield.js'
import { xorshift32 } from '../pieces/xorshift32.js'

/** Options of {@link SuperSeeder}. */
export interface SuperSeederOptions {
  /** Pieces in the torrent (we hold them all). */
  readonly pieceCount: number
  /** Randomness in [0, 1) used to break ties; defaults to a seeded xorshift32. */
  readonly random?: () => number
  /** Pieces a peer may hold as offers at once (outstanding or not yet seen elsewhere); default 1. */
  readonly perPeer?: number
}

/** One piece to announce with a `have` message to one peer. */
export interface SuperSeedOffer {
  readonly peer: string
  readonly index: number
}

interface PeerState {
  readonly has: Bitfield
  /** Offered, not yet announced by this peer. */
  readonly outstanding: Set<number>
  /** Announced by this peer after our offer, not yet seen at any other peer. */
  readonly delivered: Set<number>
}

/**
 * BEP 16 superseeding as a pure strategy: decides which single pieces a seed
 * pretending to have nothing announces to each peer, and which requests it
 * serves.
 *
 * The seed sends every peer an empty bitfield (or HAVE_NONE), then one `have`
 * per offer returned here. A peer holds at most `perPeer` offers: an offer
 * stays counted while outstanding and, once the peer announces the piece,
 * until that piece shows up at a different peer (the first peer passed it
 * on). Then the slot is freed and the peer gets a new offer. A peer that never
 * passes its pieces on (or never sends `have`) is offered nothing more,
 * which is the point of the mode.
 *
 * The piece offered is the rarest one in the swarm, counting peers that have
 * it plus offers in flight; among equally rare pieces, one never offered to
 * anyone is preferred; remaining ties are broken with `random`. A peer is
 * never offered a piece it already has. Choosing a piece scans every piece:
 * O(pieceCount) per offer.
 *
 * Peers are identified by an opaque string key; calls about unknown peers are
 * ignored and return no offers.
 *
 * @see BEP 16
 */
export class SuperSeeder {
  readonly pieceCount: number
  readonly perPeer: number
  readonly #random: () => number
  readonly #peers = new Map<string, PeerState>()
  /** Peers that have each piece. */
  readonly #availability: Uint32Array
  /** Outstanding offers of each piece. */
  readonly #inFlight: Uint32Array
  /** Offers ever made of each piece (saturating). */
  readonly #everOffered: Uint8Array

  /**
   * @throws UsageError `bad-option` (reject) when `pieceCount` is not an
   * integer in 0..LIMITS.maxPieces or `perPeer` is not a positive integer.
   */
  constructor (options: SuperSeederOptions) {
    const { pieceCount, perPeer = 1 } = options
    if (!Number.isInteger(pieceCount) || pieceCount < 0 || pieceCount > LIMITS.maxPieces) {
      throw new UsageError('bad-option', `pieceCount must be an integer in 0..${LIMITS.maxPieces}, got ${pieceCount}`, { details: { pieceCount } })
    }
    if (!Number.isInteger(perPeer) || perPeer < 1) {
      throw new UsageError('bad-option', `perPeer must be a positive integer, got ${perPeer}`, { details: { perPeer } })
    }
    this.pieceCount = pieceCount
    this.perPeer = perPeer
    this.#random = options.random ?? xorshift32()
    this.#availability = new Uint32Array(pieceCount)
    this.#inFlight = new Uint32Array(pieceCount)
    this.#everOffered = new Uint8Array(pieceCount)
  }

  /**
   * Register a peer with the pieces it announced (its bitfield, or an empty
   * one) and return its first offers. A peer already known is replaced, as if
   * it had left first.
   * @throws ProtocolError `bad-bitfield` (disconnect) when `has` is not
   * `pieceCount` bits long.
   */
  peerJoined (peer: string, has: Bitfield): SuperSeedOffer[] {
    this.#checkBitfield(has)
    if (this.#peers.has(peer)) this.peerLeft(peer)
    const state: PeerState = { has: has.clone(), outstanding: new Set(), delivered: new Set() }
    for (const i of state.has.indices()) this.#availability[i] = (this.#availability[i] as number) + 1
    this.#peers.set(peer, state)
    // The pieces it brings may be ones other peers were waiting to see passed on.
    const offers: SuperSeedOffer[] = []
    for (const i of state.has.indices()) this.#credit(peer, i, offers)
    this.#fill(peer, state, offers)
    return offers
  }

  /**
   * Record a `have` from `peer`. When the piece was awaiting propagation from
   * other peers, those peers get new offers, returned here (for any peer,
   * `peer` included).
   * @throws ProtocolError `bad-have` (disconnect) when `index` is not a piece.
   */
  peerHas (peer: string, index: number): SuperSeedOffer[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.pieceCount) {
      throw new ProtocolError('bad-have', `have for piece ${index} of ${this.pieceCount}`, { details: { index, pieces: this.pieceCount } })
    }
    const state = this.#peers.get(peer)
    if (state === undefined || !state.has.set(index)) return []
    this.#availability[index] = (this.#availability[index] as number) + 1
    const offers: SuperSeedOffer[] = []
    if (state.outstanding.delete(index)) {
      this.#inFlight[index] = (this.#inFlight[index] as number) - 1
      state.delivered.add(index)
    }
    this.#credit(peer, index, offers)
    return offers
  }

  /**
   * Record a bitfield (or HAVE_ALL, as a full bitfield) received after the
   * peer joined: every set bit counts as a `have`.
   * @throws ProtocolError `bad-bitfield` (disconnect) on a length mismatch.
   */
  peerBitfield (peer: string, has: Bitfield): SuperSeedOffer[] {
    this.#checkBitfield(has)
    const offers: SuperSeedOffer[] = []
    for (const i of has.indices()) offers.push(...this.peerHas(peer, i))
    return offers
  }

  /** Forget a peer: its pieces no longer count, its offers are withdrawn. */
  peerLeft (peer: string): void {
    const state = this.#peers.get(peer)
    if (state === undefined) return
    this.#peers.delete(peer)
    for (const i of state.has.indices()) this.#availability[i] = (this.#availability[i] as number) - 1
    for (const i of state.outstanding) this.#inFlight[i] = (this.#inFlight[i] as number) - 1
  }

  /**
   * Whether a request from `peer` for piece `index` is served: only pieces
   * currently offered to it. Others should be rejected (BEP 6) or ignored.
   */
  allowed (peer: string, index: number): boolean {
    const state = this.#peers.get(peer)
    return state !== undefined && (state.outstanding.has(index) || state.delivered.has(index))
  }

  /** The pieces counted against `peer`'s quota (outstanding first, then delivered), ascending within each group. */
  offeredTo (peer: string): number[] {
    const state = this.#peers.get(peer)
    if (state === undefined) return []
    const asc = (a: number, b: number): number => a - b
    return [...[...state.outstanding].sort(asc), ...[...state.delivered].sort(asc)]
  }

  /** Peers currently known. */
  get peers (): number { return this.#peers.size }

  /** Piece `index` appeared at `holder`: free the slot of every other peer that delivered it. */
  #credit (holder: string, index: number, offers: SuperSeedOffer[]): void {
    for (const [id, state] of this.#peers) {
      if (id === holder || !state.delivered.delete(index)) continue
      this.#fill(id, state, offers)
    }
  }

  /** Offer pieces to `peer` until its quota is full or nothing is left to offer. */
  #fill (peer: string, state: PeerState, offers: SuperSeedOffer[]): void {
    while (state.outstanding.size + state.delivered.size < this.perPeer) {
      const index = this.#choose(state)
      if (index < 0) return
      state.outstanding.add(index)
      this.#inFlight[index] = (this.#inFlight[index] as number) + 1
      if (this.#everOffered[index] !== 255) this.#everOffered[index] = (this.#everOffered[index] as number) + 1
      offers.push({ peer, index })
    }
  }

  /** The rarest piece `state` lacks and holds no offer for, or -1. */
  #choose (state: PeerState): number {
    let best = -1
    let bestRarity = Infinity
    let bestOffered = 1
    let ties = 0
    for (let i = 0; i < this.pieceCount; i++) {
      if (state.has.has(i) || state.outstanding.has(i) || state.delivered.has(i)) continue
      const rarity = (this.#availability[i] as number) + (this.#inFlight[i] as number)
      const offered = this.#everOffered[i] === 0 ? 0 : 1
      if (rarity < bestRarity || (rarity === bestRarity && offered < bestOffered)) {
        best = i
        bestRarity = rarity
        bestOffered = offered
        ties = 1
      } else if (rarity === bestRarity && offered === bestOffered) {
        // Reservoir sampling keeps each tied piece with equal probability.
        ties++
        if (Math.floor(this.#random() * ties) === 0) best = i
      }
    }
    return best
  }

  #checkBitfield (has: Bitfield): void {
    if (has.length !== this.pieceCount) {
      throw new ProtocolError('bad-bitfield', `bitfield of ${has.length} pieces, expected ${this.pieceCount}`, { details: { got: has.length, expected: this.pieceCount } })
    }
  }
}
