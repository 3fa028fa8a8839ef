import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { keepAlives } from '../../operators/keep-alive.js'

const k = { type: 'keep-alive' }

function scheduler (): TestScheduler {
  return new TestScheduler((actual, expected) => { expect(actual).toEqual(expected) })
}

describe('keepAlives', () => {
  it('emits after intervalMs without a send, then every intervalMs; each send restarts the wait', () => {
    const ts = scheduler()
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const sent = hot('-a-------b----------|')
      expectObservable(keepAlives(sent, { intervalMs: 5, scheduler: ts })).toBe('------k-------k----k|', { k })
      expectSubscriptions(sent.subscriptions).toBe('^-------------------!')
    })
  })

  it('stays silent while something is sent more often than intervalMs', () => {
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      const sent = hot('-a-a-a-a-a-a-a-|')
      expectObservable(keepAlives(sent, { intervalMs: 3, scheduler: ts })).toBe('---------------|')
    })
  })

  it('repeats every intervalMs while nothing at all is sent', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      const sent = cold('-------------|')
      expectObservable(keepAlives(sent, { intervalMs: 4, scheduler: ts })).toBe('----k---k---k|', { k })
    })
  })

  it('stops when unsubscribed and passes errors through', () => {
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      expectObservable(keepAlives(hot('------'), { intervalMs: 2, scheduler: ts }), '^----!').toBe('--k-k-', { k })
      expectObservable(keepAlives(hot('---#'), { intervalMs: 2, scheduler: ts })).toBe('--k#', { k })
    })
  })
})
