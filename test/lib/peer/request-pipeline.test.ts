import { describe, expect, it } from 'vitest'
import { Bitfield } from '../../../lib/pieces/bitfield.js'
import { blockAt, geometryOf } from '../../../lib/pieces/geometry.js'
import type { BlockRef } from '../../../lib/pieces/geometry.js'
import { PeerSession } from '../../../lib/peer/peer-session.js'
import { planRequests, requestStep } from '../../../lib/peer/request-pipeline.js'
import type { BlockPlanner } from '../../../lib/peer/request-pipeline.js'

const geometry = geometryOf({ length: 8 * 32 * 1024, pieceLength: 32 * 1024 })

/** Hands out each block of each piece the peer has once, in order, and records what it was asked. */
function fakePlanner (): BlockPlanner & { asked: Array<{ peer: string, max: number, has: number[] }> } {
  const given = new Set<string>()
  const asked: Array<{ peer: string, max: number, has: number[] }> = []
  return {
    asked,
    next (peer, peerHas, max) {
      asked.push({ peer, max, has: [...peerHas.indices()] })
      const out: BlockRef[] = []
      for (const index of peerHas.indices()) {
        for (let b = 0; b < 2 && out.length < max; b++) {
          const ref = blockAt(geometry, index, b)
          const key = `${ref.index}:${ref.begin}`
          if (!given.has(key)) { given.add(key); out.push(ref) }
        }
      }
      return out
    }
  }
}

function ready (fast = false): PeerSession {
  const s = new PeerSession({ geometry, fast, extended: false, ourHave: new Bitfield(8) })
  s.handle(fast ? { type: 'have-all' } : { type: 'bitfield', bits: Uint8Array.from([0xff]) }, 0)
  return s
}

describe('planRequests', () => {
  it('asks nothing while we are not interested or the peer chokes us', () => {
    const s = ready()
    const p = fakePlanner()
    expect(planRequests(s, p, { peer: 'a', depth: 4 })).toEqual([])
    s.interested()
    expect(planRequests(s, p, { peer: 'a', depth: 4 })).toEqual([])
    expect(p.asked).toEqual([])
  })

  it('fills the pipeline up to depth, counting what is outstanding', () => {
    const s = ready()
    s.interested()
    s.handle({ type: 'unchoke' }, 0)
    const p = fakePlanner()
    const first = planRequests(s, p, { peer: 'a', depth: 3 })
    expect(first).toHaveLength(3)
    s.request(first, 0)
    expect(planRequests(s, p, { peer: 'a', depth: 3 })).toEqual([])
    s.handle({ type: 'piece', index: first[0]!.index, begin: first[0]!.begin, block: new Uint8Array(first[0]!.length) }, 1)
    expect(planRequests(s, p, { peer: 'a', depth: 3 })).toHaveLength(1)
    expect(p.asked.map((a) => a.max)).toEqual([3, 1])
  })

  it('while choked with fast, only allowed-fast pieces are offered to the planner', () => {
    const s = ready(true)
    s.interested()
    s.handle({ type: 'allowed-fast', index: 5 }, 0)
    const p = fakePlanner()
    expect(planRequests(s, p, { peer: 'a', depth: 10 }).map((r) => r.index)).toEqual([5, 5])
    expect(p.asked[0]?.has).toEqual([5])
  })
})

describe('requestStep', () => {
  it('expires old requests, collects dropped ones, and tops up with tracked requests', () => {
    const s = ready()
    s.interested()
    s.handle({ type: 'unchoke' }, 0)
    const p = fakePlanner()
    const a = requestStep(s, p, { peer: 'a', depth: 2, timeoutMs: 100 }, 0)
    expect(a.requests).toHaveLength(2)
    expect(s.outstanding.size).toBe(2)
    const b = requestStep(s, p, { peer: 'a', depth: 2, timeoutMs: 100 }, 100)
    expect(b.expired).toHaveLength(2)
    expect(b.requests).toHaveLength(2)
    s.handle({ type: 'choke' }, 150)
    const c = requestStep(s, p, { peer: 'a', depth: 2 }, 150)
    expect(c.dropped).toEqual(b.requests.map((m) => m.type === 'request' ? { index: m.index, begin: m.begin, length: m.length } : undefined))
    expect(c.requests).toEqual([])
  })
})
