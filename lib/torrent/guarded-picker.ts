import type { Bitfield } from '../pieces/bitfield.js'
import type { PickerView, PiecePicker } from '../pieces/piece-picker.js'
import { callStrategy } from './strategy-call.js'

/** A user's piece picker, watched: what it throws stops the torrent, what it returns that cannot be fetched is counted. */
export interface GuardedPicker extends PiecePicker {
  /** Picks since the last call that were ignored (not a piece index, one we have, the peer lacks, unwanted or in progress); resets the count. */
  takeIgnored: () => number
}

/**
 * Wrap `picker` so that a throw (or an answer that is not an array) becomes
 * `strategy-failed`, and every pick the planner cannot use is dropped and
 * counted (the engine warns once per choke round).
 * @throws RxTorrentError `strategy-failed` from `pick`
 */
export function guardPicker (picker: PiecePicker, name = 'piece picker'): GuardedPicker {
  let ignored = 0
  return {
    pick (view: PickerView, peerHas: Bitfield, max: number): number[] {
      const picked = callStrategy('piece picker', name, () => {
        const r = picker.pick(view, peerHas, max)
        if (!Array.isArray(r)) throw new TypeError('pick did not return an array')
        return r as unknown[]
      })
      const out: number[] = []
      for (const i of picked) {
        if (typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < view.pieceCount && !view.have.has(i) && peerHas.has(i) && view.isWanted(i) && !view.isInProgress(i)) out.push(i)
        else ignored++
      }
      return out
    },
    takeIgnored () { const n = ignored; ignored = 0; return n }
  }
}
