import { map } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { Bitfield } from '../../lib/pieces/bitfield.js'
import { blockAt, geometryOf } from '../../lib/pieces/geometry.js'
import type { BlockRef } from '../../lib/pieces/geometry.js'
import { PeerSession } from '../../lib/peer/peer-session.js'
import type { BlockPlanner } from '../../lib/peer/request-pipeline.js'
import type { Message } from '../../lib/wire/types.js'
import { requestPipeline } from '../../operators/request-pipeline.js'

const geometry = geometryOf({ length: 8 * 16 * 1024, pieceLength: 16 * 1024 })

/** Hands out piece 0, 1, 2… (one block each) in order; released blocks come back first. */
function planner (): BlockPlanner & { released: BlockRef[], release: (ref: BlockRef) => void } {
  let nextPiece = 0
  const released: BlockRef[] = []
  const free: BlockRef[] = []
  return {
    released,
    next (_peer, _has, max) {
      const out: BlockRef[] = []
      while (out.length < max && free.length > 0) out.push(free.shift() as BlockRef)
      while (out.length < max && nextPiece < geometry.pieceCount) out.push(blockAt(geometry, nextPiece++, 0))
      return out
    },
    release (ref) { released.push(ref); free.push(ref) }
  }
}

const req = (index: number): Message => ({ type: 'request', index, begin: 0, length: 16 * 1024 })

/** A session where the peer has everything and we are interested; unchoked when asked. */
function ready (unchoked: boolean): PeerSession {
  const session = new PeerSession({ geometry, fast: false, extended: false, ourHave: new Bitfield(8) })
  session.handle({ type: 'bitfield', bits: Uint8Array.from([0xff]) }, 0)
  session.interested()
  if (unchoked) session.handle({ type: 'unchoke' }, 0)
  return session
}

function scheduler (): TestScheduler {
  return new TestScheduler((a, e) => { expect(a).toEqual(e) })
}

describe('requestPipeline', () => {
  it('requests up to depth once unchoked and interested, and tops up as blocks arrive', () => {
    const session = ready(false)
    const plan = planner()
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      const peer = hot('-u--p--|', {
        u: { type: 'unchoke' } as Message,
        p: { type: 'piece', index: 0, begin: 0, block: new Uint8Array(16 * 1024) } as Message
      })
      const events = peer.pipe(map((m) => session.handle(m, ts.now())))
      const out = events.pipe(requestPipeline({ session, planner: plan, peer: 'p1', depth: 2, timeoutMs: 1000, scheduler: ts }))
      expectObservable(out).toBe('-r--s--|', { r: [req(0), req(1)], s: [req(2)] })
    })
  })

  it('expires slow requests on its tick, releases them, and re-requests', () => {
    const session = ready(true)
    const plan = planner()
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      const nudge = hot('n-----------------------|')
      const out = nudge.pipe(requestPipeline({ session, planner: plan, peer: 'p1', depth: 1, timeoutMs: 10, tickMs: 5, release: (r) => { plan.release(r) }, scheduler: ts }))
      // sent at 0; ticks at 5 and 10; expired at 10 and re-requested at once
      expectObservable(out).toBe('r---------e---------e---|', { r: [req(0)], e: [req(0)] })
    })
    expect(plan.released).toEqual([blockAt(geometry, 0, 0), blockAt(geometry, 0, 0)])
  })

  it('a choke without fast hands the dropped requests to release', () => {
    const s = ready(true)
    const plan = planner()
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      const peer = hot('n--c--|', { n: { type: 'keep-alive' } as Message, c: { type: 'choke' } as Message })
      const out = peer.pipe(map((m) => s.handle(m, ts.now())), requestPipeline({ session: s, planner: plan, peer: 'p1', depth: 2, timeoutMs: 1000, release: (r) => { plan.release(r) }, scheduler: ts }))
      expectObservable(out).toBe('r-----|', { r: [req(0), req(1)] })
    })
    expect(plan.released.map((r) => r.index)).toEqual([0, 1])
  })
})
