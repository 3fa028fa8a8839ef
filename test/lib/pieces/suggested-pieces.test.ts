import { describe, expect, it } from 'vitest'
import { Bitfield } from '../../../lib/pieces/bitfield.js'
import { geometryOf } from '../../../lib/pieces/geometry.js'
import type { PiecePicker } from '../../../lib/pieces/piece-picker.js'
import { RequestPlanner } from '../../../lib/pieces/request-planner.js'
import { SuggestedPieces } from '../../../lib/pieces/suggested-pieces.js'
import { bits } from './helpers.js'

const B = 16 * 1024

/** Picks in index order, so a test can tell the picker's choice from a suggestion. */
const sequential: PiecePicker = {
  pick (view, peerHas, max) {
    const out: number[] = []
    for (let i = 0; i < view.pieceCount && out.length < max; i++) {
      if (peerHas.has(i) && !view.have.has(i) && !view.isInProgress(i) && view.isWanted(i)) out.push(i)
    }
    return out
  }
}

function planner (pieces: number, extra: { maxSuggestionsPerPeer?: number, maxPiecesInProgress?: number } = {}): RequestPlanner {
  const g = geometryOf({ length: pieces * B, pieceLength: B })
  return new RequestPlanner(g, { have: new Bitfield(g.pieceCount), picker: sequential, ...extra })
}

const indices = (refs: ReadonlyArray<{ index: number }>): number[] => refs.map((r) => r.index)

describe('SuggestedPieces', () => {
  it('keeps the most recent suggestions first, at most maxPerPeer, a repeat moving to the front', () => {
    const s = new SuggestedPieces(3)
    for (const i of [1, 2, 3]) s.add('a', i)
    expect(s.of('a')).toEqual([3, 2, 1])
    s.add('a', 4)
    expect(s.of('a')).toEqual([4, 3, 2])
    s.add('a', 2)
    expect(s.of('a')).toEqual([2, 4, 3])
    s.remove('a', 4)
    expect(s.of('a')).toEqual([2, 3])
    s.add('b', 3)
    s.removePiece(3)
    expect(s.of('a')).toEqual([2])
    expect(s.of('b')).toEqual([])
    s.removePeer('a')
    expect(s.peerCount).toBe(0)
    expect(() => new SuggestedPieces(-1)).toThrow(RangeError)
  })

  it('maxPerPeer 0 remembers nothing', () => {
    const s = new SuggestedPieces(0)
    s.add('a', 1)
    expect(s.of('a')).toEqual([])
    expect(s.peerCount).toBe(0)
  })
})

describe('RequestPlanner: BEP 6 suggest_piece', () => {
  it('starts the suggested piece before the picker’s own choice', () => {
    const p = planner(8)
    p.peerHas('a', Bitfield.full(8))
    p.suggest('a', 6)
    expect(indices(p.next('a', Bitfield.full(8), 2))).toEqual([6, 0])
    expect(p.suggestions('a')).toEqual([]) // followed, so forgotten
  })

  it('follows the most recent suggestion first', () => {
    const p = planner(8)
    p.peerHas('a', Bitfield.full(8))
    p.suggest('a', 3)
    p.suggest('a', 5)
    expect(indices(p.next('a', Bitfield.full(8), 3))).toEqual([5, 3, 0])
  })

  it('finishes pieces in progress before following a suggestion', () => {
    const g = geometryOf({ length: 4 * 2 * B, pieceLength: 2 * B }) // two blocks a piece
    const p = new RequestPlanner(g, { have: new Bitfield(4), picker: sequential })
    p.peerHas('a', Bitfield.full(4))
    p.peerHas('b', Bitfield.full(4))
    expect(p.next('a', Bitfield.full(4), 1)).toEqual([{ index: 0, begin: 0, length: B }])
    p.suggest('b', 3)
    expect(p.next('b', Bitfield.full(4), 3)).toEqual([
      { index: 0, begin: B, length: B },
      { index: 3, begin: 0, length: B },
      { index: 3, begin: B, length: B }
    ])
  })

  it('is per peer: one peer’s suggestions (even a flood) never steer what we ask another for', () => {
    const p = planner(8)
    p.peerHas('a', Bitfield.full(8))
    p.peerHas('b', Bitfield.full(8))
    for (let i = 7; i >= 1; i--) p.suggest('a', i)
    expect(indices(p.next('b', Bitfield.full(8), 2))).toEqual([0, 1]) // the picker's order
    expect(indices(p.next('a', Bitfield.full(8), 1))).toEqual([2]) // a's most recent suggestion still open
  })

  it('ignores suggestions we do not want, already have, that are in progress elsewhere, or the peer lacks', () => {
    const p = planner(8)
    p.peerHas('a', bits('11111110'))
    p.peerHas('b', Bitfield.full(8))
    p.pieceVerified(1)
    p.suggest('a', 1) // have it
    expect(p.suggestions('a')).toEqual([])
    p.suggest('a', 7) // a lacks it: forgotten at the next plan
    const wanted = Bitfield.full(8)
    wanted.clear(2)
    p.setWanted(wanted)
    p.suggest('a', 2) // unwanted: skipped, kept (wanted may change)
    expect(indices(p.next('b', Bitfield.full(8), 1))).toEqual([0])
    p.suggest('a', 0) // in progress with b, no free block left
    p.suggest('a', 99) // not a piece
    p.suggest('a', -1)
    p.suggest('a', 1.5)
    expect(p.suggestions('a')).toEqual([0, 2, 7])
    expect(indices(p.next('a', bits('11111110'), 1))).toEqual([3])
    expect(p.suggestions('a')).toEqual([0, 2])
  })

  it('skips a suggestion outside the pieces we may ask for now (choked: allowed-fast only), keeping it', () => {
    const p = planner(8)
    p.peerHas('a', Bitfield.full(8))
    p.suggest('a', 5)
    expect(indices(p.next('a', bits('11000000'), 1))).toEqual([0])
    expect(p.suggestions('a')).toEqual([5])
    expect(indices(p.next('a', Bitfield.full(8), 1))).toEqual([5])
  })

  it('forgets a suggestion once the piece is verified, and all of a peer’s when it goes', () => {
    const p = planner(8)
    p.peerHas('a', Bitfield.full(8))
    p.suggest('a', 4)
    p.suggest('a', 6)
    p.pieceVerified(4)
    expect(p.suggestions('a')).toEqual([6])
    p.peerGone('a')
    expect(p.suggestions('a')).toEqual([])
    p.peerHas('a', Bitfield.full(8))
    expect(indices(p.next('a', Bitfield.full(8), 1))).toEqual([0])
  })

  it('a flood of suggestions keeps only the most recent few per peer', () => {
    const p = planner(1000, { maxSuggestionsPerPeer: 16 })
    p.peerHas('a', Bitfield.full(1000))
    for (let round = 0; round < 50; round++) for (let i = 0; i < 1000; i++) p.suggest('a', i)
    expect(p.suggestions('a')).toHaveLength(16)
    expect(p.suggestions('a')[0]).toBe(999)
    expect(indices(p.next('a', Bitfield.full(1000), 2))).toEqual([999, 998])
  })

  it('respects maxPiecesInProgress', () => {
    const p = planner(8, { maxPiecesInProgress: 1 })
    p.peerHas('a', Bitfield.full(8))
    p.suggest('a', 3)
    p.suggest('a', 4)
    expect(indices(p.next('a', Bitfield.full(8), 4))).toEqual([4])
    expect(p.suggestions('a')).toEqual([3])
  })

  it('maxSuggestionsPerPeer 0 turns suggestions off', () => {
    const p = planner(8, { maxSuggestionsPerPeer: 0 })
    p.peerHas('a', Bitfield.full(8))
    p.suggest('a', 6)
    expect(indices(p.next('a', Bitfield.full(8), 1))).toEqual([0])
  })
})
