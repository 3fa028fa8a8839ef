import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { leecherChoker } from '../lib/choke/leecher-choker.js'
import { seedChoker } from '../lib/choke/seed-choker.js'
import type { ChokeContext, ChokeDecision, ChokePeer, Choker } from '../lib/choke/types.js'

const rate = fc.oneof(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.constantFrom(Number.NaN, -1, 0))
const time = fc.integer({ min: 0, max: 1_200_000 })

const peerArb = (id: string): fc.Arbitrary<ChokePeer> => fc.record({
  interested: fc.boolean(),
  choked: fc.boolean(),
  downloadRate: rate,
  uploadRate: rate,
  snubbed: fc.boolean(),
  connectedAt: time,
  lastUnchokedAt: fc.option(time, { nil: undefined })
}).map(({ lastUnchokedAt, ...rest }) => ({ id, ...rest, ...(lastUnchokedAt === undefined ? {} : { lastUnchokedAt }) }))

const peersArb = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 24 })
  .chain((ids) => fc.tuple(...ids.map(peerArb)))

interface Case {
  readonly peers: readonly ChokePeer[]
  readonly slots: number
  readonly round: number
  readonly seeding: boolean
  readonly draws: readonly number[]
  readonly optimisticIndex: number
  readonly shuffle: readonly number[]
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  peers: peersArb,
  slots: fc.integer({ min: 0, max: 8 }),
  round: fc.nat(50),
  seeding: fc.boolean(),
  draws: fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 4 }),
  optimisticIndex: fc.integer({ min: -1, max: 30 }),
  shuffle: fc.array(fc.nat(), { maxLength: 24 })
})

/** A replayable random source: the same draws, in order, cycling. */
function replay (draws: readonly number[]): () => number {
  let i = 0
  return () => draws[i++ % draws.length] as number
}

function ctxOf (c: Case): ChokeContext {
  const optimistic = c.peers[c.optimisticIndex]?.id
  return { now: 1_200_000, round: c.round, seeding: c.seeding, slots: c.slots, random: replay(c.draws), ...(optimistic === undefined ? {} : { optimistic }) }
}

function permute<T> (xs: readonly T[], keys: readonly number[]): T[] {
  return xs.map((x, i) => ({ x, k: keys[i] ?? i })).sort((a, b) => a.k - b.k).map(({ x }) => x)
}

const flat = (d: ChokeDecision): [string[], string | undefined] => [[...d.unchoke].sort(), d.optimistic]

const chokers: Choker[] = [leecherChoker(), seedChoker(), seedChoker({ optimistic: false, turnMs: 10_000 })]

describe('chokers', () => {
  for (const choker of chokers) {
    it(`${choker.name}: at most slots + 1 peers, only interested ones, optimistic among them`, () => {
      fc.assert(fc.property(caseArb, (c) => {
        const d = choker.decide(c.peers, ctxOf(c))
        const byId = new Map(c.peers.map((p) => [p.id, p]))
        expect(d.unchoke.size).toBeLessThanOrEqual(c.slots + 1)
        for (const id of d.unchoke) expect(byId.get(id)?.interested).toBe(true)
        if (d.optimistic !== undefined) expect(d.unchoke.has(d.optimistic)).toBe(true)
      }))
    })

    it(`${choker.name}: deterministic for a fixed random, whatever the order of the snapshot`, () => {
      fc.assert(fc.property(caseArb, (c) => {
        const first = flat(choker.decide(c.peers, ctxOf(c)))
        expect(flat(choker.decide(c.peers, ctxOf(c)))).toEqual(first)
        expect(flat(choker.decide(permute(c.peers, c.shuffle), ctxOf(c)))).toEqual(first)
      }))
    })
  }

  it('leecher: a snubbed peer is unchoked only as the optimistic peer; regular slots go to the fastest', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const d = leecherChoker().decide(c.peers, ctxOf(c))
      const regular = c.peers.filter((p) => d.unchoke.has(p.id) && p.id !== d.optimistic)
      for (const p of regular) expect(p.snubbed).toBe(false)
      const eligible = c.peers.filter((p) => p.interested && !p.snubbed)
      expect(regular.length).toBe(Math.min(c.slots, eligible.length))
      const r = (x: number): number => (x > 0 ? x : 0)
      const slowestRegular = Math.min(...regular.map((p) => r(p.downloadRate)))
      for (const p of eligible) if (!regular.includes(p)) expect(r(p.downloadRate)).toBeLessThanOrEqual(slowestRegular)
    }))
  })
})
