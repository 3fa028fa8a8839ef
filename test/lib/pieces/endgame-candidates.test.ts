import { describe, expect, it } from 'vitest'
import { endgameCandidates, isEndgame } from '../../../lib/pieces/endgame.js'
import { addHolder, newPartialPiece, receiveBlock, requestBlock, type PartialPiece } from '../../../lib/pieces/partial-piece.js'
import { bits } from './helpers.js'

/** A piece from one character per block: `.` free, `a`–`z` requested from that peer, `A`–`Z` received from it. */
function piece (index: number, blocks: string): PartialPiece {
  const p = newPartialPiece(index, blocks.length)
  for (let b = 0; b < blocks.length; b++) {
    const c = blocks[b] as string
    if (c === '.') continue
    requestBlock(p, b, c.toLowerCase(), index * 10 + b)
    if (c !== c.toLowerCase()) receiveBlock(p, b, c.toLowerCase())
  }
  return p
}

describe('isEndgame', () => {
  it('needs every missing wanted piece in progress with no free block', () => {
    const all = bits('1111')
    expect(isEndgame([piece(1, 'aB'), piece(3, 'bb')], all, bits('1010'))).toBe(true)
    expect(isEndgame([piece(1, 'a.'), piece(3, 'bb')], all, bits('1010'))).toBe(false) // a free block
    expect(isEndgame([piece(1, 'aB')], all, bits('1010'))).toBe(false) // piece 3 not started
    expect(isEndgame([], all, bits('1010'))).toBe(false)
  })

  it('looks only at wanted pieces we lack', () => {
    // Piece 3 is unwanted (not started, but that does not matter); piece 0 is verified (a stale entry is ignored).
    expect(isEndgame([piece(0, '..'), piece(1, 'ab'), piece(2, 'Ab')], bits('1110'), bits('1000'))).toBe(true)
    expect(isEndgame([piece(3, 'aa')], bits('1110'), bits('1110'))).toBe(false)
  })
})

describe('endgameCandidates', () => {
  it('lists requested blocks of wanted pieces the peer has, with holders and first-request order', () => {
    const p1 = piece(1, 'aBc')
    addHolder(p1, 2, 'd')
    const cands = endgameCandidates([p1, piece(2, 'e.'), piece(3, 'f')], bits('0110'), bits('1101'))
    expect(cands).toEqual([
      { index: 1, block: 0, holders: ['a'], since: 10 },
      { index: 1, block: 2, holders: ['c', 'd'], since: 12 }
    ]) // not the received block 1:1; not piece 2 (unwanted) nor piece 3 (the peer lacks it)
    expect(endgameCandidates([piece(3, 'f')], bits('0001'), bits('1101'))).toEqual([{ index: 3, block: 0, holders: ['f'], since: 30 }])
  })
})
