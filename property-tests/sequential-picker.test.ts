import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Bitfield } from '../lib/pieces/bitfield.js'
import type { PickerView } from '../lib/pieces/piece-picker.js'
import { rarestFirst } from '../lib/pieces/rarest-first.js'
import { sequentialPicker } from '../lib/pieces/sequential-picker.js'
import { xorshift32 } from '../lib/pieces/xorshift32.js'

const bitfield = (flags: readonly boolean[]): Bitfield => {
  const b = new Bitfield(flags.length)
  flags.forEach((f, i) => { if (f) b.set(i) })
  return b
}

/** A swarm snapshot plus a window and a position (possibly past the end). */
const snapshot = fc.integer({ min: 1, max: 200 }).chain((n) => fc.record({
  availability: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: n, maxLength: n }),
  have: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  peer: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  progress: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  wanted: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  max: fc.integer({ min: 0, max: n + 5 }),
  window: fc.integer({ min: 0, max: n + 5 }),
  position: fc.integer({ min: 0, max: n + 5 }),
  seed: fc.integer(),
  randomFirstPieces: fc.integer({ min: 0, max: 8 })
}))

describe('sequentialPicker properties', () => {
  it('returns only eligible pieces, at most max, no duplicates; window pieces first and in order', () => {
    fc.assert(fc.property(snapshot, (s) => {
      const n = s.availability.length
      const view: PickerView = {
        pieceCount: n,
        have: bitfield(s.have),
        availability: Uint32Array.from(s.availability),
        isInProgress: (i) => s.progress[i] === true,
        isWanted: (i) => s.wanted[i] === true
      }
      const picker = sequentialPicker({
        window: s.window,
        fallback: rarestFirst({ random: xorshift32(s.seed), randomFirstPieces: s.randomFirstPieces })
      })
      picker.setPosition(s.position)
      const picked = picker.pick(view, bitfield(s.peer), s.max)

      const eligible = (i: number): boolean => s.peer[i] === true && s.have[i] !== true && s.progress[i] !== true && s.wanted[i] === true
      const candidates = Array.from({ length: n }, (_, i) => i).filter(eligible)
      const windowed = candidates.filter((i) => i >= s.position && i < s.position + s.window)

      expect(new Set(picked).size).toBe(picked.length)
      // The rarest-first fallback fills every remaining slot it can.
      expect(picked.length).toBe(Math.min(s.max, candidates.length))
      for (const i of picked) expect(eligible(i)).toBe(true)
      expect(picked.slice(0, Math.min(s.max, windowed.length))).toEqual(windowed.slice(0, s.max))
    }))
  })
})
