import { describe, expect, it } from 'vitest'
import { PeerAvailability } from '../../../lib/pieces/availability.js'
import { bits } from './helpers.js'

describe('PeerAvailability', () => {
  it('counts bitfields and haves once per peer; a new bitfield replaces the old one', () => {
    const a = new PeerAvailability(4)
    a.setBitfield('x', bits('1100'))
    a.setBitfield('y', bits('0110'))
    a.addHave('z', 3)
    a.addHave('z', 3)
    expect([...a.counts]).toEqual([1, 2, 1, 1])
    a.setBitfield('x', bits('0001'))
    expect([...a.counts]).toEqual([0, 1, 1, 2])
    a.addHave('x', 0)
    expect([...a.counts]).toEqual([1, 1, 1, 2])
    expect(a.of('x')?.has(0)).toBe(true)
  })

  it('keeps its own copy of a bitfield and forgets removed peers', () => {
    const a = new PeerAvailability(3)
    const theirs = bits('101')
    a.setBitfield('x', theirs)
    theirs.set(1)
    expect([...a.counts]).toEqual([1, 0, 1])
    a.remove('x')
    a.remove('x')
    expect([...a.counts]).toEqual([0, 0, 0])
    expect(a.of('x')).toBeUndefined()
  })
})
