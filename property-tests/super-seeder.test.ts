import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SuperSeeder, type SuperSeedOffer } from '../lib/choke/super-seeder.js'
import { Bitfield } from '../lib/pieces/bitfield.js'
import { xorshift32 } from '../lib/pieces/xorshift32.js'

type Op =
  | { op: 'join', peer: number, bits: boolean[] }
  | { op: 'has', peer: number, index: number }
  | { op: 'bitfield', peer: number, bits: boolean[] }
  | { op: 'left', peer: number }
  /** `peer` announces a piece `from` was offered (k-th of its offers): downloads and forwards. */
  | { op: 'take', peer: number, from: number, k: number }

const PEERS = 5

const scenario = fc.record({ pieceCount: fc.integer({ min: 1, max: 24 }), perPeer: fc.integer({ min: 1, max: 3 }), seed: fc.integer({ min: 1, max: 0x7fffffff }) })
  .chain(({ pieceCount, perPeer, seed }) => {
    const peer = fc.integer({ min: 0, max: PEERS - 1 })
    const bitsArb = fc.array(fc.boolean(), { minLength: pieceCount, maxLength: pieceCount })
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('join' as const), peer, bits: bitsArb }),
      { weight: 4, arbitrary: fc.record({ op: fc.constant('has' as const), peer, index: fc.integer({ min: 0, max: pieceCount - 1 }) }) },
      fc.record({ op: fc.constant('bitfield' as const), peer, bits: bitsArb }),
      fc.record({ op: fc.constant('left' as const), peer }),
      { weight: 6, arbitrary: fc.record({ op: fc.constant('take' as const), peer, from: peer, k: fc.nat(3) }) }
    )
    return fc.record({ pieceCount: fc.constant(pieceCount), perPeer: fc.constant(perPeer), seed: fc.constant(seed), ops: fc.array(op, { minLength: 10, maxLength: 80, size: 'max' }) })
  })

const toBitfield = (bits: boolean[]): Bitfield => {
  const b = new Bitfield(bits.length)
  bits.forEach((on, i) => { if (on) b.set(i) })
  return b
}

describe('SuperSeeder invariants', () => {
  it('offers at most perPeer pieces per peer, never one it has, and serves only offered pieces', () => {
    fc.assert(fc.property(scenario, ({ pieceCount, perPeer, seed, ops }) => {
      const s = new SuperSeeder({ pieceCount, perPeer, random: xorshift32(seed) })
      // Model: what each connected peer has, and every piece ever offered to it in this session.
      const has = new Map<string, Set<number>>()
      const offered = new Map<string, Set<number>>()
      const check = (offers: SuperSeedOffer[]): void => {
        for (const { peer, index } of offers) {
          const mine = has.get(peer)
          expect(mine).toBeDefined()
          expect(mine?.has(index)).toBe(false)
          expect(index).toBeGreaterThanOrEqual(0)
          expect(index).toBeLessThan(pieceCount)
          offered.get(peer)?.add(index)
        }
      }
      for (const o of ops) {
        const id = `p${o.peer}`
        if (o.op === 'join') {
          has.set(id, new Set(o.bits.flatMap((on, i) => (on ? [i] : []))))
          offered.set(id, new Set())
          check(s.peerJoined(id, toBitfield(o.bits)))
        } else if (o.op === 'left') {
          s.peerLeft(id)
          has.delete(id)
          offered.delete(id)
        } else {
          let indices: number[]
          let offers: SuperSeedOffer[]
          if (o.op === 'bitfield') {
            indices = o.bits.flatMap((on, i) => (on ? [i] : []))
            offers = s.peerBitfield(id, toBitfield(o.bits))
          } else {
            const from = s.offeredTo(`p${o.op === 'take' ? o.from : o.peer}`)
            const index = o.op === 'has' ? o.index : from[o.k % Math.max(1, from.length)]
            if (index === undefined) continue
            indices = [index]
            offers = s.peerHas(id, index)
          }
          const known = has.get(id)
          const fresh = known === undefined ? [] : indices.filter((i) => !known.has(i))
          for (const i of fresh) known?.add(i)
          // Announcing pieces frees the slots of other peers only, for pieces they still lack.
          for (const { peer, index } of offers) {
            expect(peer).not.toBe(id)
            expect(has.get(peer)?.has(index)).toBe(false)
            offered.get(peer)?.add(index)
          }
        }
        expect(s.peers).toBe(has.size)
        for (const peer of has.keys()) {
          const current = s.offeredTo(peer)
          expect(current.length).toBeLessThanOrEqual(perPeer)
          expect(new Set(current).size).toBe(current.length)
          for (let i = 0; i < pieceCount; i++) {
            const ok = s.allowed(peer, i)
            expect(ok).toBe(current.includes(i))
            if (ok) expect(offered.get(peer)?.has(i)).toBe(true)
          }
        }
      }
      // Unknown peers are never served.
      for (let i = 0; i < pieceCount; i++) expect(s.allowed('stranger', i)).toBe(false)
    }))
  })
})
