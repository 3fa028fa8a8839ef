import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { TimeoutError } from '../../lib/errors.js'
import { idleTimeout } from '../../operators/idle-timeout.js'

function scheduler (): TestScheduler {
  return new TestScheduler((actual, expected) => { expect(actual).toEqual(expected) })
}

describe('idleTimeout', () => {
  it('C40: errors with TimeoutError idle when the source is silent for timeoutMs, and unsubscribes it', () => {
    const ts = scheduler()
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a--b-----------')
      const err = new TimeoutError('idle', 'nothing received for 6 ms', { details: { timeoutMs: 6 } })
      expectObservable(source.pipe(idleTimeout({ timeoutMs: 6, scheduler: ts }))).toBe('-a--b-----#', { a: 'a', b: 'b' }, err)
      expectSubscriptions(source.subscriptions).toBe('^---------!')
    })
  })

  it('counts from subscription when nothing ever arrives', () => {
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      const err = new TimeoutError('idle', 'nothing received for 3 ms', { details: { timeoutMs: 3 } })
      expectObservable(hot('--------').pipe(idleTimeout({ timeoutMs: 3, scheduler: ts }))).toBe('---#', undefined, err)
    })
  })

  it('mirrors a busy source and its completion', () => {
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      expectObservable(hot('-a-b-c-d-|').pipe(idleTimeout({ timeoutMs: 3, scheduler: ts }))).toBe('-a-b-c-d-|')
    })
  })

  it('defaults to LIMITS.idleTimeoutMs (120 s)', () => {
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      const err = new TimeoutError('idle', 'nothing received for 120000 ms', { details: { timeoutMs: 120_000 } })
      expectObservable(hot('-').pipe(idleTimeout({ scheduler: ts }))).toBe('120000ms #', undefined, err)
    })
  })
})
