import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Bitfield } from '../lib/pieces/bitfield.js'
import { blockAt, blockCount, geometryOf, type BlockRef, type PieceGeometry } from '../lib/pieces/geometry.js'
import { RequestPlanner, type PeerKey } from '../lib/pieces/request-planner.js'
import { rarestFirst } from '../lib/pieces/rarest-first.js'
import { xorshift32 } from '../lib/pieces/xorshift32.js'

const BLOCK = 4
const PEERS = ['a', 'b', 'c'] as const

type Command =
  | { op: 'next', peer: number, max: number }
  | { op: 'receive', peer: number, block: number }
  | { op: 'deliver', peer: number, pick: number, owner: boolean }
  | { op: 'release', peer: number, block: number }
  | { op: 'releaseAll', peer: number }
  | { op: 'gone', peer: number }
  | { op: 'verify', piece: number, ok: boolean }
  | { op: 'reset', piece: number }
  | { op: 'lost', peer: number, keep: number }

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('next' as const), peer: fc.nat(2), max: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('receive' as const), peer: fc.nat(2), block: fc.nat(99) }) },
  // Deliver an outstanding block, usually from the peer it was requested from.
  { weight: 6, arbitrary: fc.record({ op: fc.constant('deliver' as const), peer: fc.nat(2), pick: fc.nat(99), owner: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const), peer: fc.nat(2), block: fc.nat(99) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('releaseAll' as const), peer: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('gone' as const), peer: fc.nat(2) }) },
  // Verify one of the pieces whose blocks have all arrived.
  { weight: 2, arbitrary: fc.record({ op: fc.constant('verify' as const), piece: fc.nat(30), ok: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reset' as const), piece: fc.nat(30) }) },
  // A peer's pipeline ended; the assembler holds every `keep`-th block.
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lost' as const), peer: fc.nat(2), keep: fc.integer({ min: 1, max: 3 }) }) }
)

const scenario = fc.record({
  pieceLength: fc.constantFrom(4, 6, 8, 12),
  length: fc.integer({ min: 1, max: 60 }),
  peerBits: fc.array(fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), { minLength: 3, maxLength: 3 }),
  seed: fc.integer(),
  commands: fc.array(command, { minLength: 5, maxLength: 80, size: 'max' })
})

/** The naive model: every block's state and owner. */
type BlockState = { state: 'free' } | { state: 'requested', by: PeerKey } | { state: 'received', by: PeerKey } | { state: 'have' }

function allBlocks (g: PieceGeometry): BlockRef[] {
  const out: BlockRef[] = []
  for (let i = 0; i < g.pieceCount; i++) for (let b = 0; b < blockCount(g, i, BLOCK); b++) out.push(blockAt(g, i, b, BLOCK))
  return out
}

const k = (r: BlockRef): string => `${r.index}:${r.begin}`

describe('RequestPlanner model-based properties', () => {
  it('with endgame off: never double-books a block, agrees with the model, frees everything on release, completes', () => {
    fc.assert(fc.property(scenario, (s) => {
      const g = geometryOf({ length: s.length, pieceLength: s.pieceLength })
      const planner = new RequestPlanner(g, { have: new Bitfield(g.pieceCount), blockSize: BLOCK, endgame: false, picker: rarestFirst({ random: xorshift32(s.seed) }) })
      const blocks = allBlocks(g)
      const model = new Map<string, BlockState>(blocks.map((r) => [k(r), { state: 'free' }]))
      const peerHas = s.peerBits.map((flags) => {
        const b = new Bitfield(g.pieceCount)
        for (let i = 0; i < g.pieceCount; i++) if (flags[i] === true) b.set(i)
        return b
      })
      const alive = new Set<number>()
      const join = (p: number): void => { if (!alive.has(p)) { alive.add(p); planner.peerHas(PEERS[p] as string, peerHas[p] as Bitfield) } }
      const freeAllOf = (peer: string): void => {
        for (const [key, st] of model) if (st.state === 'requested' && st.by === peer) model.set(key, { state: 'free' })
      }

      for (const c of s.commands) {
        switch (c.op) {
          case 'next': {
            join(c.peer)
            const peer = PEERS[c.peer] as string
            const refs = planner.next(peer, peerHas[c.peer] as Bitfield, c.max)
            expect(refs.length).toBeLessThanOrEqual(c.max)
            for (const r of refs) {
              expect(model.get(k(r))).toEqual({ state: 'free' }) // never outstanding elsewhere, never received
              expect(peerHas[c.peer]?.has(r.index)).toBe(true)
              model.set(k(r), { state: 'requested', by: peer })
            }
            break
          }
          case 'receive': {
            const r = blocks[c.block % blocks.length] as BlockRef
            const peer = PEERS[c.peer] as string
            const before = model.get(k(r)) as BlockState
            const verdict = planner.receive(peer, r)
            expect(verdict).toBe(before.state === 'requested' ? 'accepted' : 'unrequested')
            if (verdict === 'accepted') model.set(k(r), { state: 'received', by: peer })
            break
          }
          case 'deliver': {
            const outstanding = [...model].filter(([, st]) => st.state === 'requested')
            if (outstanding.length === 0) break
            const [key, st] = outstanding[c.pick % outstanding.length] as [string, { state: 'requested', by: string }]
            const r = blocks.find((b) => k(b) === key) as BlockRef
            const peer = c.owner ? st.by : PEERS[c.peer] as string
            expect(planner.receive(peer, r)).toBe('accepted')
            expect(planner.receive(peer, r)).toBe('unrequested') // the duplicate is waste
            model.set(key, { state: 'received', by: peer })
            break
          }
          case 'release': {
            const r = blocks[c.block % blocks.length] as BlockRef
            const peer = PEERS[c.peer] as string
            planner.release(peer, r)
            const st = model.get(k(r)) as BlockState
            if (st.state === 'requested' && st.by === peer) model.set(k(r), { state: 'free' })
            break
          }
          case 'releaseAll': {
            const peer = PEERS[c.peer] as string
            const released = planner.releaseAll(peer).map(k).sort()
            const expected = [...model].filter(([, st]) => st.state === 'requested' && st.by === peer).map(([key]) => key).sort()
            expect(released).toEqual(expected)
            freeAllOf(peer)
            break
          }
          case 'gone': {
            const peer = PEERS[c.peer] as string
            planner.peerGone(peer)
            alive.delete(c.peer)
            freeAllOf(peer)
            break
          }
          case 'reset': {
            const index = c.piece % g.pieceCount
            planner.reset(index)
            for (const r of blocks) if (r.index === index && model.get(k(r))?.state !== 'have') model.set(k(r), { state: 'free' })
            break
          }
          case 'lost': {
            const peer = PEERS[c.peer] as string
            const held = (r: BlockRef): boolean => (r.begin / BLOCK) % c.keep === 0
            const whole = (index: number): boolean => blocks.every((r) => r.index !== index || model.get(k(r))?.state === 'received')
            const expected = blocks.filter((r) => {
              const st = model.get(k(r)) as BlockState
              return st.state === 'received' && st.by === peer && !whole(r.index) && !held(r)
            })
            expect(planner.forgetUnheld(peer, held).map(k).sort()).toEqual(expected.map(k).sort())
            for (const r of expected) model.set(k(r), { state: 'free' })
            break
          }
          case 'verify': {
            const whole = [...Array(g.pieceCount).keys()].filter((i) => blocks.every((r) => r.index !== i || model.get(k(r))?.state === 'received'))
            if (whole.length === 0) break
            const index = whole[c.piece % whole.length] as number
            const own = blocks.filter((r) => r.index === index).map((r) => model.get(k(r)) as BlockState)
            if (c.ok) {
              planner.pieceVerified(index)
              for (const r of blocks) if (r.index === index) model.set(k(r), { state: 'have' })
            } else {
              const expected = [...new Set(own.map((st) => (st as { by: string }).by))].sort()
              expect(planner.pieceFailed(index).sort()).toEqual(expected)
              for (const r of blocks) if (r.index === index) model.set(k(r), { state: 'free' })
            }
            break
          }
        }
        // Invariants after every step.
        for (const p of PEERS) {
          expect(planner.outstanding(p)).toBe([...model.values()].filter((st) => st.state === 'requested' && st.by === p).length)
        }
        const availability = new Uint32Array(g.pieceCount)
        for (const p of alive) for (const i of (peerHas[p] as Bitfield).indices()) availability[i] = (availability[i] as number) + 1
        expect([...planner.availability]).toEqual([...availability])
      }

      // Liveness: once everyone's requests are released, a peer with every
      // piece is offered exactly the blocks still missing.
      for (const p of PEERS) { planner.releaseAll(p); freeAllOf(p) }
      const missing = [...model].filter(([, st]) => st.state === 'free').map(([key]) => key).sort()
      const offered = planner.next('seed', Bitfield.full(g.pieceCount), Number.MAX_SAFE_INTEGER)
      expect(offered.map(k).sort()).toEqual(missing)

      // Finish the download from the seed: every piece verifies, the planner is complete.
      for (const r of offered) expect(planner.receive('seed', r)).toBe('accepted')
      for (let i = 0; i < g.pieceCount; i++) if (!planner.have.has(i)) planner.pieceVerified(i)
      expect(planner.complete).toBe(true)
      expect(planner.inProgress).toBe(0)
      expect(planner.next('seed', Bitfield.full(g.pieceCount), 10)).toEqual([])
    }))
  })
})
