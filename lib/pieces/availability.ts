/**
 * Peer availability: what each connected peer has (its BEP 3 `bitfield` or
 * BEP 6 `have-all`, then its `have` messages) and, per piece, how many peers
 * have it. The counts are what a piece picker sees as
 * `PickerView.availability` (rarest first). Callers check indices and
 * bitfield lengths; this only counts.
 * @see BEP 3, BEP 6
 */
import { Bitfield } from './bitfield.js'
import type { PeerKey } from './peer-key.js'

/** Each peer's pieces and the per-piece count of peers having it. */
export class PeerAvailability {
  /** Peers having each piece (the planner's `availability`). */
  readonly counts: Uint32Array
  readonly #pieceCount: number
  readonly #peers = new Map<PeerKey, Bitfield>()

  /** Nobody has anything yet, in a torrent of `pieceCount` pieces. */
  constructor (pieceCount: number) {
    this.#pieceCount = pieceCount
    this.counts = new Uint32Array(pieceCount)
  }

  /** What `peer` is known to have, or undefined before its first bitfield or have. */
  of (peer: PeerKey): Bitfield | undefined { return this.#peers.get(peer) }

  /** A peer's full bitfield (of the right length): replaces what was known of it. */
  setBitfield (peer: PeerKey, bitfield: Bitfield): void {
    this.#uncount(peer)
    const copy = bitfield.clone()
    this.#peers.set(peer, copy)
    for (const i of copy.indices()) this.counts[i] = (this.counts[i] as number) + 1
  }

  /** A peer's `have` of a valid piece index; a repeated have counts once. */
  addHave (peer: PeerKey, index: number): void {
    let bits = this.#peers.get(peer)
    if (bits === undefined) {
      bits = new Bitfield(this.#pieceCount)
      this.#peers.set(peer, bits)
    }
    if (bits.set(index)) this.counts[index] = (this.counts[index] as number) + 1
  }

  /** The peer is gone: its pieces leave the counts. */
  remove (peer: PeerKey): void {
    this.#uncount(peer)
    this.#peers.delete(peer)
  }

  #uncount (peer: PeerKey): void {
    const old = this.#peers.get(peer)
    if (old === undefined) return
    for (const i of old.indices()) this.counts[i] = (this.counts[i] as number) - 1
  }
}
