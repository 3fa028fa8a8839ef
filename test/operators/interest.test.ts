import { Subject, map, mergeMap } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { Bitfield } from '../../lib/pieces/bitfield.js'
import { geometryOf } from '../../lib/pieces/geometry.js'
import { PeerSession } from '../../lib/peer/peer-session.js'
import type { PeerEvent } from '../../lib/peer/peer-event.js'
import type { Message } from '../../lib/wire/types.js'
import { interest, seedUnchokes } from '../../operators/interest.js'

const geometry = geometryOf({ length: 16 * 100, pieceLength: 100 })

function scheduler (): TestScheduler {
  return new TestScheduler((a, e) => { expect(a).toEqual(e) })
}

const I = [{ type: 'interested' }]
const N = [{ type: 'not-interested' }]

describe('interest', () => {
  it('becomes interested when the peer announces a piece we lack, and not interested once we have it all', () => {
    const ourHave = new Bitfield(16)
    const session = new PeerSession({ geometry, fast: false, extended: false, ourHave })
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      const peer = hot<Message>('-b--h-----|', {
        b: { type: 'bitfield', bits: Uint8Array.from([0x80, 0]) },
        h: { type: 'have', index: 1 }
      })
      const ours = hot('-------x-y-', { x: 0, y: 1 }).pipe(map((i) => { ourHave.set(i); return i }))
      const events = peer.pipe(mergeMap((m) => session.handle(m, ts.now())))
      expectObservable(events.pipe(interest({ session, ourHave, ourHaveChanged$: ours }))).toBe('-i-------n|', { i: I, n: N })
    })
  })

  it('a have for a piece we already hold changes nothing', () => {
    const ourHave = new Bitfield(16)
    ourHave.set(3)
    const session = new PeerSession({ geometry, fast: false, extended: false, ourHave })
    const events = new Subject<PeerEvent>()
    const out: Message[][] = []
    events.pipe(interest({ session, ourHave })).subscribe((m) => out.push(m))
    for (const e of session.handle({ type: 'have', index: 3 }, 0)) events.next(e)
    expect(out).toEqual([])
    for (const e of session.handle({ type: 'have', index: 4 }, 0)) events.next(e)
    expect(out).toEqual([I])
  })

  it('uses a custom rule when given', () => {
    const ourHave = new Bitfield(16)
    const session = new PeerSession({ geometry, fast: false, extended: false, ourHave })
    const events = new Subject<PeerEvent>()
    const out: Message[][] = []
    events.pipe(interest({ session, ourHave, isInteresting: (has) => has.has(7) })).subscribe((m) => out.push(m))
    for (const e of session.handle({ type: 'have', index: 2 }, 0)) events.next(e)
    for (const e of session.handle({ type: 'have', index: 7 }, 0)) events.next(e)
    expect(out).toEqual([I])
  })
})

describe('seedUnchokes', () => {
  it('unchokes interested peers first come first served and chokes those that lose interest', () => {
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      const peers = hot('-a-b-c-|', {
        a: [{ id: 'p', interested: true }, { id: 'q', interested: true }, { id: 'r', interested: true }],
        b: [{ id: 'p', interested: true }, { id: 'q', interested: true }, { id: 'r', interested: true }],
        c: [{ id: 'p', interested: false }, { id: 'q', interested: true }, { id: 'r', interested: true }]
      })
      expectObservable(seedUnchokes(peers, { slots: 2 })).toBe('-x---y-|', {
        x: { unchoke: ['p', 'q'], choke: [] },
        y: { unchoke: ['r'], choke: ['p'] }
      })
    })
  })
})
