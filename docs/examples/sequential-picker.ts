// A custom piece picker: strictly in order, for a player that reads from the
// start. It is a plain value implementing `PiecePicker`; pass it to a pipeline.
// It never skips a piece: when this peer lacks the next one, or offers only
// some pieces (BEP 6 allowed-fast pieces while it chokes us), it waits.
import type { Bitfield, PickerView, PiecePicker } from '../../lib/index.js'

export const inOrder: PiecePicker = {
  pick (view: PickerView, peerHas: Bitfield, max: number): number[] {
    const picked: number[] = []
    for (let i = 0; i < view.pieceCount && picked.length < max; i++) {
      if (view.have.has(i) || !view.isWanted(i) || view.isInProgress(i)) continue
      if (!peerHas.has(i)) break
      picked.push(i)
    }
    return picked
  }
}
