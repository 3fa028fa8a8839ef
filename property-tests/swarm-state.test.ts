import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { emptySwarm, reduceSwarm, type SwarmEvent, type SwarmState } from '../lib/swarm/swarm-state.js'
import { isDuplicate, pexPeers } from '../lib/swarm/swarm-selectors.js'

// Few keys and peer ids, so reconnects, stray events and duplicates are common.
const key = fc.constantFrom('a', 'b', 'c', 'd')
const peerId = fc.constantFrom('01', '02', '03')
const at = fc.integer({ min: 0, max: 1_000_000 })
const bytes = fc.oneof(fc.nat({ max: 1 << 20 }), fc.integer({ min: -100, max: 0 }), fc.constant(Number.NaN))
const side = fc.constantFrom<'am' | 'peer'>('am', 'peer')
const address = fc.record({ host: fc.constantFrom('10.0.0.1', '10.0.0.2', '::1'), port: fc.integer({ min: 1, max: 65535 }) })

const event: fc.Arbitrary<SwarmEvent> = fc.oneof(
  fc.record({ type: fc.constant('peer-connected' as const), key, outgoing: fc.boolean(), address, at }),
  fc.record({ type: fc.constant('handshake' as const), key, peerId, client: fc.constantFrom('rxtorrent 0.1.0', 'unknown'), at }),
  fc.record({ type: fc.constant('peer-closed' as const), key, reason: fc.constantFrom('closed', 'idle', 'duplicate-peer'), at }),
  fc.record({ type: fc.constant('choke-changed' as const), key, side, choking: fc.boolean(), at }),
  fc.record({ type: fc.constant('interest-changed' as const), key, side, interested: fc.boolean() }),
  fc.record({ type: fc.constant('have-count' as const), key, count: fc.integer({ min: -3, max: 100 }), seed: fc.boolean() }),
  fc.record({ type: fc.constant('upload-only' as const), key, uploadOnly: fc.boolean() }),
  fc.record({ type: fc.constant('reachable' as const), key, address }),
  fc.record({ type: fc.constant('transfer' as const), key, down: bytes, up: bytes, at })
)
const events = fc.array(event, { maxLength: 60 })
const maxClosed = fc.integer({ min: 0, max: 5 })

/** A plain, comparable copy of a state (maps as entry lists). */
function plain (s: SwarmState): unknown {
  return { ...s, peers: [...s.peers.entries()].map(([k, p]) => [k, { ...p }]), recentlyClosed: s.recentlyClosed.map((c) => ({ ...c })) }
}

describe('reduceSwarm over any sequence of events', () => {
  it('keeps its counters non-negative and consistent, and the history bounded', () => {
    fc.assert(fc.property(events, maxClosed, (es, max) => {
      let s = emptySwarm({ maxClosed: max })
      for (const e of es) {
        s = reduceSwarm(s, e)
        expect(s.peers.size).toBe(s.opened - s.closed)
        expect(s.closed).toBeGreaterThanOrEqual(0)
        expect(s.recentlyClosed.length).toBeLessThanOrEqual(Math.min(max, s.closed))
        let down = 0
        let up = 0
        for (const p of s.peers.values()) {
          for (const n of [p.downloaded, p.uploaded, p.pieces]) expect(n >= 0).toBe(true)
          down += p.downloaded
          up += p.uploaded
        }
        expect(s.downloaded >= down && s.uploaded >= up).toBe(true)
      }
    }))
  })

  it('matches a naive model: open keys, handshakes, peer ids, bytes; closed peers are removed', () => {
    fc.assert(fc.property(events, (es) => {
      let s = emptySwarm()
      const model = new Map<string, { peerId?: string, down: number, up: number }>()
      for (const e of es) {
        s = reduceSwarm(s, e)
        const m = model.get(e.key)
        if (e.type === 'peer-connected') { if (m === undefined) model.set(e.key, { down: 0, up: 0 }) } else if (m !== undefined) {
          if (e.type === 'peer-closed') model.delete(e.key)
          if (e.type === 'handshake') m.peerId = e.peerId
          if (e.type === 'transfer') { m.down += e.down > 0 ? e.down : 0; m.up += e.up > 0 ? e.up : 0 }
        }
        if (e.type === 'peer-closed') expect(s.peers.has(e.key)).toBe(false)
      }
      expect([...s.peers.keys()].sort()).toEqual([...model.keys()].sort())
      for (const [k, m] of model) {
        const p = s.peers.get(k)
        expect(p?.handshake).toBe(m.peerId !== undefined)
        expect(p?.peerId).toBe(m.peerId)
        expect([p?.downloaded, p?.uploaded]).toEqual([m.down, m.up])
      }
    }))
  })

  it('detects duplicates exactly when another admitted connection has the peer id', () => {
    fc.assert(fc.property(events, peerId, fc.option(key, { nil: undefined }), (es, id, except) => {
      const s = es.reduce(reduceSwarm, emptySwarm())
      const naive = [...s.peers.values()].some((p) => p.handshake && p.peerId === id && p.key !== except)
      expect(isDuplicate(s, id, except)).toBe(naive)
      // PEX only lists admitted peers.
      expect(pexPeers(s).length).toBeLessThanOrEqual([...s.peers.values()].filter((p) => p.handshake).length)
    }))
  })

  it('never mutates its input', () => {
    fc.assert(fc.property(events, event, (es, e) => {
      const s = es.reduce(reduceSwarm, emptySwarm())
      const before = plain(s)
      const records = [...s.peers.values()]
      const next = reduceSwarm(s, e)
      expect(plain(s)).toEqual(before)
      expect([...s.peers.values()]).toEqual(records)
      // Only the record the event is about may be new; every other one is shared.
      for (const p of records) if (p.key !== e.key) expect(next.peers.get(p.key)).toBe(p)
    }))
  })

  it('gives a deep-equal state when the same events are replayed', () => {
    fc.assert(fc.property(events, (es) => {
      const one = es.reduce(reduceSwarm, emptySwarm())
      const two = es.reduce(reduceSwarm, emptySwarm())
      expect(plain(two)).toEqual(plain(one))
    }))
  })
})
