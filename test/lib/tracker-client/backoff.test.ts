import { describe, expect, it } from 'vitest'
import { announceDelayMs, retryDelayMs } from '../../../lib/tracker-client/backoff.js'

describe('retryDelayMs', () => {
  it('doubles from 15 s up to 30 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(n => retryDelayMs(n))).toEqual([15, 30, 60, 120, 240, 480, 960, 1800].map(s => s * 1000))
    expect(retryDelayMs(50)).toBe(1800_000)
    expect(retryDelayMs(1e9)).toBe(1800_000)
  })

  it('honours BEP 31 retry in: a delay is used as is, never drops the tracker', () => {
    expect(retryDelayMs(1, 600_000)).toBe(600_000)
    expect(retryDelayMs(7, 120_000)).toBe(120_000)
    expect(retryDelayMs(1, 'never')).toBe('never')
  })

  it('keeps a hostile retry in within [base, 1 day]', () => {
    expect(retryDelayMs(1, 0)).toBe(15_000)
    expect(retryDelayMs(1, -5)).toBe(15_000)
    expect(retryDelayMs(1, 1e15)).toBe(86_400_000)
    expect(retryDelayMs(2, Number.NaN)).toBe(30_000)
  })

  it('takes its base and cap as options', () => {
    expect(retryDelayMs(3, undefined, { baseMs: 10, maxMs: 25 })).toBe(25)
    expect(retryDelayMs(2, undefined, { baseMs: 10 })).toBe(20)
  })
})

describe('announceDelayMs', () => {
  it('uses the interval, never below min interval', () => {
    expect(announceDelayMs({ interval: 1800 })).toBe(1800_000)
    expect(announceDelayMs({ interval: 100, minInterval: 900 })).toBe(900_000)
    expect(announceDelayMs({ interval: 900, minInterval: 100 })).toBe(900_000)
  })

  it('clamps hostile intervals', () => {
    expect(announceDelayMs({ interval: 0 })).toBe(30_000)
    expect(announceDelayMs({ interval: -1 })).toBe(30_000)
    expect(announceDelayMs({ interval: Number.POSITIVE_INFINITY })).toBe(30_000)
    expect(announceDelayMs({ interval: 2 ** 40 })).toBe(6 * 3600_000)
    expect(announceDelayMs({ interval: 5 }, { minIntervalMs: 1000 })).toBe(5000)
  })
})
