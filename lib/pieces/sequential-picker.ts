import type { Bitfield } from './bitfield.js'
import type { PickerView, PiecePicker } from './piece-picker.js'
import { rarestFirst } from './rarest-first.js'
import { UsageError } from '../errors.js'

/** Options of {@link sequentialPicker}. */
export interface SequentialPickerOptions {
  /** Pieces from the position on that get priority, nearest first. Default 8; 0 leaves every pick to the fallback. */
  readonly window?: number
  /** Picks the rest once the window is exhausted. Default `rarestFirst()`. */
  readonly fallback?: PiecePicker
}

/** A piece picker with a movable playback position. */
export interface SequentialPicker extends PiecePicker {
  /**
   * Move the window to start at `piece` (a reader seeking or advancing).
   * A position past the last piece simply leaves the window empty.
   * @throws UsageError `bad-position` when `piece` is not a non-negative safe integer
   */
  setPosition: (piece: number) => void
  /** First piece of the window. */
  readonly position: number
}

/**
 * The streaming picker: pieces in `[position, position + window)` that the
 * peer has and we lack, want and are not already downloading come first, in
 * ascending order (nearest deadline first); the remaining slots go to the
 * fallback picker, so rare pieces still spread through the swarm. The
 * fallback sees the window's picks as in progress, so nothing is returned
 * twice. O(window) plus the fallback's cost per call.
 * @throws UsageError `bad-window` when `window` is not a non-negative safe integer
 * @see BEP 3, libtorrent `piece_picker` (time-critical pieces)
 */
export function sequentialPicker (options: SequentialPickerOptions = {}): SequentialPicker {
  const window = options.window ?? 8
  if (!Number.isSafeInteger(window) || window < 0) {
    throw new UsageError('bad-window', `window must be a non-negative integer, got ${String(window)}`, { details: { window } })
  }
  const fallback = options.fallback ?? rarestFirst()
  let position = 0

  return {
    get position (): number { return position },

    setPosition (piece: number): void {
      if (!Number.isSafeInteger(piece) || piece < 0) {
        throw new UsageError('bad-position', `position must be a non-negative integer, got ${String(piece)}`, { details: { piece } })
      }
      position = piece
    },

    pick (view: PickerView, peerHas: Bitfield, max: number): number[] {
      if (!(max > 0)) return []
      const limit = Math.floor(max)
      const picked = windowPieces(view, peerHas, position, window, limit)
      if (picked.length >= limit) return picked
      const taken = new Set(picked)
      const rest: PickerView = {
        pieceCount: view.pieceCount,
        have: view.have,
        availability: view.availability,
        isInProgress: (i) => taken.has(i) || view.isInProgress(i),
        isWanted: (i) => view.isWanted(i)
      }
      // A user-supplied fallback may not keep the contract: filter its answer.
      for (const i of fallback.pick(rest, peerHas, limit - picked.length)) {
        if (picked.length >= limit) break
        if (!eligible(view, peerHas, i) || taken.has(i)) continue
        taken.add(i)
        picked.push(i)
      }
      return picked
    }
  }
}

/** Eligible pieces in the window, ascending, at most `limit`. */
function windowPieces (view: PickerView, peerHas: Bitfield, position: number, window: number, limit: number): number[] {
  const out: number[] = []
  const end = Math.min(position + window, view.pieceCount)
  for (let i = position; i < end && out.length < limit; i++) {
    if (eligible(view, peerHas, i)) out.push(i)
  }
  return out
}

function eligible (view: PickerView, peerHas: Bitfield, i: number): boolean {
  return Number.isInteger(i) && i >= 0 && i < view.pieceCount &&
    peerHas.has(i) && !view.have.has(i) && !view.isInProgress(i) && view.isWanted(i)
}
