/**
 * Endgame (BEP 3 "end game"): when every missing wanted block is requested,
 * outstanding blocks are requested again from further peers so that one
 * slow peer does not hold up the last pieces. This file decides when that
 * point is reached ({@link isEndgame}), which blocks qualify
 * ({@link endgameCandidates}) and which of them a peer gets
 * ({@link pickEndgame}); the request planner records the new holders and
 * cancels the losers.
 * @see BEP 3, libtorrent `piece_picker::pick_pieces` (busy blocks)
 */
import type { Bitfield } from './bitfield.js'
import { REQUESTED, holdersOf, type PartialPiece } from './partial-piece.js'

/** Default cap on how many peers one block may be outstanding to in endgame. */
export const DEFAULT_MAX_DUPLICATES = 2

/** A block already requested from someone, as seen by the endgame chooser. */
export interface EndgameCandidate {
  readonly index: number
  /** Block number within the piece. */
  readonly block: number
  /** Peers the block is outstanding to, first requester first. */
  readonly holders: readonly string[]
  /** Sequence number of the block's first request (smaller is older). */
  readonly since: number
}

/**
 * Endgame choice (BEP 3 "end game"): which outstanding blocks to request a
 * second time, from `peer`. Skips blocks `peer` already holds and blocks with
 * `maxDuplicates` holders or more; prefers the fewest holders, then the
 * oldest first request, then piece and block order. Returns at most `max`
 * candidates; never throws. Pure: the caller records the new holder.
 * @see BEP 3, libtorrent `piece_picker::pick_pieces` (busy blocks)
 */
export function pickEndgame (candidates: Iterable<EndgameCandidate>, peer: string, max: number, maxDuplicates: number = DEFAULT_MAX_DUPLICATES): EndgameCandidate[] {
  if (!(max > 0)) return []
  const eligible: EndgameCandidate[] = []
  for (const c of candidates) {
    if (c.holders.length >= maxDuplicates || c.holders.includes(peer)) continue
    eligible.push(c)
  }
  eligible.sort(endgameOrder)
  return eligible.length > max ? eligible.slice(0, Math.floor(max)) : eligible
}

/** Fewest holders first, then oldest request, then position in the torrent. */
export function endgameOrder (a: EndgameCandidate, b: EndgameCandidate): number {
  return (a.holders.length - b.holders.length) || (a.since - b.since) || (a.index - b.index) || (a.block - b.block)
}

/**
 * True when nothing is left to hand out normally: some missing wanted piece
 * is in progress, every missing wanted piece is, and none of them has a free
 * block. `pieces` are the pieces in progress.
 */
export function isEndgame (pieces: Iterable<PartialPiece>, wanted: Bitfield, have: Bitfield): boolean {
  let wantedPartials = 0
  for (const p of pieces) {
    if (!wanted.has(p.index) || have.has(p.index)) continue
    if (p.free > 0) return false
    wantedPartials++
  }
  if (wantedPartials === 0) return false
  const w = wanted.bytes
  const h = have.bytes
  let missing = 0
  for (let i = 0; i < w.length; i++) missing += POPCOUNT[(w[i] as number) & ~(h[i] as number) & 0xff] as number
  return missing === wantedPartials
}

/** Every requested block of a wanted piece in progress that `peerHas` has, as {@link pickEndgame} takes them. */
export function endgameCandidates (pieces: Iterable<PartialPiece>, peerHas: Bitfield, wanted: Bitfield): EndgameCandidate[] {
  const out: EndgameCandidate[] = []
  for (const p of pieces) {
    if (!peerHas.has(p.index) || !wanted.has(p.index)) continue
    for (let b = 0; b < p.state.length; b++) {
      if (p.state[b] !== REQUESTED) continue
      out.push({ index: p.index, block: b, holders: holdersOf(p, b), since: p.since[b] as number })
    }
  }
  return out
}

/** Set bits in each byte value. */
const POPCOUNT = new Uint8Array(256)
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + (POPCOUNT[i >> 1] as number)
