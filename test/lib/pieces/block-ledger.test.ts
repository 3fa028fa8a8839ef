import { describe, expect, it } from 'vitest'
import { BlockLedger } from '../../../lib/pieces/block-ledger.js'
import { CancelQueue } from '../../../lib/pieces/cancel-queue.js'
import { geometryOf, type BlockRef } from '../../../lib/pieces/geometry.js'
import { REQUESTED, holdersOf, type PartialPiece } from '../../../lib/pieces/partial-piece.js'
import { xorshift32 } from '../../../lib/pieces/xorshift32.js'

const B = 16 * 1024
const key = (r: BlockRef): string => `${r.index}:${r.begin / B}`

/** `pieces` pieces of `blocks` blocks each (the last one a block shorter when `short`). */
function ledger (pieces: number, blocks: number, short = false): { l: BlockLedger, cancels: CancelQueue } {
  const g = geometryOf({ length: pieces * blocks * B - (short ? B : 0), pieceLength: blocks * B })
  const cancels = new CancelQueue(100)
  return { l: new BlockLedger(g, B, cancels), cancels }
}

/** Every (peer, block) pair of the holders recorded in the pieces, counted per peer. */
function holdersPerPeer (l: BlockLedger): Map<string, number> {
  const out = new Map<string, number>()
  for (const p of l.pieces()) {
    for (let b = 0; b < p.state.length; b++) {
      if (p.state[b] !== REQUESTED) continue
      for (const h of holdersOf(p, b)) out.set(h, (out.get(h) ?? 0) + 1)
    }
  }
  return out
}

describe('BlockLedger', () => {
  it('hands out free blocks in order, per peer, and knows the piece sizes', () => {
    const { l } = ledger(2, 3, true)
    const out: BlockRef[] = []
    l.take('a', l.start(1), out, 5)
    expect(out.map(key)).toEqual(['1:0', '1:1']) // the last piece has two blocks
    l.take('b', l.start(0), out, 3)
    expect(out.map(key)).toEqual(['1:0', '1:1', '0:0'])
    expect([l.outstanding('a'), l.outstanding('b'), l.outstanding('c')]).toEqual([2, 1, 0])
    expect([l.size, l.has(0), l.has(1), l.stride]).toEqual([2, true, true, 3])
    expect([...l.pieces()].map((p) => p.index)).toEqual([1, 0])
  })

  it('release frees a block; a piece with nothing left leaves the book', () => {
    const { l } = ledger(1, 2)
    const out: BlockRef[] = []
    l.take('a', l.start(0), out, 2)
    l.release('b', out[0] as BlockRef) // not b's: no effect
    expect(l.outstanding('a')).toBe(2)
    l.release('a', out[0] as BlockRef)
    expect([l.outstanding('a'), l.size]).toEqual([1, 1])
    l.release('a', out[1] as BlockRef)
    expect([l.outstanding('a'), l.size]).toEqual([0, 0])
  })

  it('an arrival settles every holder and cancels all but the sender', () => {
    const { l, cancels } = ledger(1, 2)
    const out: BlockRef[] = []
    const p = l.start(0)
    l.take('a', p, out, 2)
    const dup: BlockRef[] = []
    l.duplicate('b', [{ index: 0, block: 1, holders: ['a'], since: 1 }], dup)
    l.duplicate('c', [{ index: 0, block: 1, holders: ['a', 'b'], since: 1 }], dup)
    expect(dup.map(key)).toEqual(['0:1', '0:1'])
    expect(l.receive('b', out[1] as BlockRef)).toBe(true)
    expect(cancels.take().map((c) => `${c.peer}@${key(c.ref)}`)).toEqual(['a@0:1', 'c@0:1'])
    expect([l.outstanding('a'), l.outstanding('b'), l.outstanding('c')]).toEqual([1, 0, 0])
    expect(l.receive('a', out[1] as BlockRef)).toBe(false) // already received
    expect(l.receive('a', { index: 0, begin: 100, length: B })).toBe(false) // off the block grid
    expect(l.contributors(0)).toEqual(['b'])
  })

  it('releaseAll keeps a duplicated block with its other holder', () => {
    const { l } = ledger(1, 2)
    const out: BlockRef[] = []
    l.take('a', l.start(0), out, 2)
    l.duplicate('b', [{ index: 0, block: 0, holders: ['a'], since: 0 }], [])
    expect(l.releaseAll('a').map(key)).toEqual(['0:0', '0:1'])
    expect(l.outstanding('b')).toBe(1)
    expect(holdersPerPeer(l)).toEqual(new Map([['b', 1]]))
  })

  it('discard and forgetUnheld free received blocks; abandon clears every holder', () => {
    const { l } = ledger(2, 2)
    const out: BlockRef[] = []
    const forB: BlockRef[] = []
    l.take('a', l.start(0), out, 2)
    l.take('b', l.start(1), forB, 2)
    for (const r of out) l.receive('a', r)
    for (const r of forB) l.receive('b', r)
    l.discard(out[0] as BlockRef)
    expect((l.pieces().next().value as PartialPiece).received).toBe(1)
    // Piece 1 is whole: left alone. Piece 0 is missing a block: a's unheld block is freed, and the piece left idle.
    expect(l.forgetUnheld('a', () => false).map(key)).toEqual(['0:1'])
    expect(l.forgetUnheld('b', () => false)).toEqual([])
    expect([l.has(0), l.has(1)]).toEqual([false, true])
    const more: BlockRef[] = []
    l.take('c', l.start(0), more, 1)
    l.duplicate('d', [{ index: 0, block: 0, holders: ['c'], since: 0 }], more)
    l.abandon(0)
    expect([l.outstanding('c'), l.outstanding('d'), l.has(0)]).toEqual([0, 0, false])
  })

  it('keeps each peer\'s outstanding count equal to the blocks it holds, whatever the order of events', () => {
    const rand = xorshift32(13)
    const peers = ['a', 'b', 'c', 'd']
    const { l, cancels } = ledger(6, 3, true)
    const held = new Map<string, BlockRef[]>(peers.map((p) => [p, []]))
    let accepted = 0
    let shared = 0
    for (let step = 0; step < 3000; step++) {
      const peer = peers[Math.floor(rand() * peers.length)] as string
      const mine = held.get(peer) as BlockRef[]
      const roll = rand()
      if (roll < 0.3) {
        const index = Math.floor(rand() * 6)
        const out: BlockRef[] = []
        const p = l.has(index) ? [...l.pieces()].find((x) => x.index === index) as PartialPiece : (l.size < 4 ? l.start(index) : undefined)
        if (p !== undefined) l.take(peer, p, out, 2)
        mine.push(...out)
      } else if (roll < 0.45) {
        const cands = []
        for (const p of l.pieces()) {
          for (let b = 0; b < p.state.length; b++) {
            const hs = holdersOf(p, b)
            if (p.state[b] === REQUESTED && hs.length < 3 && !hs.includes(peer)) cands.push({ index: p.index, block: b, holders: hs, since: p.since[b] as number })
          }
        }
        const out: BlockRef[] = []
        l.duplicate(peer, cands.slice(0, 1), out)
        mine.push(...out)
      } else if (roll < 0.65 && mine.length > 0) {
        if (l.receive(peer, mine.splice(Math.floor(rand() * mine.length), 1)[0] as BlockRef)) accepted++
      } else if (roll < 0.8 && mine.length > 0) {
        l.release(peer, mine.splice(Math.floor(rand() * mine.length), 1)[0] as BlockRef)
      } else if (roll < 0.85) {
        l.releaseAll(peer)
        mine.length = 0
      } else if (roll < 0.9) {
        l.abandon(Math.floor(rand() * 6))
      } else if (roll < 0.95) {
        l.forgetUnheld(peer, () => rand() < 0.5)
      } else {
        cancels.take()
      }
      const counted = holdersPerPeer(l)
      if ([...l.pieces()].some((p) => p.extra.size > 0)) shared++
      for (const p of peers) expect(l.outstanding(p)).toBe(counted.get(p) ?? 0)
      for (const p of l.pieces()) {
        expect(p.free).toBe(p.state.filter((s) => s === 0).length)
        expect(p.received).toBe(p.state.filter((s) => s === 2).length)
        expect(p.free).toBeLessThan(p.state.length) // idle pieces leave the book
      }
    }
    expect(accepted).toBeGreaterThan(100)
    expect(shared).toBeGreaterThan(100)
  })
})
