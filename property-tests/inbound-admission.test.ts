import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { InboundLedger } from '../lib/swarm/inbound-admission.js'

/** One step of a listener's life: a connection accepted, sending bytes, finishing its handshake, or closing. */
type Step =
  | { readonly type: 'accept', readonly host: number, readonly dt: number }
  | { readonly type: 'bytes', readonly pick: number, readonly n: number }
  | { readonly type: 'handshake', readonly pick: number }
  | { readonly type: 'close', readonly pick: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('accept' as const), host: fc.nat({ max: 5 }), dt: fc.nat({ max: 3 }) }) },
  fc.record({ type: fc.constant('bytes' as const), pick: fc.nat(), n: fc.integer({ min: 1, max: 68 }) }),
  fc.record({ type: fc.constant('handshake' as const), pick: fc.nat() }),
  fc.record({ type: fc.constant('close' as const), pick: fc.nat() })
)

interface ModelConn { readonly key: string, readonly host: string, readonly at: number, received: number, halfOpen: boolean }

describe('InboundLedger against a naive model', () => {
  it('never exceeds either budget, evicts only the oldest idle half-open connection, and refuses only when it must', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.array(step, { maxLength: 120 }), (maxHalfOpen, maxPerAddress, steps) => {
      const ledger = new InboundLedger({ maxHalfOpen, maxPerAddress })
      const live: ModelConn[] = []
      let now = 0
      let seq = 0
      for (const s of steps) {
        if (s.type === 'accept') {
          now += s.dt
          const host = `10.0.0.${s.host}`
          const key = `c${seq++}`
          const fromHost = live.filter((c) => c.host === host).length
          const halfOpen = live.filter((c) => c.halfOpen)
          const idle = halfOpen.filter((c) => c.received === 0)
          const d = ledger.admit(key, host, now)
          if (fromHost >= maxPerAddress) {
            expect(d).toEqual({ type: 'refuse', reason: 'per-address' })
          } else if (halfOpen.length < maxHalfOpen) {
            expect(d).toEqual({ type: 'accept' })
          } else if (idle.length === 0) {
            expect(d).toEqual({ type: 'refuse', reason: 'half-open-full' })
          } else {
            // The model keeps connections in acceptance order: the first idle one is the oldest.
            expect(d).toEqual({ type: 'evict', key: idle[0]?.key })
            live.splice(live.indexOf(idle[0] as ModelConn), 1)
          }
          if (d.type !== 'refuse') live.push({ key, host, at: now, received: 0, halfOpen: true })
        } else if (live.length > 0) {
          const c = live[s.pick % live.length] as ModelConn
          if (s.type === 'bytes') { ledger.received(c.key, s.n); if (c.halfOpen) c.received += s.n }
          if (s.type === 'handshake') { ledger.handshaken(c.key); c.halfOpen = false }
          if (s.type === 'close') { ledger.closed(c.key); live.splice(live.indexOf(c), 1) }
        }
        expect(ledger.halfOpenCount).toBe(live.filter((c) => c.halfOpen).length)
        expect(ledger.halfOpenCount).toBeLessThanOrEqual(maxHalfOpen)
        for (let h = 0; h <= 5; h++) {
          const n = ledger.fromAddress(`10.0.0.${h}`)
          expect(n).toBe(live.filter((c) => c.host === `10.0.0.${h}`).length)
          expect(n).toBeLessThanOrEqual(maxPerAddress)
        }
      }
    }))
  })
})
