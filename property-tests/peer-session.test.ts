import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../lib/errors.js'
import { blockKey } from '../lib/peer/block-key.js'
import { PeerSession } from '../lib/peer/peer-session.js'
import { Bitfield } from '../lib/pieces/bitfield.js'
import { geometryOf } from '../lib/pieces/geometry.js'
import type { BlockRef } from '../lib/pieces/geometry.js'
import type { Message } from '../lib/wire/types.js'

const K16 = 16 * 1024
/** 5 pieces of 32 KiB, the last one 5000 bytes: 9 blocks in all. */
const geometry = geometryOf({ length: 4 * 2 * K16 + 5000, pieceLength: 2 * K16 })
const MAX_INCOMING = 4
const MAX_WHILE_CHOKED = 20

const index = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(5, 0xffffffff, -1) })
const begin = fc.oneof(fc.constantFrom(0, K16), fc.integer({ min: 0, max: 2 * K16 + 10 }))
const length = fc.oneof(fc.constantFrom(K16, 5000 - K16, 0, K16 + 1), fc.integer({ min: 0, max: K16 + 2 }))
/** Mostly valid blocks, so requests and pieces often line up with our own. */
const validRef: fc.Arbitrary<BlockRef> = fc.constantFrom(
  ...[0, 1, 2, 3].flatMap((i) => [{ index: i, begin: 0, length: K16 }, { index: i, begin: K16, length: K16 }]),
  { index: 4, begin: 0, length: 5000 }
)
const anyRef = fc.oneof({ weight: 4, arbitrary: validRef }, { weight: 1, arbitrary: fc.record({ index, begin, length }) })

/** Rarely-valid or always-fatal messages are weighted low, so sequences run long enough to reach the queue limits. */
const message: fc.Arbitrary<Message> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<Message>({ type: 'keep-alive' }, { type: 'choke' }, { type: 'unchoke' }, { type: 'interested' }, { type: 'not-interested' }) },
  { weight: 1, arbitrary: fc.constantFrom<Message>({ type: 'have-all' }, { type: 'have-none' }) },
  { weight: 2, arbitrary: index.map((i): Message => ({ type: 'have', index: i })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 2 }).map((bits): Message => ({ type: 'bitfield', bits })) },
  { weight: 8, arbitrary: anyRef.map((r): Message => ({ type: 'request', ...r })) },
  { weight: 2, arbitrary: anyRef.map((r): Message => ({ type: 'cancel', ...r })) },
  { weight: 1, arbitrary: anyRef.map((r): Message => ({ type: 'reject-request', ...r })) },
  { weight: 4, arbitrary: validRef.map((r): Message => ({ type: 'piece', index: r.index, begin: r.begin, block: new Uint8Array(r.length) })) },
  { weight: 1, arbitrary: anyRef.map((r): Message => ({ type: 'piece', index: r.index, begin: r.begin, block: new Uint8Array(Math.max(0, r.length)) })) },
  { weight: 1, arbitrary: index.map((i): Message => ({ type: 'suggest-piece', index: i })) },
  { weight: 1, arbitrary: index.map((i): Message => ({ type: 'allowed-fast', index: i })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 65535 }).map((port): Message => ({ type: 'port', port })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((id): Message => ({ type: 'extended', id, payload: new Uint8Array(1) })) },
  { weight: 1, arbitrary: fc.constantFrom(0xff, 21, 99).map((id): Message => ({ type: 'unknown', id, payload: new Uint8Array(0) })) }
)

type Step =
  | { readonly kind: 'peer', readonly msg: Message }
  | { readonly kind: 'request', readonly refs: BlockRef[] }
  | { readonly kind: 'cancel', readonly ref: BlockRef }
  | { readonly kind: 'choke' } | { readonly kind: 'unchoke' } | { readonly kind: 'take' }
  | { readonly kind: 'expire', readonly timeoutMs: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: message.map((msg): Step => ({ kind: 'peer', msg })) },
  { weight: 2, arbitrary: fc.array(validRef, { maxLength: 4 }).map((refs): Step => ({ kind: 'request', refs })) },
  { weight: 1, arbitrary: validRef.map((ref): Step => ({ kind: 'cancel', ref })) },
  { weight: 1, arbitrary: fc.constantFrom<Step>({ kind: 'choke' }, { kind: 'take' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'unchoke' }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 50 }).map((timeoutMs): Step => ({ kind: 'expire', timeoutMs })) }
)

describe('PeerSession on arbitrary message sequences', () => {
  it('returns events or throws ProtocolError; keeps its queues bounded; tracks only blocks it requested', () => {
    fc.assert(fc.property(fc.boolean(), fc.boolean(), fc.array(step, { maxLength: 200, size: 'max' }), (fast, extended, steps) => {
      const ourHave = Bitfield.full(geometry.pieceCount)
      ourHave.clear(2)
      const fresh = (): PeerSession => new PeerSession({ geometry, fast, extended, ourHave, maxIncomingRequests: MAX_INCOMING, maxRequestsWhileChoked: MAX_WHILE_CHOKED })
      // After a violation the connection is gone; the sequence goes on with a new session.
      let s = fresh()
      let requested = new Set<string>()
      let now = 0
      for (const st of steps) {
        now += 1
        if (st.kind === 'peer') {
          let events
          try {
            events = s.handle(st.msg, now)
          } catch (err) {
            expect(err).toBeInstanceOf(ProtocolError)
            expect((err as ProtocolError).disposition).toBe('disconnect')
            s = fresh()
            requested = new Set()
            continue
          }
          for (const e of events) {
            if (e.type === 'block') expect(requested.has(blockKey({ index: e.index, begin: e.begin, length: e.block.length }))).toBe(true)
            if (e.type === 'request') expect(ourHave.has(e.ref.index)).toBe(true)
          }
          expect(s.drainOutgoing().length).toBeLessThanOrEqual(MAX_INCOMING)
        } else if (st.kind === 'request') {
          for (const m of s.request(st.refs, now)) if (m.type === 'request') requested.add(blockKey(m))
        } else if (st.kind === 'cancel') {
          s.cancel(st.ref)
        } else if (st.kind === 'choke') {
          s.choke()
        } else if (st.kind === 'unchoke') {
          s.unchoke()
        } else if (st.kind === 'take') {
          const ref = s.takeRequest()
          if (ref !== undefined) expect(ourHave.has(ref.index)).toBe(true)
        } else {
          for (const ref of s.expire(now, st.timeoutMs)) expect(requested.has(blockKey(ref))).toBe(true)
        }
        expect(s.pendingRequests).toBeLessThanOrEqual(MAX_INCOMING)
        if (s.amChoking) expect(s.pendingRequests).toBe(0)
        const seen = new Set<string>()
        for (const entry of s.outstanding.values()) {
          expect(requested.has(blockKey(entry.ref))).toBe(true)
          seen.add(blockKey(entry.ref))
        }
        expect(seen.size).toBe(s.outstanding.size)
        for (const ref of s.takeDropped()) expect(requested.has(blockKey(ref))).toBe(true)
        expect(s.peerHas.length).toBe(geometry.pieceCount)
      }
    }))
  })

  it('a flood of requests never grows the queue past the limit, with or without fast', () => {
    fc.assert(fc.property(fc.boolean(), fc.array(anyRef, { minLength: 1, maxLength: 300, size: 'max' }), (fast, refs) => {
      const s = new PeerSession({ geometry, fast, extended: false, ourHave: Bitfield.full(geometry.pieceCount), maxIncomingRequests: MAX_INCOMING })
      s.unchoke()
      for (const r of refs) {
        s.handle({ type: 'request', ...r }, 0)
        const out = s.drainOutgoing()
        if (!fast) expect(out).toEqual([])
      }
      expect(s.pendingRequests).toBeLessThanOrEqual(MAX_INCOMING)
    }))
  })
})
