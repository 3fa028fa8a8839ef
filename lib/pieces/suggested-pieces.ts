import type { PeerKey } from './peer-key.js'

/** Default number of suggestions remembered per peer. */
export const DEFAULT_MAX_SUGGESTIONS_PER_PEER = 16

/**
 * The pieces each peer suggested (BEP 6 `suggest_piece`), most recent first,
 * at most `maxPerPeer` per peer: a new suggestion pushes out the oldest, a
 * repeated one moves to the front. Memory is bounded by the number of peers
 * times `maxPerPeer` whatever a peer sends. Pure and synchronous; the request
 * planner decides which suggestions are still worth following.
 * @see BEP 6
 */
export class SuggestedPieces {
  readonly #max: number
  readonly #byPeer = new Map<PeerKey, number[]>()

  /** @throws RangeError when `maxPerPeer` is not a non-negative integer (a caller bug). */
  constructor (maxPerPeer: number = DEFAULT_MAX_SUGGESTIONS_PER_PEER) {
    if (!Number.isInteger(maxPerPeer) || maxPerPeer < 0) throw new RangeError(`bad maxPerPeer ${maxPerPeer}`)
    this.#max = maxPerPeer
  }

  /** Remember that `peer` suggested `index`. No effect when `maxPerPeer` is 0. */
  add (peer: PeerKey, index: number): void {
    if (this.#max === 0) return
    let list = this.#byPeer.get(peer)
    if (list === undefined) {
      list = []
      this.#byPeer.set(peer, list)
    }
    const at = list.indexOf(index)
    if (at >= 0) list.splice(at, 1)
    else if (list.length >= this.#max) list.pop()
    list.unshift(index)
  }

  /** The pieces `peer` suggested, most recent first (a copy; empty when none). */
  of (peer: PeerKey): number[] {
    return [...(this.#byPeer.get(peer) ?? [])]
  }

  /** Forget one suggestion of `peer`. */
  remove (peer: PeerKey, index: number): void {
    const list = this.#byPeer.get(peer)
    if (list === undefined) return
    const at = list.indexOf(index)
    if (at >= 0) list.splice(at, 1)
    if (list.length === 0) this.#byPeer.delete(peer)
  }

  /** Forget `index` for every peer (we have the piece now). */
  removePiece (index: number): void {
    for (const peer of [...this.#byPeer.keys()]) this.remove(peer, index)
  }

  /** Forget everything `peer` suggested (it disconnected). */
  removePeer (peer: PeerKey): void {
    this.#byPeer.delete(peer)
  }

  /** Peers with at least one suggestion remembered. */
  get peerCount (): number { return this.#byPeer.size }
}
