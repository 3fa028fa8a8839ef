import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Bitfield } from '../lib/pieces/bitfield.js'
import type { PickerView } from '../lib/pieces/piece-picker.js'
import { rarestFirst } from '../lib/pieces/rarest-first.js'
import { xorshift32 } from '../lib/pieces/xorshift32.js'

const bitfield = (flags: readonly boolean[]): Bitfield => {
  const b = new Bitfield(flags.length)
  flags.forEach((f, i) => { if (f) b.set(i) })
  return b
}

/** A swarm snapshot: per piece, availability, have, peer has, in progress. */
const snapshot = fc.integer({ min: 1, max: 300 }).chain((n) => fc.record({
  availability: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: n, maxLength: n }),
  have: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  peer: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  progress: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  max: fc.integer({ min: 0, max: n + 5 }),
  seed: fc.integer(),
  randomFirstPieces: fc.integer({ min: 0, max: 8 })
}))

describe('rarestFirst properties', () => {
  it('returns only pieces the peer has and we lack, not in progress, without duplicates, at most max', () => {
    fc.assert(fc.property(snapshot, (s) => {
      const view: PickerView = {
        pieceCount: s.availability.length,
        have: bitfield(s.have),
        availability: Uint32Array.from(s.availability),
        isInProgress: (i) => s.progress[i] === true,
        isWanted: () => true
      }
      const peer = bitfield(s.peer)
      const picked = rarestFirst({ random: xorshift32(s.seed), randomFirstPieces: s.randomFirstPieces }).pick(view, peer, s.max)
      const candidates = s.availability.map((_, i) => i).filter((i) => s.peer[i] === true && s.have[i] !== true && s.progress[i] !== true)
      expect(new Set(picked).size).toBe(picked.length)
      expect(picked.length).toBe(Math.min(s.max, candidates.length))
      for (const i of picked) expect(candidates).toContain(i)
      if (view.have.count >= s.randomFirstPieces && picked.length > 0) {
        const a = picked.map((i) => s.availability[i] as number)
        expect(a).toEqual([...a].sort((x, y) => x - y))
        const worst = a[a.length - 1] as number
        const chosen = new Set(picked)
        expect(candidates.filter((i) => !chosen.has(i) && (s.availability[i] as number) < worst)).toEqual([])
      }
    }))
  })

  it('is deterministic for a given seed', () => {
    fc.assert(fc.property(snapshot, (s) => {
      const make = (): number[] => rarestFirst({ random: xorshift32(s.seed), randomFirstPieces: s.randomFirstPieces }).pick({
        pieceCount: s.availability.length,
        have: bitfield(s.have),
        availability: s.availability,
        isInProgress: (i) => s.progress[i] === true,
        isWanted: () => true
      }, bitfield(s.peer), s.max)
      expect(make()).toEqual(make())
    }))
  })
})
