import { describe, expect, it } from 'vitest'
import { Bitfield } from '../../../lib/pieces/bitfield.js'
import { geometryOf } from '../../../lib/pieces/geometry.js'
import { peerIsInteresting, updateInterest } from '../../../lib/peer/interest.js'
import { PeerSession } from '../../../lib/peer/peer-session.js'

function bits (n: number, set: number[]): Bitfield {
  const b = new Bitfield(n)
  for (const i of set) b.set(i)
  return b
}

describe('peerIsInteresting', () => {
  it('is true exactly when the peer has a piece we lack', () => {
    expect(peerIsInteresting(bits(12, [0, 1]), bits(12, [0, 1]))).toBe(false)
    expect(peerIsInteresting(bits(12, [0, 1]), bits(12, [11]))).toBe(true)
    expect(peerIsInteresting(Bitfield.full(12), Bitfield.full(12))).toBe(false)
    expect(peerIsInteresting(new Bitfield(12), new Bitfield(12))).toBe(false)
  })
})

describe('updateInterest', () => {
  it('returns the message that changes our interest, or nothing', () => {
    const s = new PeerSession({ geometry: geometryOf({ length: 10, pieceLength: 5 }), fast: false, extended: false, ourHave: new Bitfield(2) })
    expect(updateInterest(s, true)).toEqual([{ type: 'interested' }])
    expect(updateInterest(s, true)).toEqual([])
    expect(updateInterest(s, false)).toEqual([{ type: 'not-interested' }])
  })
})
