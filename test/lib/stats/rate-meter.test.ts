import { describe, expect, it } from 'vitest'
import { RateMeter } from '../../../lib/stats/rate-meter.js'

describe('RateMeter', () => {
  it('averages bytes over its window', () => {
    const m = new RateMeter({ windowMs: 5000, buckets: 5 })
    for (let t = 0; t < 5000; t += 1000) m.add(1000, t)
    expect(m.rate(4999)).toBe(1000)
    expect(m.total).toBe(5000)
  })

  it('forgets bytes older than the window', () => {
    const m = new RateMeter({ windowMs: 2000, buckets: 2 })
    m.add(4000, 100)
    expect(m.rate(500)).toBe(2000)
    expect(m.rate(10_000)).toBe(0)
    expect(m.total).toBe(4000)
  })

  it('reports zero before anything arrives', () => {
    expect(new RateMeter().rate(123456)).toBe(0)
  })
})
