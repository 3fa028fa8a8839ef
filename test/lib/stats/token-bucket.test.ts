import { describe, it, expect } from 'vitest'
import { MIN_BURST, TokenBucket } from '../../../lib/stats/token-bucket.js'
import { UsageError } from '../../../lib/errors.js'

const KiB = 1024

describe('TokenBucket', () => {
  it('lets a full burst go at once, then waits rate-proportionally', () => {
    const b = new TokenBucket({ rate: 32 * KiB, burst: 32 * KiB })
    expect(b.take(32 * KiB, 0)).toBe(0)
    expect(b.take(16 * KiB, 0)).toBe(500)
  })

  it('holds a steady rate: one block every 500 ms at 32 KiB/s', () => {
    const b = new TokenBucket({ rate: 32 * KiB, burst: MIN_BURST })
    let now = 0
    const releases: number[] = []
    for (let i = 0; i < 10; i++) {
      now += b.take(16 * KiB, now)
      releases.push(now)
    }
    expect(releases).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500])
  })

  it('refills with time up to the burst and no further', () => {
    const b = new TokenBucket({ rate: 10_000, burst: 20_000 })
    expect(b.take(20_000, 0)).toBe(0)
    expect(b.take(10_000, 1000)).toBe(0) // 1 s earned 10 000
    expect(b.take(1, 1000)).toBe(1) // 1 byte of debt at 10 bytes/ms → ceil(0.1)
    // a long idle period refills only to the burst
    expect(b.take(20_000, 100_000)).toBe(0)
    expect(b.take(10_000, 100_000)).toBe(1000)
  })

  it('keeps debt: later takes wait behind earlier ones', () => {
    const b = new TokenBucket({ rate: 20_000, burst: 20_000 })
    expect(b.take(20_000, 0)).toBe(0)
    expect(b.take(20_000, 0)).toBe(1000)
    expect(b.take(20_000, 0)).toBe(2000)
    // half-way through, the debt is 30 000 → 1.5 s
    expect(b.take(0, 500)).toBe(1500)
  })

  it('defaults the burst to one second at the rate, never below one block', () => {
    expect(new TokenBucket({ rate: 100_000 }).burst).toBe(100_000)
    expect(new TokenBucket({ rate: 1000 }).burst).toBe(MIN_BURST)
    expect(new TokenBucket({ rate: 1000, burst: 10 }).burst).toBe(MIN_BURST)
    expect(MIN_BURST).toBe(16 * KiB + 13)
  })

  it('is unlimited at rate 0 or Infinity', () => {
    for (const rate of [0, Infinity]) {
      const b = new TokenBucket({ rate })
      for (let i = 0; i < 100; i++) expect(b.take(1024 * KiB, 0)).toBe(0)
      expect(b.rate).toBe(rate)
    }
  })

  it('setRate counts the past at the old rate and the future at the new one', () => {
    const b = new TokenBucket({ rate: 20_000, burst: 40_000 })
    expect(b.take(40_000, 0)).toBe(0)
    b.setRate(40_000, 500) // earned 10 000 at the old rate
    expect(b.rate).toBe(40_000)
    expect(b.take(30_000, 500)).toBe(500) // 20 000 debt at 40 bytes/ms
  })

  it('setRate moves a defaulted burst with the rate, keeps a given one', () => {
    const d = new TokenBucket({ rate: 100_000 })
    d.setRate(50_000, 0)
    expect(d.burst).toBe(50_000)
    const g = new TokenBucket({ rate: 100_000, burst: 70_000 })
    g.setRate(50_000, 0)
    expect(g.burst).toBe(70_000)
  })

  it('setRate from unlimited starts full; to unlimited stops waiting', () => {
    const b = new TokenBucket({ rate: 0 })
    b.take(1_000_000, 0)
    b.setRate(20_000, 10)
    expect(b.take(20_000, 10)).toBe(0)
    expect(b.take(20_000, 10)).toBe(1000)
    b.setRate(Infinity, 10)
    expect(b.take(1_000_000, 10)).toBe(0)
  })

  it('treats a clock going backwards as standing still', () => {
    const b = new TokenBucket({ rate: 20_000, burst: 20_000 })
    expect(b.take(20_000, 1000)).toBe(0)
    expect(b.take(20_000, 0)).toBe(1000)
  })

  it('starts full at its first use, whatever the clock reads', () => {
    const b = new TokenBucket({ rate: 20_000, burst: 20_000 })
    expect(b.take(20_000, 1_000_000)).toBe(0)
    expect(b.take(20_000, 1_000_000)).toBe(1000)
  })

  it('rejects bad rates, bursts, byte counts and times with UsageError', () => {
    const codes = (f: () => unknown): string | undefined => {
      try { f() } catch (e) { return e instanceof UsageError ? e.code : 'other' }
      return undefined
    }
    expect(codes(() => new TokenBucket({ rate: -1 }))).toBe('bad-rate')
    expect(codes(() => new TokenBucket({ rate: NaN }))).toBe('bad-rate')
    expect(codes(() => new TokenBucket({ rate: 1, burst: -1 }))).toBe('bad-burst')
    const b = new TokenBucket({ rate: 1000 })
    expect(codes(() => b.take(-1, 0))).toBe('bad-bytes')
    expect(codes(() => b.take(Infinity, 0))).toBe('bad-bytes')
    expect(codes(() => b.take(1, NaN))).toBe('bad-time')
    expect(codes(() => { b.setRate(-5, 0) })).toBe('bad-rate')
  })
})
