import { describe, it, expect } from 'vitest'
import { capabilities, hasReservedBit, makeReserved } from '../../../lib/wire/reserved.js'

describe('reserved bits (BEP 4)', () => {
  it('sets the fast (7/0x04), extended (5/0x10) and dht (7/0x01) bits', () => {
    expect(Array.from(makeReserved())).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
    expect(Array.from(makeReserved({ fast: true }))).toEqual([0, 0, 0, 0, 0, 0, 0, 0x04])
    expect(Array.from(makeReserved({ extended: true }))).toEqual([0, 0, 0, 0, 0, 0x10, 0, 0])
    expect(Array.from(makeReserved({ dht: true }))).toEqual([0, 0, 0, 0, 0, 0, 0, 0x01])
    expect(Array.from(makeReserved({ fast: true, extended: true, dht: true }))).toEqual([0, 0, 0, 0, 0, 0x10, 0, 0x05])
  })

  it('hasReservedBit reads a bit and treats missing bytes as unset', () => {
    const r = makeReserved({ extended: true })
    expect(hasReservedBit(r, 5, 0x10)).toBe(true)
    expect(hasReservedBit(r, 5, 0x01)).toBe(false)
    expect(hasReservedBit(new Uint8Array(2), 7, 0x04)).toBe(false)
  })

  it('a capability is on only when both sides set it', () => {
    const ours = makeReserved({ fast: true, extended: true })
    const theirs = makeReserved({ extended: true, dht: true })
    expect(capabilities(ours, theirs)).toEqual({ fast: false, extended: true, dht: false })
    expect(capabilities(theirs, theirs)).toEqual({ fast: false, extended: true, dht: true })
    const allBits = new Uint8Array(8).fill(0xff)
    expect(capabilities(allBits, makeReserved())).toEqual({ fast: false, extended: false, dht: false })
  })
})
