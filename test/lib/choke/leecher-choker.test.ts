import { describe, expect, it } from 'vitest'
import { leecherChoker } from '../../../lib/choke/leecher-choker.js'
import { context, peer, sorted } from './peers.js'

const choker = leecherChoker()

describe('leecherChoker', () => {
  it('gives the regular slots to the interested peers that send us data fastest', () => {
    const peers = [1, 2, 3, 4, 5, 6].map((r) => peer(`p${r}`, { downloadRate: r * 1000 }))
    const d = choker.decide(peers, context())
    const regular = sorted([...d.unchoke].filter((id) => id !== d.optimistic))
    expect(regular).toEqual(['p3', 'p4', 'p5', 'p6'])
    expect(['p1', 'p2']).toContain(d.optimistic)
    expect(d.unchoke.size).toBe(5)
  })

  it('demotes a snubbed peer from its regular slot; it can only be unchoked optimistically', () => {
    const peers = [
      peer('fast-snub', { downloadRate: 9e6, snubbed: true, choked: false }),
      peer('a', { downloadRate: 3 }), peer('b', { downloadRate: 2 }), peer('c', { downloadRate: 1 })
    ]
    const d = choker.decide(peers, context({ slots: 3, random: () => 0.99 }))
    expect(sorted(d.unchoke)).toEqual(['a', 'b', 'c'])
    expect(d.optimistic).toBeUndefined()
    // With a choked snubbed peer as the only candidate left, it gets the optimistic slot.
    const d2 = choker.decide(peers.map((p) => (p.id === 'fast-snub' ? { ...p, choked: true } : p)), context({ slots: 3 }))
    expect(d2.optimistic).toBe('fast-snub')
    expect(d2.unchoke.has('fast-snub')).toBe(true)
  })

  it('never unchokes an uninterested peer, however fast', () => {
    const peers = [peer('lazy', { interested: false, downloadRate: 1e9 }), peer('x', { downloadRate: 1 })]
    for (const round of [0, 1, 3]) {
      const d = choker.decide(peers, context({ round, slots: 0, random: () => 0.5 }))
      expect(d.unchoke.has('lazy')).toBe(false)
      expect(d.optimistic).toBe('x')
    }
  })

  it('keeps the optimistic peer for 3 rounds and rotates it to another peer on round 3', () => {
    const peers = ['a', 'b', 'c'].map((id) => peer(id))
    const keep = [1, 2].map((round) => choker.decide(peers, context({ round, slots: 0, optimistic: 'b', random: () => 0 })).optimistic)
    expect(keep).toEqual(['b', 'b'])
    const rotated = choker.decide(peers, context({ round: 3, slots: 0, optimistic: 'b', random: () => 0.6 }))
    expect(rotated.optimistic).toBe('c')
    expect(choker.decide(peers, context({ round: 3, slots: 0, optimistic: 'b', random: () => 0 })).optimistic).toBe('a')
  })

  it('draws a new optimistic peer when the previous one earned a regular slot or lost interest', () => {
    const peers = [peer('a', { downloadRate: 10, choked: false }), peer('b'), peer('c', { interested: false })]
    expect(choker.decide(peers, context({ round: 1, slots: 1, optimistic: 'a' })).optimistic).toBe('b')
    expect(choker.decide(peers, context({ round: 1, slots: 1, optimistic: 'c' })).optimistic).toBe('b')
  })

  it('weights peers connected for less than 60 s three times', () => {
    const now = 600_000
    const peers = [peer('old', { connectedAt: 0 }), peer('new', { connectedAt: now - 1000 })]
    // Candidates in id order, 'new' (weight 3) then 'old' (weight 1): draws below 0.75 pick the new peer.
    const pick = (r: number): string | undefined => choker.decide(peers, context({ now, slots: 0, random: () => r })).optimistic
    expect([0, 0.5, 0.74, 0.75, 0.99].map(pick)).toEqual(['new', 'new', 'new', 'old', 'old'])
  })

  it('ignores the order of the snapshot and collapses duplicate ids', () => {
    const peers = [peer('a', { downloadRate: 5 }), peer('b', { downloadRate: 5 }), peer('c', { downloadRate: 1 }), peer('d')]
    const one = choker.decide(peers, context({ slots: 2, random: () => 0.7 }))
    const two = choker.decide([...peers].reverse(), context({ slots: 2, random: () => 0.7 }))
    expect(sorted(one.unchoke)).toEqual(sorted(two.unchoke))
    expect(one.optimistic).toBe(two.optimistic)
    const dup = choker.decide([peer('a', { downloadRate: 5 }), peer('a', { downloadRate: 9 })], context({ slots: 4 }))
    expect(sorted(dup.unchoke)).toEqual(['a'])
  })

  it('treats bad slot counts and rates as zero, and clamps a random outside [0, 1)', () => {
    const peers = [peer('a', { downloadRate: Number.NaN }), peer('b', { downloadRate: -1 }), peer('c', { downloadRate: 1 })]
    expect(sorted(choker.decide(peers, context({ slots: -2, random: () => 7 })).unchoke)).toEqual(['a'])
    expect(sorted(choker.decide(peers, context({ slots: 1.9 })).unchoke)).toEqual(['a', 'c'])
  })
})
