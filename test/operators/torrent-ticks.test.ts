import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../lib/errors.js'
import { torrentTicks } from '../../operators/torrent-ticks.js'

const scheduler = (): TestScheduler => new TestScheduler((a, b) => { expect(a).toEqual(b) })

describe('torrentTicks', () => {
  it('a round at subscription and every round length, request expiry every expiry period, on the scheduler', () => {
    const ts = scheduler()
    ts.run(({ expectObservable }) => {
      const values = { c: { type: 'choke-round', early: false }, e: { type: 'request-expiry' } }
      expectObservable(torrentTicks({ scheduler: ts, chokeRoundMs: 4, expiryMs: 3 }), '^ 12ms !').toBe('c 2ms e c 1ms e 1ms c e 2ms (ce)', values)
    })
  })

  it('refuses periods that are not positive numbers', () => {
    const ts = scheduler()
    for (const bad of [{ chokeRoundMs: 0 }, { expiryMs: -1 }, { chokeRoundMs: Number.NaN }]) {
      expect(() => torrentTicks({ scheduler: ts, ...bad })).toThrow(UsageError)
    }
  })
})
