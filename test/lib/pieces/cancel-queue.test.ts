import { describe, expect, it } from 'vitest'
import { CancelQueue } from '../../../lib/pieces/cancel-queue.js'

const ref = (index: number): { index: number, begin: number, length: number } => ({ index, begin: 0, length: 16384 })

describe('CancelQueue', () => {
  it('hands out cancels oldest first and empties', () => {
    const q = new CancelQueue(10)
    q.push('a', ref(1))
    q.push('b', ref(2))
    expect(q.take()).toEqual([{ peer: 'a', ref: ref(1) }, { peer: 'b', ref: ref(2) }])
    expect(q.take()).toEqual([])
  })

  it('drops the oldest past its limit and keeps none at 0', () => {
    const q = new CancelQueue(2)
    for (let i = 0; i < 5; i++) q.push('a', ref(i))
    expect(q.take().map((c) => c.ref.index)).toEqual([3, 4])
    const none = new CancelQueue(0)
    none.push('a', ref(0))
    expect(none.take()).toEqual([])
  })
})
