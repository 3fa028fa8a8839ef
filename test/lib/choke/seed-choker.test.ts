import { describe, expect, it } from 'vitest'
import { chokerByRole } from '../../../lib/choke/choker-by-role.js'
import { leecherChoker } from '../../../lib/choke/leecher-choker.js'
import { seedChoker } from '../../../lib/choke/seed-choker.js'
import { seededRandom } from '../../../lib/choke/seeded-random.js'
import type { ChokePeer } from '../../../lib/choke/types.js'
import { context, peer, sorted } from './peers.js'

const now = 600_000
const choker = seedChoker({ optimistic: false })

describe('seedChoker', () => {
  it('favours the fastest uploads among peers that waited equally', () => {
    const peers = [peer('a', { uploadRate: 1 }), peer('b', { uploadRate: 3 }), peer('c', { uploadRate: 2 })]
    expect(sorted(choker.decide(peers, context({ now, seeding: true, slots: 2 })).unchoke)).toEqual(['b', 'c'])
  })

  it('lets a running turn finish, then gives the slot to the peer that waited longest', () => {
    const peers = (unchokedAt: number): ChokePeer[] => [
      peer('running', { choked: false, lastUnchokedAt: unchokedAt, uploadRate: 1 }),
      peer('long-wait', { lastUnchokedAt: 1000, uploadRate: 1e6 }),
      peer('short-wait', { lastUnchokedAt: 5000, uploadRate: 2e6 })
    ]
    expect(sorted(choker.decide(peers(now - 20_000), context({ now, seeding: true, slots: 2 })).unchoke)).toEqual(['long-wait', 'running'])
    expect(sorted(choker.decide(peers(now - 30_000), context({ now, seeding: true, slots: 2 })).unchoke)).toEqual(['long-wait', 'short-wait'])
  })

  it('keeps an expired peer only when nobody waits, and never unchokes an uninterested peer', () => {
    const peers = [peer('old', { choked: false, lastUnchokedAt: 0 }), peer('lazy', { interested: false })]
    expect(sorted(choker.decide(peers, context({ now, seeding: true, slots: 4 })).unchoke)).toEqual(['old'])
  })

  it('adds an optimistic unchoke by default, at most slots + 1 peers in all', () => {
    const peers = ['a', 'b', 'c', 'd'].map((id) => peer(id))
    const d = seedChoker().decide(peers, context({ now, seeding: true, slots: 2, random: () => 0.99 }))
    expect(d.unchoke.size).toBe(3)
    expect(d.optimistic).toBe('d')
  })
})

describe('chokerByRole', () => {
  it('uses the leecher strategy while downloading and the seed strategy when seeding', () => {
    const both = chokerByRole(leecherChoker(), choker)
    const peers = [peer('giver', { downloadRate: 9 }), peer('taker', { uploadRate: 9 })]
    expect(both.name).toBe('leecher/seed')
    expect(sorted(both.decide(peers, context({ slots: 1, random: seededRandom(1) })).unchoke)).toEqual(['giver', 'taker'])
    expect(sorted(both.decide(peers, context({ slots: 1, seeding: true })).unchoke)).toEqual(['taker'])
  })
})

describe('seededRandom', () => {
  it('is deterministic per seed and stays in [0, 1)', () => {
    const a = seededRandom(42)
    const b = seededRandom(42)
    const xs = Array.from({ length: 1000 }, () => a())
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()))
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true)
    expect(new Set(xs).size).toBeGreaterThan(990)
    expect(seededRandom(Number.NaN)()).toBe(seededRandom(0)())
  })
})
