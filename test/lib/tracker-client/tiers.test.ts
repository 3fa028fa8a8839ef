import { describe, expect, it } from 'vitest'
import { TrackerTiers } from '../../../lib/tracker-client/tiers.js'

/** A source of "random" numbers that replays a list. */
function replay (...values: number[]): () => number {
  let i = 0
  return () => values[i++ % values.length] ?? 0
}

const noShuffle = (): number => 0.999

describe('TrackerTiers', () => {
  it('shuffles each tier once with the injected random, keeps tier order', () => {
    const t = new TrackerTiers([['a', 'b', 'c'], ['d', 'e']], replay(0, 0, 0))
    // Fisher–Yates with j = 0 every time: [a,b,c] → swap(2,0) → [c,b,a] → swap(1,0) → [b,c,a]
    expect(t.tiers).toEqual([['b', 'c', 'a'], ['e', 'd']])
    expect(new TrackerTiers([['a', 'b', 'c']], noShuffle).tiers).toEqual([['a', 'b', 'c']])
  })

  it('drops duplicates and empty tiers, and caps the tracker count', () => {
    const t = new TrackerTiers([['a', 'a'], [], ['a', 'b']], noShuffle)
    expect(t.tiers).toEqual([['a'], ['b']])
    expect(t.standing('b')?.tier).toBe(1)
    const many = new TrackerTiers([Array.from({ length: 500 }, (_, i) => `u${i}`)], noShuffle, { maxTrackers: 10 })
    expect(many.tiers[0]).toHaveLength(10)
  })

  it('tries trackers in order within a tier, then the next tier', () => {
    const t = new TrackerTiers([['a', 'b'], ['c']], noShuffle)
    expect(t.next(0)).toBe('a')
    expect(t.failed('a', 0)).toBe(15_000)
    expect(t.next(0)).toBe('b')
    t.failed('b', 0)
    expect(t.next(0)).toBe('c')
    t.failed('c', 0)
    expect(t.next(0)).toBeUndefined()
    expect(t.nextReadyAtMs()).toBe(15_000)
    expect(t.next(15_000)).toBe('a')
  })

  it('moves a tracker that answers to the front of its tier', () => {
    const t = new TrackerTiers([['a', 'b', 'c'], ['d']], noShuffle)
    t.failed('a', 0)
    t.failed('b', 0)
    t.succeeded('c')
    expect(t.tiers).toEqual([['c', 'a', 'b'], ['d']])
    expect(t.standing('c')).toMatchObject({ failures: 0, answered: true, retryAtMs: 0 })
    expect(t.next(0)).toBe('c')
  })

  it('backs off exponentially per tracker and forgets after success', () => {
    const t = new TrackerTiers([['a']], noShuffle)
    expect([t.failed('a', 0), t.failed('a', 0), t.failed('a', 0)]).toEqual([15_000, 30_000, 60_000])
    t.succeeded('a')
    expect(t.failed('a', 100)).toBe(15_000)
    expect(t.standing('a')?.retryAtMs).toBe(15_100)
  })

  it('drops a tracker that says retry in never, and is exhausted when all are dropped', () => {
    const t = new TrackerTiers([['a'], ['b']], noShuffle)
    expect(t.failed('a', 0, 'never')).toBe('never')
    expect(t.next(1e12)).toBe('b')
    expect(t.exhausted).toBe(false)
    t.drop('b')
    expect(t.exhausted).toBe(true)
    expect(t.next(1e12)).toBeUndefined()
    expect(t.nextReadyAtMs()).toBeUndefined()
    expect(t.failed('zzz', 0)).toBe('never')
  })

  it('uses a retry-in delay when given', () => {
    const t = new TrackerTiers([['a']], noShuffle)
    expect(t.failed('a', 1000, 120_000)).toBe(120_000)
    expect(t.next(120_999)).toBeUndefined()
    expect(t.next(121_000)).toBe('a')
  })

  it('an empty list is exhausted', () => {
    expect(new TrackerTiers([], noShuffle).exhausted).toBe(true)
  })
})
