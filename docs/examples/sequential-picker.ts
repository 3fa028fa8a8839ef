// A custom piece picker: strictly in order, for a player that reads from the
// start. It is a plain value implementing `PiecePicker`; pass it to a pipeline.
import type { Bitfield, PickerView, PiecePicker } from '../../lib/index.js'

export const inOrder: PiecePicker = {
  pick (view: PickerView, peerHas: Bitfield, max: number): number[] {
    const picked: number[] = []
    for (let i = 0; i < view.pieceCount && picked.length < max; i++) {
      if (peerHas.has(i) && !view.have.has(i) && view.isWanted(i) && !view.isInProgress(i)) picked.push(i)
    }
    return picked
  }
}
