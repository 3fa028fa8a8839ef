import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../../../lib/errors.js'
import { Bitfield } from '../../../lib/pieces/bitfield.js'
import { geometryOf } from '../../../lib/pieces/geometry.js'
import type { BlockRef } from '../../../lib/pieces/geometry.js'
import type { PiecePicker } from '../../../lib/pieces/piece-picker.js'
import { RequestPlanner } from '../../../lib/pieces/request-planner.js'
import { rarestFirst } from '../../../lib/pieces/rarest-first.js'
import { xorshift32 } from '../../../lib/pieces/xorshift32.js'
import { bits } from './helpers.js'

const KiB = 1024
const B = 16 * KiB

/** Picks in index order: makes block assignment easy to read in tests. */
const sequential: PiecePicker = {
  pick (view, peerHas, max) {
    const out: number[] = []
    for (let i = 0; i < view.pieceCount && out.length < max; i++) {
      if (peerHas.has(i) && !view.have.has(i) && !view.isInProgress(i)) out.push(i)
    }
    return out
  }
}

function planner (length: number, pieceLength: number, picker: PiecePicker = sequential, extra: { maxPiecesInProgress?: number, endgame?: boolean, maxDuplicates?: number } = {}): RequestPlanner {
  const g = geometryOf({ length, pieceLength })
  return new RequestPlanner(g, { have: new Bitfield(g.pieceCount), picker, ...extra })
}

const key = (r: BlockRef): string => `${r.index}:${r.begin}+${r.length}`

describe('RequestPlanner: availability', () => {
  it('counts bitfields and haves, once per peer, and forgets gone peers', () => {
    const p = planner(4 * B, B)
    p.peerHas('a', bits('1100'))
    p.peerHas('b', bits('0110'))
    p.peerHave('c', 3)
    p.peerHave('c', 3)
    expect([...p.availability]).toEqual([1, 2, 1, 1])
    p.peerHas('a', bits('0001')) // a replacement bitfield, e.g. have-all after have-none
    expect([...p.availability]).toEqual([0, 1, 1, 2])
    p.peerGone('b')
    p.peerGone('c')
    expect([...p.availability]).toEqual([0, 0, 0, 1])
    expect(() => p.peerHas('x', bits('111'))).toThrow(ProtocolError)
    for (const index of [4, -1, 1.5]) {
      let err: unknown
      try { p.peerHave('x', index) } catch (e) { err = e }
      expect(err).toBeInstanceOf(ProtocolError)
      expect((err as ProtocolError).code).toBe('bad-have')
    }
    expect([...p.availability]).toEqual([0, 0, 0, 1])
  })

  it('isInteresting when the peer has a piece we lack', () => {
    const p = planner(4 * B, B)
    p.pieceVerified(0)
    expect(p.isInteresting(bits('1000'))).toBe(false)
    expect(p.isInteresting(bits('1001'))).toBe(true)
    expect(p.isInteresting(bits('0000'))).toBe(false)
  })
})

describe('RequestPlanner: next', () => {
  it('never requests a block twice, across peers (endgame off)', () => {
    const p = planner(8 * 2 * B, 2 * B, rarestFirst({ random: xorshift32(3) }), { endgame: false })
    const all = Bitfield.full(8)
    const seen = new Set<string>()
    for (const peer of ['a', 'b', 'c', 'a', 'b', 'c', 'a']) {
      for (const r of p.next(peer, all, 3)) {
        expect(seen.has(key(r))).toBe(false)
        seen.add(key(r))
      }
    }
    expect(seen.size).toBe(16)
    expect(p.next('d', all, 10)).toEqual([])
    expect(p.outstanding('a') + p.outstanding('b') + p.outstanding('c')).toBe(16)
  })

  it('finishes partial pieces before starting new ones', () => {
    const p = planner(4 * 4 * B, 4 * B)
    expect(p.next('a', Bitfield.full(4), 2).map(key)).toEqual(['0:0+16384', '0:16384+16384'])
    expect(p.inProgress).toBe(1)
    // b gets the rest of piece 0 first, then piece 1.
    expect(p.next('b', Bitfield.full(4), 3).map(key)).toEqual(['0:32768+16384', '0:49152+16384', '1:0+16384'])
    expect(p.inProgress).toBe(2)
  })

  it('only offers pieces the peer has', () => {
    const p = planner(4 * B, B)
    expect(p.next('a', bits('0010'), 5).map(key)).toEqual(['2:0+16384'])
    expect(p.next('b', bits('0010'), 5)).toEqual([])
  })

  it('respects maxPiecesInProgress', () => {
    const p = planner(8 * 2 * B, 2 * B, sequential, { maxPiecesInProgress: 2 })
    expect(p.next('a', Bitfield.full(8), 100)).toHaveLength(4)
    expect(p.inProgress).toBe(2)
  })

  it('cuts the short last piece and pieces that are not a multiple of 16 KiB', () => {
    const p = planner(40000 * 2 + 100, 40000)
    const refs = p.next('a', Bitfield.full(3), 100)
    expect(refs.map(key)).toEqual([
      '0:0+16384', '0:16384+16384', '0:32768+7232',
      '1:0+16384', '1:16384+16384', '1:32768+7232',
      '2:0+100'
    ])
  })

  it('a one-block torrent', () => {
    const p = planner(1000, 16 * KiB)
    expect(p.next('a', Bitfield.full(1), 10).map(key)).toEqual(['0:0+1000'])
    expect(p.receive('a', { index: 0, begin: 0, length: 1000 })).toBe('accepted')
    p.pieceVerified(0)
    expect(p.complete).toBe(true)
    expect(p.inProgress).toBe(0)
    expect(p.next('b', Bitfield.full(1), 10)).toEqual([])
  })
})

describe('RequestPlanner: release', () => {
  it('release frees one block for other peers; only the owner can release it (endgame off)', () => {
    const p = planner(2 * B, 2 * B, sequential, { endgame: false })
    const [r0, r1] = p.next('a', Bitfield.full(1), 2) as [BlockRef, BlockRef]
    p.release('b', r0)
    expect(p.next('b', Bitfield.full(1), 2)).toEqual([])
    p.release('a', r1)
    expect(p.next('b', Bitfield.full(1), 2)).toEqual([r1])
    expect(p.outstanding('a')).toBe(1)
  })

  it('a piece with nothing requested or received leaves the in-progress set', () => {
    const p = planner(2 * B, B)
    const [r] = p.next('a', Bitfield.full(2), 1) as [BlockRef]
    expect(p.inProgress).toBe(1)
    p.release('a', r)
    expect(p.inProgress).toBe(0)
  })

  it('releaseAll and peerGone free every block of the peer', () => {
    const p = planner(4 * B, B)
    const refs = p.next('a', Bitfield.full(4), 4)
    expect(p.receive('a', refs[0] as BlockRef)).toBe('accepted')
    expect(p.releaseAll('a').map(key).sort()).toEqual(refs.slice(1).map(key).sort())
    expect(p.outstanding('a')).toBe(0)
    const again = p.next('b', Bitfield.full(4), 10)
    expect(again.map(key).sort()).toEqual(refs.slice(1).map(key).sort())
    p.peerHas('b', Bitfield.full(4))
    p.peerGone('b')
    expect(p.next('c', Bitfield.full(4), 10).map(key).sort()).toEqual(refs.slice(1).map(key).sort())
    expect([...p.availability]).toEqual([0, 0, 0, 0])
  })
})

describe('RequestPlanner: receive (ADVERSARIAL C38, C39)', () => {
  it('accepts requested blocks and rejects unrequested and duplicate ones', () => {
    const p = planner(4 * B, 2 * B)
    const [r0, r1] = p.next('a', Bitfield.full(2), 2) as [BlockRef, BlockRef]
    expect(p.receive('a', r0)).toBe('accepted')
    expect(p.receive('a', r0)).toBe('unrequested') // duplicate
    expect(p.receive('b', r0)).toBe('unrequested') // already received
    expect(p.receive('a', { index: 1, begin: 0, length: B })).toBe('unrequested') // nobody asked
    expect(p.receive('a', { index: 0, begin: 100, length: 200 })).toBe('unrequested') // valid, off the grid
    // From another peer while still missing: accepted, and off a's list.
    expect(p.receive('b', r1)).toBe('accepted')
    expect(p.outstanding('a')).toBe(0)
    expect(p.receive('a', r1)).toBe('unrequested')
  })

  it('a released block arriving late is unrequested', () => {
    const p = planner(2 * B, 2 * B)
    const [r0] = p.next('a', Bitfield.full(1), 1) as [BlockRef]
    p.release('a', r0)
    expect(p.receive('a', r0)).toBe('unrequested')
  })

  it('blocks that do not fit the torrent are a ProtocolError', () => {
    const p = planner(4 * B, 2 * B)
    for (const ref of [
      { index: 2, begin: 0, length: B },
      { index: 0, begin: 2 * B, length: 1 },
      { index: 0, begin: B, length: B + 1 },
      { index: 0, begin: 0, length: 2 * B },
      { index: 0, begin: 0, length: 0 }
    ]) {
      expect(() => p.receive('a', ref)).toThrow(ProtocolError)
    }
    try { p.receive('a', { index: 9, begin: 0, length: 1 }) } catch (e) {
      expect((e as ProtocolError).code).toBe('bad-block')
      expect((e as ProtocolError).disposition).toBe('disconnect')
    }
  })

  it('discard makes a received block requestable again', () => {
    const p = planner(2 * B, 2 * B)
    const [r0] = p.next('a', Bitfield.full(1), 1) as [BlockRef]
    p.receive('a', r0)
    p.discard(r0)
    expect(p.next('b', Bitfield.full(1), 5).map(key)).toEqual([key(r0), '0:16384+16384'])
  })
})

describe('RequestPlanner: verification', () => {
  it('pieceVerified marks have; completion after every piece', () => {
    const p = planner(3 * B, B)
    for (const peer of ['a', 'b', 'c']) {
      for (const r of p.next(peer, Bitfield.full(3), 1)) {
        expect(p.receive(peer, r)).toBe('accepted')
        p.pieceVerified(r.index)
      }
    }
    expect(p.complete).toBe(true)
    expect(p.have.count).toBe(3)
    expect(p.inProgress).toBe(0)
  })

  it('pieceFailed returns the contributors once each and makes all blocks requestable again', () => {
    const p = planner(4 * B, 4 * B)
    const all = Bitfield.full(1)
    const fromA = p.next('a', all, 2)
    const fromB = p.next('b', all, 2)
    for (const r of fromA) p.receive('a', r)
    for (const r of fromB) p.receive('b', r)
    expect(p.pieceFailed(0).sort()).toEqual(['a', 'b'])
    expect(p.have.has(0)).toBe(false)
    expect(p.inProgress).toBe(0)
    expect(p.next('c', all, 10).map(key)).toEqual([...fromA, ...fromB].map(key))
    // Blocks received again after the failure are accepted.
    expect(p.receive('c', fromA[0] as BlockRef)).toBe('accepted')
  })

  it('pieceVerified for a piece never in progress (resume check) just marks it', () => {
    const p = planner(2 * B, B)
    p.pieceVerified(1)
    expect(p.next('a', Bitfield.full(2), 5).map(key)).toEqual(['0:0+16384'])
  })
})

describe('RequestPlanner: blocks lost with a pipeline', () => {
  it('forgetUnheld frees blocks received from a peer that the assembler does not hold', () => {
    const p = planner(4 * B, 4 * B)
    const all = Bitfield.full(1)
    const [r0, r1, r2] = p.next('a', all, 3) as [BlockRef, BlockRef, BlockRef]
    const [r3] = p.next('b', all, 1) as [BlockRef]
    p.receive('a', r0)
    p.receive('a', r1)
    p.receive('b', r3)
    // The assembler got r0 only; r1 was still in a's pipeline when it ended.
    const held = new Set([key(r0), key(r3)])
    expect(p.forgetUnheld('a', (r) => held.has(key(r))).map(key)).toEqual([key(r1)])
    p.releaseAll('a')
    expect(p.next('c', all, 10).map(key)).toEqual([key(r1), key(r2)])
    expect(p.receive('c', r1)).toBe('accepted')
  })

  it('forgetUnheld leaves whole pieces alone; reset abandons one without blame', () => {
    const p = planner(2 * B, B)
    const all = Bitfield.full(2)
    const refs = p.next('a', all, 2)
    for (const r of refs) p.receive('a', r)
    expect(p.forgetUnheld('a', () => false)).toEqual([])
    expect(p.inProgress).toBe(2)
    p.reset(1)
    expect(p.inProgress).toBe(1)
    expect(p.next('b', all, 5).map(key)).toEqual(['1:0+16384'])
  })
})
