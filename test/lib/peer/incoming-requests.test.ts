import { describe, expect, it } from 'vitest'
import { IncomingRequests } from '../../../lib/peer/incoming-requests.js'

const block = (index: number, begin: number, length = 16384): { index: number, begin: number, length: number } => ({ index, begin, length })
const names = (refs: ReadonlyArray<{ index: number, begin: number, length: number }>): string[] => refs.map((r) => `${r.index}/${r.begin}/${r.length}`)

describe('IncomingRequests', () => {
  it('takes requests oldest first; a request queued twice keeps its place; odd-sized ones keep their length', () => {
    const q = new IncomingRequests(65536)
    expect(q.add(block(1, 16384))).toBe(true)
    expect(q.add(block(0, 0, 1000))).toBe(true)
    expect(q.add(block(1, 16384))).toBe(false)
    expect(q.add(block(0, 0))).toBe(true)
    expect(q.size).toBe(3)
    expect(q.has(block(0, 0, 1000))).toBe(true)
    expect(q.has(block(0, 0, 2000))).toBe(false)
    expect(names([q.take(), q.take(), q.take()].filter((r) => r !== undefined))).toEqual(['1/16384/16384', '0/0/1000', '0/0/16384'])
    expect(q.take()).toBeUndefined()
    expect(q.size).toBe(0)
  })

  it('a cancelled request is skipped; queued again, it goes to the back', () => {
    const q = new IncomingRequests(32768)
    for (let i = 0; i < 4; i++) q.add(block(i, 0))
    expect(q.delete(block(1, 0))).toBe(true)
    expect(q.delete(block(1, 0))).toBe(false)
    expect(q.delete(block(0, 0))).toBe(true)
    q.add(block(0, 0))
    expect(names(q.drain())).toEqual(['2/0/16384', '3/0/16384', '0/0/16384'])
    expect(q.size).toBe(0)
  })

  it('stays in order through many request/cancel rounds (the dead keys are compacted away)', () => {
    const q = new IncomingRequests(16384 * 4)
    q.add(block(0, 0))
    for (let round = 0; round < 10_000; round++) {
      q.add(block(1 + (round % 50), 16384))
      q.delete(block(1 + (round % 50), 16384))
    }
    q.add(block(9, 0))
    expect(q.size).toBe(2)
    expect(names(q.drain())).toEqual(['0/0/16384', '9/0/16384'])
  })

  it('interleaved takes and adds keep arrival order', () => {
    const q = new IncomingRequests(16384)
    const out: string[] = []
    for (let i = 0; i < 100; i++) {
      q.add(block(i, 0))
      q.add(block(i + 1000, 0))
      out.push(...names([q.take()].filter((r) => r !== undefined)))
    }
    out.push(...names(q.drain()))
    const expected = Array.from({ length: 100 }, (_, i) => [i, i + 1000]).flat().map((i) => `${i}/0/16384`)
    expect(out).toEqual(expected)
  })

  it('a queue that never empties stays in arrival order as the keys taken are compacted away, cancels included', () => {
    const q = new IncomingRequests(16384)
    const out: string[] = []
    for (let i = 0; i < 5; i++) q.add(block(i, 0))
    for (let i = 5; i < 20_000; i++) {
      q.add(block(i, 0))
      // Every seventh is cancelled behind four older ones still queued.
      if (i % 7 === 0) { expect(q.delete(block(i, 0))).toBe(true); continue }
      out.push(...names([q.take()].filter((r) => r !== undefined)))
      expect(q.size).toBe(5)
    }
    out.push(...names(q.drain()))
    const expected = Array.from({ length: 20_000 }, (_, i) => i).filter((i) => i < 5 || i % 7 !== 0).map((i) => `${i}/0/16384`)
    expect(out).toEqual(expected)
  })
})
