import { describe, expect, it } from 'vitest'
import { EventQueue, TICK_MS } from '../../../lib/sim/event-queue.js'

describe('EventQueue (lib/sim)', () => {
  it('runs actions by time, ties in the order scheduled, moving the clock to each', () => {
    const q = new EventQueue()
    const seen: string[] = []
    q.at(5, () => { seen.push(`b@${q.now}`) })
    q.at(1, () => { seen.push(`a@${q.now}`); q.after(4, () => { seen.push(`c@${q.now}`) }) })
    q.at(5, () => { seen.push(`d@${q.now}`) })
    q.at(9, () => { seen.push(`e@${q.now}`) })
    expect(q.runUntil(100, Infinity, () => false)).toBe(false)
    expect(seen).toEqual(['a@1', 'b@5', 'd@5', 'c@5', 'e@9'])
    expect(q.ran).toBe(5)
    expect(q.size).toBe(0)
  })

  it('rounds times up to its tick, so differences of times are exact; a time in the past runs now', () => {
    const q = new EventQueue()
    const at: number[] = []
    q.at(0.1, () => { at.push(q.now); q.at(q.now + 250, () => { at.push(q.now) }); q.at(-3, () => { at.push(q.now) }) })
    q.runUntil(1000, Infinity, () => false)
    expect(at[0]).toBeGreaterThanOrEqual(0.1)
    expect(at[0]).toBeLessThan(0.1 + TICK_MS)
    expect(at[1]).toBe(at[0])
    expect((at[2] as number) - (at[0] as number)).toBe(250)
  })

  it('stops at the end time, after the budget, or when the instant callback says so (at the end of an instant)', () => {
    const q = new EventQueue()
    for (const t of [1, 2, 2, 3, 10]) q.at(t, () => {})
    const instants: number[] = []
    expect(q.runUntil(2.5, Infinity, (now) => { instants.push(now); return false })).toBe(false)
    // Both actions at 2 ran before the instant callback saw 2.
    expect(instants).toEqual([1, 2])
    expect(q.now).toBe(2)
    expect(q.runUntil(100, 1, () => false)).toBe(false)
    expect(q.now).toBe(3)
    expect(q.runUntil(100, Infinity, () => true)).toBe(true)
    expect(q.now).toBe(10)
    expect(q.nextAt).toBe(Infinity)
    q.advanceTo(50)
    expect(q.now).toBe(50)
  })

  it('keeps heap order under many random schedules', () => {
    const q = new EventQueue()
    let x = 12345
    const rand = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 2 ** 32 }
    const times: number[] = []
    for (let i = 0; i < 2000; i++) q.at(Math.floor(rand() * 500), () => { times.push(q.now) })
    q.runUntil(Infinity, Infinity, () => false)
    expect(times).toHaveLength(2000)
    expect(times.every((t, i) => i === 0 || (times[i - 1] as number) <= t)).toBe(true)
  })
})
