import { describe, expect, it } from 'vitest'
import { Bitfield } from '../../../lib/pieces/bitfield.js'
import { candidatePieces } from '../../../lib/pieces/piece-picker.js'
import { rarestFirst } from '../../../lib/pieces/rarest-first.js'
import { xorshift32 } from '../../../lib/pieces/xorshift32.js'
import { bits, view } from './helpers.js'

// Fixtures: one character per piece. Availability as digits; `have` and
// `peer` as bitmaps ('1' set, '0' clear); `progress` marks pieces in progress.
const seeded = (seed: number) => rarestFirst({ random: xorshift32(seed), randomFirstPieces: 0 })

describe('candidatePieces', () => {
  it('is what the peer has, we lack, and not in progress', () => {
    const v = view('1111111111', '1100000000', '0010000000')
    expect(candidatePieces(v, bits('1111100001'))).toEqual([3, 4, 9])
  })
})

describe('rarestFirst', () => {
  it('picks the rarest pieces first', () => {
    const v = view('5318243769')
    const picked = seeded(1).pick(v, bits('1111111111'), 10)
    const availability = picked.map((i) => Number('5318243769'[i]))
    expect(availability).toEqual([...availability].sort((a, b) => a - b))
    expect(picked[0]).toBe(2) // availability 1
    expect(new Set(picked.slice(1, 3))).toEqual(new Set([1, 4])) // availability 2 twice
  })

  it('honours max and returns only pieces the peer has and we lack', () => {
    //               0123456789
    const v = view('1234512345', '1000010000')
    const peer = bits('1101101101')
    const picked = seeded(2).pick(v, peer, 3)
    expect(picked).toHaveLength(3)
    for (const i of picked) { expect(peer.has(i)).toBe(true); expect(v.have.has(i)).toBe(false) }
    // candidates 1,3,4,6,7,9 with availability 2,4,5,2,3,5 → rarest three are 1,6 (2) then 7 (3)
    expect(new Set(picked.slice(0, 2))).toEqual(new Set([1, 6]))
    expect(picked[2]).toBe(7)
  })

  it('skips pieces in progress and unwanted pieces', () => {
    const v = { ...view('1111', '0000', '1000'), isWanted: (i: number) => i !== 1 }
    expect(seeded(3).pick(v, bits('1111'), 10).sort()).toEqual([2, 3])
  })

  it('returns nothing for max 0, an empty peer or when we have everything', () => {
    expect(seeded(4).pick(view('1111'), bits('1111'), 0)).toEqual([])
    expect(seeded(4).pick(view('1111'), bits('0000'), 4)).toEqual([])
    expect(seeded(4).pick(view('1111', '1111'), bits('1111'), 4)).toEqual([])
  })

  it('breaks ties with the seeded random: same seed same order, different seeds differ', () => {
    const v = view('1'.repeat(64))
    const peer = Bitfield.full(64)
    const a = seeded(42).pick(v, peer, 16)
    const b = seeded(42).pick(v, peer, 16)
    expect(a).toEqual(b)
    const others = [1, 2, 3, 4, 5].map((s) => seeded(s).pick(v, peer, 16).join())
    expect(others.some((o) => o !== a.join())).toBe(true)
    expect(new Set(a).size).toBe(16)
  })

  it('the default random is deterministic too', () => {
    const v = view('2'.repeat(40), '1111' + '0'.repeat(36))
    expect(rarestFirst().pick(v, Bitfield.full(40), 5)).toEqual(rarestFirst().pick(v, Bitfield.full(40), 5))
  })

  it('picks random pieces, not the rarest, until it has randomFirstPieces', () => {
    // Piece 0 is by far the rarest; random-first must not always start with it.
    const availability = '1' + '9'.repeat(31)
    const firsts = new Set<number>()
    const picker = rarestFirst({ random: xorshift32(9), randomFirstPieces: 4 })
    for (let i = 0; i < 20; i++) firsts.add(picker.pick(view(availability, '0'.repeat(32)), Bitfield.full(32), 1)[0] as number)
    expect(firsts.size).toBeGreaterThan(5)
    // With four pieces in hand it turns to rarest first.
    const v = view(availability, '0111100000000000' + '0'.repeat(16))
    expect(picker.pick(v, Bitfield.full(32), 1)).toEqual([0])
  })

  it('random-first still picks only candidates', () => {
    const picker = rarestFirst({ random: xorshift32(5) })
    const picked = picker.pick(view('11111111', '10000000'), bits('11010011'), 10)
    expect(picked.sort()).toEqual([1, 3, 6, 7])
  })

  it('is fast enough for 100k pieces', () => {
    const n = 100_000
    const availability = new Uint32Array(n)
    const rnd = xorshift32(11)
    for (let i = 0; i < n; i++) availability[i] = Math.floor(rnd() * 50)
    const have = new Bitfield(n)
    for (let i = 0; i < n; i += 3) have.set(i)
    const v = { pieceCount: n, have, availability, isInProgress: () => false, isWanted: () => true }
    const picker = rarestFirst({ random: xorshift32(1) })
    const picked = picker.pick(v, Bitfield.full(n), 100)
    expect(picked).toHaveLength(100)
    // All returned pieces are at least as rare as every piece not returned.
    const worst = Math.max(...picked.map((i) => availability[i] as number))
    const chosen = new Set(picked)
    let rarerLeftOut = 0
    for (let i = 0; i < n; i++) {
      if (!have.has(i) && !chosen.has(i) && (availability[i] as number) < worst) rarerLeftOut++
    }
    expect(rarerLeftOut).toBe(0)
  })
})

describe('xorshift32', () => {
  it('is deterministic, in [0, 1), and survives seed 0', () => {
    const a = xorshift32(123)
    const b = xorshift32(123)
    for (let i = 0; i < 100; i++) {
      const x = a()
      expect(x).toBe(b())
      expect(x >= 0 && x < 1).toBe(true)
    }
    const z = xorshift32(0)
    expect(z()).not.toBe(z())
  })
})
