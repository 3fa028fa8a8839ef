import { describe, expect, it } from 'vitest'
import { Bitfield } from '../../../lib/pieces/bitfield.js'
import { pickEndgame } from '../../../lib/pieces/endgame.js'
import { geometryOf } from '../../../lib/pieces/geometry.js'
import type { BlockRef } from '../../../lib/pieces/geometry.js'
import type { PiecePicker } from '../../../lib/pieces/piece-picker.js'
import { RequestPlanner, type RequestPlannerOptions } from '../../../lib/pieces/request-planner.js'

const B = 16 * 1024
const key = (r: BlockRef): string => `${r.index}:${r.begin}`

const sequential: PiecePicker = {
  pick (view, peerHas, max) {
    const out: number[] = []
    for (let i = 0; i < view.pieceCount && out.length < max; i++) {
      if (peerHas.has(i) && !view.have.has(i) && !view.isInProgress(i) && view.isWanted(i)) out.push(i)
    }
    return out
  }
}

/** `pieces` pieces of two blocks each. */
function planner (pieces: number, options: Partial<RequestPlannerOptions> = {}): RequestPlanner {
  const g = geometryOf({ length: pieces * 2 * B, pieceLength: 2 * B })
  return new RequestPlanner(g, { have: new Bitfield(g.pieceCount), picker: sequential, ...options })
}

describe('pickEndgame', () => {
  const c = (index: number, block: number, holders: string[], since: number): { index: number, block: number, holders: string[], since: number } => ({ index, block, holders, since })

  it('fewest holders first, then oldest request; skips own and full blocks', () => {
    const cands = [c(0, 0, ['a', 'b'], 0), c(0, 1, ['a'], 5), c(1, 0, ['b'], 1), c(1, 1, ['z'], 3), c(2, 0, ['x'], 2)]
    expect(pickEndgame(cands, 'a', 10, 2).map((x) => `${x.index}:${x.block}`)).toEqual(['1:0', '2:0', '1:1'])
    expect(pickEndgame(cands, 'a', 2, 2).map((x) => `${x.index}:${x.block}`)).toEqual(['1:0', '2:0'])
    expect(pickEndgame(cands, 'c', 10, 3).map((x) => `${x.index}:${x.block}`)).toEqual(['1:0', '2:0', '1:1', '0:1', '0:0'])
    expect(pickEndgame(cands, 'c', 0, 3)).toEqual([])
    expect(pickEndgame(cands, 'c', 10, 1)).toEqual([])
  })
})

describe('RequestPlanner: endgame', () => {
  it('is not in endgame while free blocks or unstarted pieces remain', () => {
    const p = planner(2)
    expect(p.inEndgame).toBe(false)
    expect(p.next('a', Bitfield.full(2), 3).map(key)).toEqual(['0:0', '0:16384', '1:0'])
    expect(p.inEndgame).toBe(false) // 1:16384 is free
    // b gets the free block, not a duplicate.
    expect(p.next('b', Bitfield.full(2), 1).map(key)).toEqual(['1:16384'])
    expect(p.inEndgame).toBe(true)
  })

  it('an unstarted piece held back by maxPiecesInProgress is not endgame', () => {
    const p = planner(2, { maxPiecesInProgress: 1 })
    expect(p.next('a', Bitfield.full(2), 10)).toHaveLength(2)
    expect(p.inEndgame).toBe(false)
    expect(p.next('b', Bitfield.full(2), 10)).toEqual([])
  })

  it('duplicates the last blocks to a second peer; first arrival wins and the other holder is cancelled', () => {
    const p = planner(1)
    const [r0, r1] = p.next('a', Bitfield.full(1), 2) as [BlockRef, BlockRef]
    expect(p.inEndgame).toBe(true)
    expect(p.next('b', Bitfield.full(1), 5)).toEqual([r0, r1])
    expect(p.outstanding('a')).toBe(2)
    expect(p.outstanding('b')).toBe(2)
    expect(p.receive('b', r1)).toBe('accepted')
    expect(p.takeCancels()).toEqual([{ peer: 'a', ref: r1 }])
    expect(p.takeCancels()).toEqual([])
    expect(p.outstanding('a')).toBe(1)
    expect(p.outstanding('b')).toBe(1)
    expect(p.receive('a', r1)).toBe('unrequested') // the late duplicate is waste
    expect(p.receive('a', r0)).toBe('accepted')
    expect(p.takeCancels()).toEqual([{ peer: 'b', ref: r0 }])
    expect(p.outstanding('a') + p.outstanding('b')).toBe(0)
  })

  it('never duplicates to the same peer, and respects maxDuplicates', () => {
    const p = planner(1, { maxDuplicates: 3 })
    const refs = p.next('a', Bitfield.full(1), 2)
    expect(p.next('a', Bitfield.full(1), 5)).toEqual([])
    expect(p.next('b', Bitfield.full(1), 5)).toEqual(refs)
    expect(p.next('b', Bitfield.full(1), 5)).toEqual([])
    expect(p.next('c', Bitfield.full(1), 5)).toEqual(refs)
    expect(p.next('d', Bitfield.full(1), 5)).toEqual([]) // three holders each
    const q = planner(1) // default: two holders
    q.next('a', Bitfield.full(1), 2)
    expect(q.next('b', Bitfield.full(1), 2)).toHaveLength(2)
    expect(q.next('c', Bitfield.full(1), 2)).toEqual([])
  })

  it('prefers blocks with fewer holders, then the oldest requests', () => {
    const p = planner(2)
    const first = p.next('a', Bitfield.full(2), 2) // piece 0, older
    const second = p.next('b', Bitfield.full(2), 2) // piece 1
    expect(p.next('c', Bitfield.full(2), 1)).toEqual([first[0]])
    // 0:0 now has two holders: d gets the next single-holder blocks, oldest first.
    expect(p.next('d', Bitfield.full(2), 3)).toEqual([first[1], ...second])
  })

  it('only duplicates blocks of pieces the peer has', () => {
    const p = planner(2)
    p.next('a', Bitfield.full(2), 4)
    const only1 = new Bitfield(2)
    only1.set(1)
    expect(p.next('b', only1, 4).map(key)).toEqual(['1:0', '1:16384'])
  })

  it('release, releaseAll and peerGone keep the block outstanding while another holder remains', () => {
    const p = planner(1)
    const [r0, r1] = p.next('a', Bitfield.full(1), 2) as [BlockRef, BlockRef]
    p.next('b', Bitfield.full(1), 2)
    p.release('a', r0)
    expect(p.outstanding('a')).toBe(1)
    expect(p.inEndgame).toBe(true) // still held by b
    expect(p.next('c', Bitfield.full(1), 2)).toEqual([r0]) // r1 already has two holders
    expect(p.releaseAll('b').map(key).sort()).toEqual([r0, r1].map(key).sort())
    p.peerGone('c')
    // r0 had holders b and c, both gone: free again; r1 is still held by a.
    expect(p.inEndgame).toBe(false)
    expect(p.next('d', Bitfield.full(1), 1)).toEqual([r0])
    expect(p.next('e', Bitfield.full(1), 1)).toEqual([r1]) // one holder each: r1 is the older request
    expect(p.receive('a', r1)).toBe('accepted')
    expect(p.takeCancels()).toEqual([{ peer: 'e', ref: r1 }])
  })

  it('a block from a peer that never asked is accepted and every holder cancelled', () => {
    const p = planner(1)
    const [r0] = p.next('a', Bitfield.full(1), 2) as [BlockRef]
    p.next('b', Bitfield.full(1), 2)
    expect(p.receive('ws', r0)).toBe('accepted')
    expect(p.takeCancels()).toEqual([{ peer: 'a', ref: r0 }, { peer: 'b', ref: r0 }])
  })

  it('endgame: false never duplicates', () => {
    const p = planner(1, { endgame: false })
    p.next('a', Bitfield.full(1), 2)
    expect(p.inEndgame).toBe(false)
    expect(p.next('b', Bitfield.full(1), 2)).toEqual([])
  })

  it('pieceFailed and reset drop every holder', () => {
    const p = planner(1)
    const [r0] = p.next('a', Bitfield.full(1), 2) as [BlockRef]
    p.next('b', Bitfield.full(1), 2)
    p.receive('a', r0)
    p.takeCancels()
    expect(p.pieceFailed(0)).toEqual(['a'])
    expect(p.outstanding('a') + p.outstanding('b')).toBe(0)
    p.next('a', Bitfield.full(1), 2)
    p.next('b', Bitfield.full(1), 2)
    p.reset(0)
    expect(p.outstanding('a') + p.outstanding('b')).toBe(0)
    expect(p.inProgress).toBe(0)
  })

  it('the cancel queue is bounded: the oldest are dropped', () => {
    const p = planner(2, { maxPendingCancels: 1 })
    const refs = p.next('a', Bitfield.full(2), 4)
    p.next('b', Bitfield.full(2), 4)
    for (const r of refs) p.receive('a', r)
    expect(p.takeCancels()).toEqual([{ peer: 'b', ref: refs[3] }])
  })
})

describe('RequestPlanner: wanted pieces', () => {
  const wanted = (s: string): Bitfield => {
    const b = new Bitfield(s.length)
    for (let i = 0; i < s.length; i++) if (s[i] === '1') b.set(i)
    return b
  }

  it('never starts unwanted pieces; wantedComplete vs complete; endgame only over wanted pieces', () => {
    const p = planner(4)
    p.setWanted(wanted('0101'))
    const refs = p.next('a', Bitfield.full(4), 10)
    expect(refs.map(key)).toEqual(['1:0', '1:16384', '3:0', '3:16384'])
    expect(p.inEndgame).toBe(true)
    for (const r of refs) p.receive('a', r)
    p.pieceVerified(1)
    p.pieceVerified(3)
    expect(p.wantedComplete).toBe(true)
    expect(p.complete).toBe(false)
    expect(p.inEndgame).toBe(false)
    expect(p.next('b', Bitfield.full(4), 10)).toEqual([])
  })

  it('isInteresting only for wanted pieces', () => {
    const p = planner(4)
    p.setWanted(wanted('0100'))
    expect(p.isInteresting(wanted('1011'))).toBe(false)
    expect(p.isInteresting(wanted('0100'))).toBe(true)
  })

  it('a piece unwanted while in progress keeps its requests but gives out no more blocks', () => {
    const p = planner(2)
    const [r0] = p.next('a', Bitfield.full(2), 1) as [BlockRef]
    p.setWanted(wanted('01'))
    expect(p.next('b', Bitfield.full(2), 10).map(key)).toEqual(['1:0', '1:16384'])
    expect(p.receive('a', r0)).toBe('accepted')
    expect(() => p.setWanted(wanted('1'))).toThrow(RangeError)
  })
})
