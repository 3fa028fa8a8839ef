import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Bitfield } from '../lib/pieces/bitfield.js'
import { blockAt, blockCount, geometryOf, type BlockRef, type PieceGeometry } from '../lib/pieces/geometry.js'
import { RequestPlanner } from '../lib/pieces/request-planner.js'
import { rarestFirst } from '../lib/pieces/rarest-first.js'
import { xorshift32 } from '../lib/pieces/xorshift32.js'

const BLOCK = 4
const PEERS = ['a', 'b', 'c', 'd'] as const

type Command =
  | { op: 'next', peer: number, max: number }
  | { op: 'deliver', peer: number, pick: number, holder: boolean }
  | { op: 'release', peer: number, pick: number }
  | { op: 'releaseAll', peer: number }
  | { op: 'gone', peer: number }
  | { op: 'verify', piece: number }

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('next' as const), peer: fc.nat(3), max: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('deliver' as const), peer: fc.nat(3), pick: fc.nat(99), holder: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const), peer: fc.nat(3), pick: fc.nat(99) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('releaseAll' as const), peer: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('gone' as const), peer: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('verify' as const), piece: fc.nat(30) }) }
)

const scenario = fc.record({
  pieceLength: fc.constantFrom(4, 8, 12),
  length: fc.integer({ min: 1, max: 48 }),
  wanted: fc.array(fc.boolean(), { minLength: 48, maxLength: 48 }),
  peerBits: fc.array(fc.array(fc.boolean(), { minLength: 48, maxLength: 48 }), { minLength: 4, maxLength: 4 }),
  maxDuplicates: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer(),
  commands: fc.array(command, { minLength: 5, maxLength: 80, size: 'max' })
})

/** The model: each block's holders (outstanding to), or received, or verified. */
type BlockState = { state: 'requested', holders: string[] } | { state: 'free' } | { state: 'received' } | { state: 'have' }

function allBlocks (g: PieceGeometry): BlockRef[] {
  const out: BlockRef[] = []
  for (let i = 0; i < g.pieceCount; i++) for (let b = 0; b < blockCount(g, i, BLOCK); b++) out.push(blockAt(g, i, b, BLOCK))
  return out
}

const k = (r: BlockRef): string => `${r.index}:${r.begin}`

describe('RequestPlanner endgame and wanted pieces, model-based', () => {
  it('no block twice to one peer, holders ≤ maxDuplicates, cancels name the other holders, unwanted never requested, every wanted block received', () => {
    fc.assert(fc.property(scenario, (s) => {
      const g = geometryOf({ length: s.length, pieceLength: s.pieceLength })
      const planner = new RequestPlanner(g, { have: new Bitfield(g.pieceCount), blockSize: BLOCK, maxDuplicates: s.maxDuplicates, picker: rarestFirst({ random: xorshift32(s.seed) }) })
      const wanted = new Bitfield(g.pieceCount)
      for (let i = 0; i < g.pieceCount; i++) if (s.wanted[i] === true) wanted.set(i)
      planner.setWanted(wanted)
      const blocks = allBlocks(g)
      const model = new Map<string, BlockState>(blocks.map((r) => [k(r), { state: 'free' }]))
      const peerHas = s.peerBits.map((flags) => {
        const b = new Bitfield(g.pieceCount)
        for (let i = 0; i < g.pieceCount; i++) if (flags[i] === true) b.set(i)
        return b
      })
      const requested = (): Array<[BlockRef, string[]]> => blocks.flatMap((r) => {
        const st = model.get(k(r)) as BlockState
        return st.state === 'requested' ? [[r, st.holders] as [BlockRef, string[]]] : []
      })
      const drop = (peer: string, r: BlockRef): void => {
        const st = model.get(k(r)) as BlockState
        if (st.state !== 'requested') return
        const holders = st.holders.filter((h) => h !== peer)
        model.set(k(r), holders.length === 0 ? { state: 'free' } : { state: 'requested', holders })
      }
      const deliver = (peer: string, r: BlockRef): void => {
        const st = model.get(k(r)) as BlockState
        expect(st.state).toBe('requested')
        expect(planner.receive(peer, r)).toBe('accepted')
        const others = (st as { holders: string[] }).holders.filter((h) => h !== peer).sort()
        expect(planner.takeCancels().map((c) => { expect(k(c.ref)).toBe(k(r)); return c.peer }).sort()).toEqual(others)
        expect(planner.receive(peer, r)).toBe('unrequested')
        model.set(k(r), { state: 'received' })
      }
      const verifyWhole = (index: number): boolean => {
        if (!blocks.every((r) => r.index !== index || model.get(k(r))?.state === 'received')) return false
        planner.pieceVerified(index)
        for (const r of blocks) if (r.index === index) model.set(k(r), { state: 'have' })
        return true
      }
      const alive = new Set<string>()

      const next = (peer: string, has: Bitfield, max: number): BlockRef[] => {
        if (!alive.has(peer)) { alive.add(peer); planner.peerHas(peer, has) }
        const refs = planner.next(peer, has, max)
        expect(refs.length).toBeLessThanOrEqual(max)
        expect(new Set(refs.map(k)).size).toBe(refs.length)
        let duplicated = false
        for (const r of refs) {
          expect(wanted.has(r.index)).toBe(true) // unwanted pieces are never requested
          expect(has.has(r.index)).toBe(true)
          const st = model.get(k(r)) as BlockState
          if (st.state === 'free') {
            model.set(k(r), { state: 'requested', holders: [peer] })
          } else {
            expect(st.state).toBe('requested')
            const holders = (st as { holders: string[] }).holders
            expect(holders).not.toContain(peer) // never twice to the same peer
            expect(holders.length).toBeLessThan(s.maxDuplicates)
            model.set(k(r), { state: 'requested', holders: [...holders, peer] })
            duplicated = true
          }
        }
        // Duplicates only in endgame: no wanted block is left free.
        if (duplicated) {
          expect(blocks.some((r) => wanted.has(r.index) && model.get(k(r))?.state === 'free')).toBe(false)
        }
        return refs
      }

      for (const c of s.commands) {
        const peer = PEERS['peer' in c ? c.peer : 0] as string
        switch (c.op) {
          case 'next': next(peer, peerHas[c.peer] as Bitfield, c.max); break
          case 'deliver': {
            const out = requested()
            if (out.length === 0) break
            const [r, holders] = out[c.pick % out.length] as [BlockRef, string[]]
            deliver(c.holder ? holders[c.pick % holders.length] as string : peer, r)
            break
          }
          case 'release': {
            const mine = requested().filter(([, h]) => h.includes(peer))
            if (mine.length === 0) break
            const [r] = mine[c.pick % mine.length] as [BlockRef, string[]]
            planner.release(peer, r)
            drop(peer, r)
            break
          }
          case 'releaseAll': {
            const mine = requested().filter(([, h]) => h.includes(peer)).map(([r]) => r)
            expect(planner.releaseAll(peer).map(k).sort()).toEqual(mine.map(k).sort())
            for (const r of mine) drop(peer, r)
            break
          }
          case 'gone': {
            const mine = requested().filter(([, h]) => h.includes(peer)).map(([r]) => r)
            planner.peerGone(peer)
            alive.delete(peer)
            for (const r of mine) drop(peer, r)
            break
          }
          case 'verify': {
            const whole = [...Array(g.pieceCount).keys()].filter((i) => blocks.every((r) => r.index !== i || model.get(k(r))?.state === 'received'))
            if (whole.length > 0) verifyWhole(whole[c.piece % whole.length] as number)
            break
          }
        }
        for (const p of PEERS) {
          expect(planner.outstanding(p)).toBe(requested().filter(([, h]) => h.includes(p)).length)
        }
        for (const [, holders] of requested()) expect(holders.length).toBeLessThanOrEqual(s.maxDuplicates)
      }

      // Liveness: holders deliver what they have outstanding and a seed
      // fetches the rest; every wanted block arrives and nothing else does.
      const seed = Bitfield.full(g.pieceCount)
      for (let round = 0; round < 3 && !planner.wantedComplete; round++) {
        for (const [r, holders] of requested()) deliver(holders[0] as string, r)
        for (const r of next('seed', seed, Number.MAX_SAFE_INTEGER)) deliver('seed', r)
        for (let i = 0; i < g.pieceCount; i++) if (!planner.have.has(i)) verifyWhole(i)
      }
      expect(planner.wantedComplete).toBe(true)
      for (const r of blocks) {
        const st = model.get(k(r)) as BlockState
        if (wanted.has(r.index)) expect(st.state).toBe('have')
        else expect(st.state).toBe('free')
      }
      expect(planner.next('seed', seed, 10)).toEqual([])
      expect(planner.inEndgame).toBe(false)
    }))
  })
})
