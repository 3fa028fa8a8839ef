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
