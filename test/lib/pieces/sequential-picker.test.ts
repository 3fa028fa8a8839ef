import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../lib/errors.js'
import type { PiecePicker } from '../../../lib/pieces/piece-picker.js'
import { rarestFirst } from '../../../lib/pieces/rarest-first.js'
import { sequentialPicker } from '../../../lib/pieces/sequential-picker.js'
import { xorshift32 } from '../../../lib/pieces/xorshift32.js'
import { bits, view } from './helpers.js'

// Fixtures: one character per piece (availability digits; have, peer and
// progress as '1'/'0' bitmaps), as in the rarest-first tests.
const rarest = (): PiecePicker => rarestFirst({ random: xorshift32(1), randomFirstPieces: 0 })

describe('sequentialPicker', () => {
  it('picks the window first, in order, then the rarest of the rest', () => {
    //               0123456789
    const v = view('9999991234')
    const p = sequentialPicker({ window: 3, fallback: rarest() })
    expect(p.position).toBe(0)
    // Window 0..2 in order, then pieces 6 (1), 7 (2), 8 (3), 9 (4), then the common ones.
    expect(p.pick(v, bits('1111111111'), 7)).toEqual([0, 1, 2, 6, 7, 8, 9])
  })

  it('skips window pieces the peer lacks, we have, in progress or unwanted', () => {
    //                 0123456789
    const base = view('5555555555', '0100000000', '0010000000')
    const v = { ...base, isWanted: (i: number) => i !== 3 }
    const p = sequentialPicker({ window: 6, fallback: rarest() })
    // Window 0..5: 1 have, 2 in progress, 3 unwanted, 4 peer lacks → 0, 5; then the fallback.
    const picked = p.pick(v, bits('1111011111'), 10)
    expect(picked.slice(0, 2)).toEqual([0, 5])
    expect(new Set(picked.slice(2))).toEqual(new Set([6, 7, 8, 9]))
  })

  it('stops at max inside the window, without calling the fallback', () => {
    let calls = 0
    const fallback: PiecePicker = { pick: () => { calls++; return [] } }
    const p = sequentialPicker({ window: 8, fallback })
    expect(p.pick(view('1111111111'), bits('1111111111'), 3)).toEqual([0, 1, 2])
    expect(calls).toBe(0)
    expect(p.pick(view('1111111111'), bits('1111111111'), 0)).toEqual([])
  })

  it('moves the window with setPosition', () => {
    const p = sequentialPicker({ window: 2, fallback: rarest() })
    p.setPosition(5)
    expect(p.position).toBe(5)
    //                   0123456789
    const picked = p.pick(view('1111111119'), bits('1111111111'), 10)
    expect(picked.slice(0, 2)).toEqual([5, 6])
    expect(picked).toHaveLength(10)
    expect(picked[9]).toBe(9) // the most common piece comes last
    p.setPosition(0)
    expect(p.pick(view('1111111111'), bits('1111111111'), 2)).toEqual([0, 1])
  })

  it('clips the window at the end of the torrent', () => {
    const p = sequentialPicker({ window: 8, fallback: rarest() })
    p.setPosition(8)
    //                   0123456789
    const picked = p.pick(view('1111111111'), bits('1111111111'), 4)
    expect(picked.slice(0, 2)).toEqual([8, 9])
    expect(picked).toHaveLength(4)
    expect(picked.slice(2).every((i) => i < 8)).toBe(true)
    p.setPosition(50)
    expect(p.pick(view('3211'), bits('1111'), 4).sort()).toEqual([0, 1, 2, 3])
  })

  it('never returns a piece twice, even from a fallback that repeats the window', () => {
    const sloppy: PiecePicker = { pick: () => [0, 1, 1, 4, 2, 99, -1, 3] }
    const p = sequentialPicker({ window: 2, fallback: sloppy })
    // 4 is in progress; 99 and -1 are out of range.
    expect(p.pick(view('11111', '00000', '00001'), bits('11111'), 10)).toEqual([0, 1, 2, 3])
  })

  it('with window 0 is the fallback', () => {
    const p = sequentialPicker({ window: 0, fallback: rarest() })
    expect(p.pick(view('4321'), bits('1111'), 4)).toEqual([3, 2, 1, 0])
  })

  it('defaults to a window of 8 and rarest-first', () => {
    const p = sequentialPicker()
    const picked = p.pick(view('1'.repeat(20)), bits('1'.repeat(20)), 12)
    expect(picked.slice(0, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(new Set(picked).size).toBe(12)
  })

  it('rejects a bad window or position with UsageError', () => {
    expect(() => sequentialPicker({ window: -1 })).toThrow(UsageError)
    expect(() => sequentialPicker({ window: 1.5 })).toThrow(UsageError)
    const p = sequentialPicker()
    for (const bad of [-1, 0.5, Number.NaN, Infinity]) {
      expect(() => { p.setPosition(bad) }).toThrow(expect.objectContaining({ code: 'bad-position' }))
    }
    expect(p.position).toBe(0)
  })
})
