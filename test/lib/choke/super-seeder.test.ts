import { describe, expect, it } from 'vitest'
import { SuperSeeder, type SuperSeedOffer } from '../../../lib/choke/super-seeder.js'
import { ProtocolError, UsageError } from '../../../lib/errors.js'
import { Bitfield } from '../../../lib/pieces/bitfield.js'
import { xorshift32 } from '../../../lib/pieces/xorshift32.js'

const bits = (pattern: string): Bitfield => {
  const b = new Bitfield(pattern.length)
  for (let i = 0; i < pattern.length; i++) if (pattern[i] === '1') b.set(i)
  return b
}

describe('SuperSeeder', () => {
  it('offers a new peer exactly one piece and serves only that piece', () => {
    const s = new SuperSeeder({ pieceCount: 8 })
    const offers = s.peerJoined('a', new Bitfield(8))
    expect(offers).toHaveLength(1)
    const [{ peer, index }] = offers as [SuperSeedOffer]
    expect(peer).toBe('a')
    expect(s.allowed('a', index)).toBe(true)
    for (let i = 0; i < 8; i++) if (i !== index) expect(s.allowed('a', i)).toBe(false)
    expect(s.allowed('b', index)).toBe(false)
    expect(s.offeredTo('a')).toEqual([index])
  })

  it('offers the next piece only once another peer reports the first one', () => {
    const s = new SuperSeeder({ pieceCount: 8 })
    const [a] = s.peerJoined('a', new Bitfield(8)) as [SuperSeedOffer]
    const [b] = s.peerJoined('b', new Bitfield(8)) as [SuperSeedOffer]
    expect(b.index).not.toBe(a.index)
    // A downloads its piece: nothing new yet, it still has to pass it on.
    expect(s.peerHas('a', a.index)).toEqual([])
    expect(s.offeredTo('a')).toEqual([a.index])
    // A repeated have changes nothing.
    expect(s.peerHas('a', a.index)).toEqual([])
    // B reports A's piece: A passed it on and gets the next one.
    const next = s.peerHas('b', a.index)
    expect(next).toHaveLength(1)
    expect(next[0]?.peer).toBe('a')
    expect(next[0]?.index).not.toBe(a.index)
    expect(next[0]?.index).not.toBe(b.index)
    expect(s.allowed('a', a.index)).toBe(false)
    expect(s.allowed('a', next[0]?.index as number)).toBe(true)
  })

  it('does not credit a peer for a piece it has not announced yet', () => {
    const s = new SuperSeeder({ pieceCount: 4 })
    const [a] = s.peerJoined('a', new Bitfield(4)) as [SuperSeedOffer]
    s.peerJoined('b', new Bitfield(4))
    // B got A's piece elsewhere before A announced it: A's offer stands.
    expect(s.peerHas('b', a.index)).toEqual([])
    expect(s.allowed('a', a.index)).toBe(true)
  })

  it('offers the rarest piece, counting offers in flight', () => {
    const s = new SuperSeeder({ pieceCount: 4 })
    expect(s.peerJoined('full', bits('1111'))).toEqual([])
    const [q] = s.peerJoined('q', bits('1100')) as [SuperSeedOffer]
    expect([2, 3]).toContain(q.index)
    // Counts now: pieces 0 and 1 held twice, q's piece held once plus one offer, the other held once.
    expect(s.peerJoined('e', bits('0000'))).toEqual([{ peer: 'e', index: 5 - q.index }])
    const s2 = new SuperSeeder({ pieceCount: 5 })
    s2.peerJoined('p', bits('11110'))
    s2.peerJoined('q', bits('11100'))
    // p was offered 4; q: piece 3 (avail 1) beats 4 (avail 0 + 1 in flight) only by the never-offered rule.
    expect(s2.offeredTo('p')).toEqual([4])
    expect(s2.offeredTo('q')).toEqual([3])
    // r has 0..3: only 4 is left to offer.
    expect(s2.peerJoined('r', bits('11110'))).toEqual([{ peer: 'r', index: 4 }])
  })

  it('prefers pieces never offered, then breaks ties at random', () => {
    const seen = new Set<number>()
    for (let seed = 1; seed <= 40; seed++) {
      const s = new SuperSeeder({ pieceCount: 6, random: xorshift32(seed) })
      const first = s.peerJoined('a', new Bitfield(6))
      const second = s.peerJoined('b', new Bitfield(6))
      expect(first[0]?.index).not.toBe(second[0]?.index)
      seen.add(first[0]?.index as number)
    }
    expect(seen.size).toBeGreaterThan(3)
  })

  it('never offers a peer what its partial bitfield holds', () => {
    const s = new SuperSeeder({ pieceCount: 10, perPeer: 3 })
    const has = bits('1101101101')
    const offers = s.peerJoined('a', has)
    expect(offers).toHaveLength(3)
    for (const o of offers) expect(has.has(o.index)).toBe(false)
    expect(new Set(offers.map((o) => o.index))).toEqual(new Set([2, 5, 8]))
    // Nothing left for it even after crediting.
    s.peerJoined('b', new Bitfield(10))
    for (const o of offers) s.peerHas('a', o.index)
    const more = offers.flatMap((o) => s.peerHas('b', o.index))
    expect(more.filter((o) => o.peer === 'a')).toEqual([])
  })

  it('offers nothing to a peer that has everything', () => {
    const s = new SuperSeeder({ pieceCount: 3 })
    expect(s.peerJoined('full', Bitfield.full(3))).toEqual([])
    expect(s.peerBitfield('full', Bitfield.full(3))).toEqual([])
  })

  it('withdraws offers and availability when a peer leaves', () => {
    const s = new SuperSeeder({ pieceCount: 2 })
    const [a] = s.peerJoined('a', new Bitfield(2)) as [SuperSeedOffer]
    s.peerLeft('a')
    expect(s.allowed('a', a.index)).toBe(false)
    expect(s.peers).toBe(0)
    // The withdrawn piece is as rare as the other; the never-offered one wins.
    expect(s.peerJoined('b', new Bitfield(2))).toEqual([{ peer: 'b', index: 1 - a.index }])
    s.peerLeft('nobody')
    expect(s.peerHas('nobody', 0)).toEqual([])
  })

  it('credits delivering peers when a newcomer brings the piece', () => {
    const s = new SuperSeeder({ pieceCount: 4 })
    const [a] = s.peerJoined('a', new Bitfield(4)) as [SuperSeedOffer]
    s.peerHas('a', a.index)
    const has = new Bitfield(4)
    has.set(a.index)
    const offers = s.peerJoined('c', has)
    expect(offers.filter((o) => o.peer === 'a')).toHaveLength(1)
    expect(offers.filter((o) => o.peer === 'c')).toHaveLength(1)
  })

  it('rejects bad input with typed errors', () => {
    expect(() => new SuperSeeder({ pieceCount: -1 })).toThrow(UsageError)
    expect(() => new SuperSeeder({ pieceCount: 4, perPeer: 0 })).toThrow(UsageError)
    const s = new SuperSeeder({ pieceCount: 4 })
    expect(() => s.peerJoined('a', new Bitfield(5))).toThrow(ProtocolError)
    s.peerJoined('a', new Bitfield(4))
    for (const bad of [4, -1, 1.5, Number.NaN]) {
      try {
        s.peerHas('a', bad)
        expect.unreachable()
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError)
        expect((e as ProtocolError).code).toBe('bad-have')
        expect((e as ProtocolError).disposition).toBe('disconnect')
      }
    }
    expect(() => s.peerBitfield('a', new Bitfield(3))).toThrow(ProtocolError)
  })

  it('spreads a torrent with about one upload per piece in a forwarding swarm', () => {
    const pieceCount = 200
    const leechers = ['l0', 'l1', 'l2', 'l3', 'l4']
    const random = xorshift32(7)
    const seeder = new SuperSeeder({ pieceCount, random: xorshift32(11) })
    const holdings = new Map(leechers.map((id) => [id, new Bitfield(pieceCount)]))
    const swarm = new Bitfield(pieceCount)
    // Events in FIFO order: a leecher requesting an offer from the seed, or receiving a piece.
    const queue: Array<{ kind: 'request' | 'receive', peer: string, index: number }> = []
    const offer = (offers: SuperSeedOffer[]): void => { for (const o of offers) queue.push({ kind: 'request', peer: o.peer, index: o.index }) }
    for (const id of leechers) offer(seeder.peerJoined(id, new Bitfield(pieceCount)))
    let uploads = 0
    let steps = 0
    while (!swarm.complete && queue.length > 0 && steps++ < 100_000) {
      const ev = queue.shift() as { kind: 'request' | 'receive', peer: string, index: number }
      const mine = holdings.get(ev.peer) as Bitfield
      if (ev.kind === 'request') {
        if (mine.has(ev.index) || !seeder.allowed(ev.peer, ev.index)) continue
        uploads++
      }
      if (!mine.set(ev.index)) continue
      swarm.set(ev.index)
      offer(seeder.peerHas(ev.peer, ev.index))
      // Forward at once to one random other leecher that lacks it.
      const targets = leechers.filter((id) => id !== ev.peer && !(holdings.get(id) as Bitfield).has(ev.index))
      const target = targets[Math.floor(random() * targets.length)]
      if (target !== undefined) queue.push({ kind: 'receive', peer: target, index: ev.index })
    }
    console.log(`superseeding: ${uploads} seed uploads for ${pieceCount} pieces, 5 leechers`)
    expect(swarm.complete).toBe(true)
    expect(uploads).toBeLessThanOrEqual(1.2 * pieceCount)
  })
})
