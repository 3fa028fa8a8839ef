import { describe, expect, it } from 'vitest'
import {
  FREE, RECEIVED, REQUESTED, addHolder, contributorsOf, dropHolder, freeBlock, holdersOf, isIdle,
  newPartialPiece, receiveBlock, requestBlock, unreceiveBlock, type PartialPiece
} from '../../../lib/pieces/partial-piece.js'

/** One character per block: `.` free, `r` requested, `R` received; then the counters. */
function show (p: PartialPiece): string {
  const chars = [...p.state].map((s) => s === FREE ? '.' : s === REQUESTED ? 'r' : 'R').join('')
  return `${chars} free=${p.free} received=${p.received}`
}

describe('partial piece', () => {
  it('starts with every block free and keeps the counters equal to the states', () => {
    const p = newPartialPiece(7, 4)
    expect(p.index).toBe(7)
    expect(show(p)).toBe('.... free=4 received=0')
    expect(isIdle(p)).toBe(true)
    requestBlock(p, 0, 'a', 0)
    requestBlock(p, 2, 'b', 1)
    expect(show(p)).toBe('r.r. free=2 received=0')
    expect(isIdle(p)).toBe(false)
    receiveBlock(p, 2, 'b')
    expect(show(p)).toBe('r.R. free=2 received=1')
    unreceiveBlock(p, 2)
    expect(show(p)).toBe('r... free=3 received=0')
    expect(p.owner[2]).toBeUndefined()
    freeBlock(p, 0)
    expect(show(p)).toBe('.... free=4 received=0')
    expect(isIdle(p)).toBe(true)
  })

  it('lists holders first requester first and drops them one by one', () => {
    const p = newPartialPiece(0, 2)
    requestBlock(p, 1, 'a', 5)
    addHolder(p, 1, 'b')
    addHolder(p, 1, 'c')
    expect(holdersOf(p, 1)).toEqual(['a', 'b', 'c'])
    expect(holdersOf(p, 0)).toEqual([])
    expect(dropHolder(p, 1, 'z')).toBe(false)
    expect(dropHolder(p, 1, 'b')).toBe(true)
    expect(holdersOf(p, 1)).toEqual(['a', 'c'])
    expect(dropHolder(p, 1, 'a')).toBe(true) // the next holder becomes the first
    expect(holdersOf(p, 1)).toEqual(['c'])
    expect(p.extra.size).toBe(0)
    expect(show(p)).toBe('.r free=1 received=0')
    expect(dropHolder(p, 1, 'c')).toBe(true) // the last holder frees the block
    expect(show(p)).toBe('.. free=2 received=0')
    expect(dropHolder(p, 1, 'c')).toBe(false)
  })

  it('a received block forgets its other holders and is owned by its sender', () => {
    const p = newPartialPiece(0, 1)
    requestBlock(p, 0, 'a', 0)
    addHolder(p, 0, 'b')
    receiveBlock(p, 0, 'b')
    expect(p.state[0]).toBe(RECEIVED)
    expect(p.owner[0]).toBe('b')
    expect(p.extra.size).toBe(0)
  })

  it('names each contributor once, in block order', () => {
    const p = newPartialPiece(0, 5)
    for (let b = 0; b < 5; b++) requestBlock(p, b, 'x', b)
    receiveBlock(p, 0, 'b')
    receiveBlock(p, 1, 'a')
    receiveBlock(p, 3, 'b')
    expect(contributorsOf(p)).toEqual(['b', 'a']) // block 2 and 4 are only requested
  })
})
