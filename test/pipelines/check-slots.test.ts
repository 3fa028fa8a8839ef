import { describe, expect, it } from 'vitest'
import { CheckSlots } from '../../pipelines/check-slots.js'

describe('CheckSlots', () => {
  it('lets `limit` checks run at once; the others start in the order they asked, as slots come back', async () => {
    const slots = new CheckSlots(2)
    const started: string[] = []
    const releases = new Map<string, () => void>()
    const ask = (name: string): Promise<void> => slots.acquire().then((release) => { started.push(name); releases.set(name, release) })
    const all = ['a', 'b', 'c', 'd'].map(ask)
    await Promise.all(all.slice(0, 2))
    expect(started).toEqual(['a', 'b'])
    expect(slots.running).toBe(2)
    expect(slots.waiting).toBe(2)
    releases.get('b')?.()
    releases.get('b')?.() // a second call gives nothing back
    await all[2]
    expect(started).toEqual(['a', 'b', 'c'])
    expect(slots.running).toBe(2)
    releases.get('a')?.()
    await all[3]
    releases.get('c')?.()
    releases.get('d')?.()
    expect(slots.running).toBe(0)
    expect(slots.waiting).toBe(0)
  })

  it('a waiter whose signal aborts leaves the queue with the reason and holds no slot', async () => {
    const slots = new CheckSlots(1)
    const first = await slots.acquire()
    const ac = new AbortController()
    const stopped = slots.acquire(ac.signal)
    const next = slots.acquire()
    ac.abort(new Error('stopped'))
    await expect(stopped).rejects.toThrow('stopped')
    expect(slots.waiting).toBe(1)
    first()
    const release = await next
    expect(slots.running).toBe(1)
    release()
    expect(slots.running).toBe(0)
    await expect(slots.acquire(ac.signal)).rejects.toThrow('stopped')
  })

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new CheckSlots(0)).toThrow(RangeError)
    expect(() => new CheckSlots(1.5)).toThrow(RangeError)
  })
})
