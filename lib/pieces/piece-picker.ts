import type { Bitfield } from './bitfield.js'

/**
 * What a piece picker sees of the swarm: our verified pieces, how many peers
 * have each piece, and which pieces are already being downloaded or skipped.
 */
export interface PickerView {
  readonly pieceCount: number
  /** Verified pieces. */
  readonly have: Bitfield
  /** Peers having each piece. */
  readonly availability: ArrayLike<number>
  /** Some blocks requested or received. */
  isInProgress: (index: number) => boolean
  /** Not skipped by priorities. */
  isWanted: (index: number) => boolean
}

/**
 * A piece selection strategy: which new pieces to start downloading from a
 * peer. Pure and synchronous; the request planner calls it.
 * @see BEP 3
 */
export interface PiecePicker {
  /**
   * Up to `max` pieces that `peerHas` has, we lack and want, not in progress,
   * best first, without duplicates. Must be fast for 100k pieces.
   */
  pick: (view: PickerView, peerHas: Bitfield, max: number) => number[]
}

/**
 * Every piece `peerHas` has that the view lacks, wants and is not working on,
 * ascending. One pass over the bitfield bytes; whole bytes of pieces we have
 * or the peer lacks are skipped.
 */
export function candidatePieces (view: PickerView, peerHas: Bitfield): number[] {
  const out: number[] = []
  const theirs = peerHas.bytes
  const ours = view.have.bytes
  const n = Math.min(view.pieceCount, peerHas.length)
  const bytes = Math.ceil(n / 8)
  for (let i = 0; i < bytes; i++) {
    const byte = (theirs[i] as number) & ~(ours[i] ?? 0) & 0xff
    if (byte === 0) continue
    for (let bit = 0; bit < 8; bit++) {
      if ((byte & (0x80 >> bit)) === 0) continue
      const index = i * 8 + bit
      if (index >= n) break
      if (view.isInProgress(index) || !view.isWanted(index)) continue
      out.push(index)
    }
  }
  return out
}
