import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { TokenBucket } from '../lib/stats/token-bucket.js'

/** Tolerance for floating-point refill arithmetic. */
const EPS = 1e-6

interface Take { readonly gap: number, readonly bytes: number }

const takes = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3000 }), bytes: fc.integer({ min: 0, max: 200_000 }) }), { minLength: 1, maxLength: 80 })
const rates = fc.integer({ min: 1, max: 500_000 })
const bursts = fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined })

/** For every release time t: bytes released by t ≤ burst + rate × (t − start). */
function checkReleases (released: Array<{ at: number, bytes: number }>, start: number, bucket: TokenBucket): void {
  const sorted = [...released].sort((a, b) => a.at - b.at)
  let total = 0
  for (const r of sorted) {
    total += r.bytes
    const bound = bucket.burst + bucket.rate * (r.at - start) / 1000
    expect(total).toBeLessThanOrEqual(bound * (1 + EPS) + EPS)
  }
}

describe('TokenBucket properties', () => {
  it('one sender that waits as told never exceeds burst + rate × t', () => {
    fc.assert(fc.property(rates, bursts, takes, (rate, burst, seq: Take[]) => {
      const bucket = new TokenBucket({ rate, burst })
      let now = 1000
      const start = now
      const released: Array<{ at: number, bytes: number }> = []
      for (const { gap, bytes } of seq) {
        now += gap
        now += bucket.take(bytes, now)
        released.push({ at: now, bytes })
      }
      checkReleases(released, start, bucket)
    }))
  })

  it('takes at arbitrary times (many senders sharing a bucket) never exceed burst + rate × t', () => {
    fc.assert(fc.property(rates, bursts, takes, (rate, burst, seq: Take[]) => {
      const bucket = new TokenBucket({ rate, burst })
      let now = 0
      const released: Array<{ at: number, bytes: number }> = []
      for (const { gap, bytes } of seq) {
        now += gap
        released.push({ at: now + bucket.take(bytes, now), bytes })
      }
      checkReleases(released, seq[0]?.gap ?? 0, bucket)
    }))
  })

  it('the wait is no longer than the debt needs: releases keep up with the rate', () => {
    fc.assert(fc.property(rates, takes, (rate, seq: Take[]) => {
      // a sender that waits as told, with no idle gaps, finishes within one ms per take of the ideal time
      const bucket = new TokenBucket({ rate })
      let now = 0
      let total = 0
      for (const { bytes } of seq) {
        now += bucket.take(bytes, now)
        total += bytes
      }
      const ideal = Math.max(0, (total - bucket.burst) * 1000 / rate)
      expect(now).toBeLessThanOrEqual(ideal + seq.length)
    }))
  })
})
