import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { requestDepth } from '../../../lib/peer/request-depth.js'

const base = { queueSeconds: 3, min: 16, max: 250 }

describe('requestDepth', () => {
  it('keeps queueSeconds of the measured rate requested, in 16 KiB blocks', () => {
    // 256 KiB/s for 3 s: 48 blocks.
    expect(requestDepth({ ...base, rate: 256 * 1024 })).toBe(48)
    // 1 MiB/s: 192 blocks.
    expect(requestDepth({ ...base, rate: 1024 * 1024 })).toBe(192)
    // A part of a block rounds up.
    expect(requestDepth({ ...base, rate: 100_000 })).toBe(Math.ceil(300_000 / 16384))
  })

  it('gives a new or slow peer the minimum and a fast one the maximum', () => {
    expect(requestDepth({ ...base, rate: 0 })).toBe(16)
    expect(requestDepth({ ...base, rate: 10 })).toBe(16)
    expect(requestDepth({ ...base, rate: 300e6 })).toBe(250)
  })

  it('never exceeds the peer\'s reqq, even below the minimum', () => {
    expect(requestDepth({ ...base, rate: 300e6, reqq: 100 })).toBe(100)
    expect(requestDepth({ ...base, rate: 0, reqq: 4 })).toBe(4)
    expect(requestDepth({ ...base, rate: 300e6, reqq: 2000 })).toBe(250)
  })

  it('ignores nonsense: a bad rate counts as none, a bad reqq as absent, bounds are kept sane', () => {
    expect(requestDepth({ ...base, rate: Number.NaN })).toBe(16)
    expect(requestDepth({ ...base, rate: Number.POSITIVE_INFINITY })).toBe(16)
    expect(requestDepth({ ...base, rate: -5 })).toBe(16)
    expect(requestDepth({ ...base, rate: 300e6, reqq: 0 })).toBe(250)
    expect(requestDepth({ ...base, rate: 300e6, reqq: -3 })).toBe(250)
    expect(requestDepth({ ...base, rate: 300e6, reqq: 1.5 })).toBe(250)
    expect(requestDepth({ queueSeconds: 3, min: 500, max: 250, rate: 0 })).toBe(250)
    expect(requestDepth({ queueSeconds: 3, min: 0, max: 0, rate: 0 })).toBe(1)
  })

  it('stays within [1, max], within reqq, and grows with the rate', () => {
    fc.assert(fc.property(
      fc.double({ min: 0, max: 1e10, noNaN: true }), fc.double({ min: 0, max: 1e10, noNaN: true }),
      fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 }), fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined }),
      (r1, r2, min, max, reqq) => {
        const a = requestDepth({ queueSeconds: 3, min, max, rate: Math.min(r1, r2), reqq })
        const b = requestDepth({ queueSeconds: 3, min, max, rate: Math.max(r1, r2), reqq })
        expect(a).toBeGreaterThanOrEqual(1)
        expect(b).toBeLessThanOrEqual(max)
        if (reqq !== undefined) expect(b).toBeLessThanOrEqual(reqq)
        expect(a).toBeLessThanOrEqual(b)
      }
    ), { seed: 7 })
  })
})
