import { describe, expect, it } from 'vitest'
import { connectionLimitDecision, priorityOrLowest, selfAddress, type LimitPeer } from '../../../lib/swarm/connection-limit.js'
import { canonicalPeerPriority } from '../../../lib/swarm/peer-priority.js'
import { crc32c } from '../../../lib/swarm/crc32c.js'

const at = (host: string, port = 6881): { host: string, port: number } => ({ host, port })
const peer = (host: string, extra: Partial<LimitPeer> = {}): LimitPeer => ({ key: host, address: at(host), ...extra })
const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16))

/** Addresses of one /8 sorted by their BEP 40 priority with `self`, lowest first. */
function ranked (self: { host: string, port: number }, hosts: string[]): string[] {
  return [...hosts].sort((a, b) => canonicalPeerPriority(self, at(a)) - canonicalPeerPriority(self, at(b)))
}

describe('connectionLimitDecision: the BEP 40 spec vectors', () => {
  const self = at('123.213.32.10')
  // BEP 40: p(123.213.32.10, 98.76.54.32) = ec2d7224, p(123.213.32.10, 123.213.32.234) = 99568189.
  it('a newcomer of priority ec2d7224 replaces the connection of priority 99568189', () => {
    expect(priorityOrLowest(self, at('98.76.54.32'))).toBe(0xec2d7224)
    expect(priorityOrLowest(self, at('123.213.32.234'))).toBe(0x99568189)
    expect(connectionLimitDecision({ self, newcomer: at('98.76.54.32'), peers: [peer('123.213.32.234')], used: 1, limit: 1 }))
      .toEqual({ replace: '123.213.32.234' })
  })

  it('a newcomer of priority 99568189 is refused next to a connection of priority ec2d7224', () => {
    expect(connectionLimitDecision({ self, newcomer: at('123.213.32.234'), peers: [peer('98.76.54.32')], used: 1, limit: 1 })).toBe('refuse')
  })

  it('same IP: the ports decide (crc32c of 012c04d2)', () => {
    const me = at('230.12.123.3', 0x4d2)
    const same = crc32c(hex('012c04d2'))
    expect(priorityOrLowest(me, at('230.12.123.3', 0x12c))).toBe(same)
    const other = at('98.76.54.32')
    const otherPriority = canonicalPeerPriority(me, other)
    const [low, high] = same < otherPriority ? [at('230.12.123.3', 0x12c), other] : [other, at('230.12.123.3', 0x12c)]
    const lowPeer: LimitPeer = { key: 'low', address: low as { host: string, port: number } }
    expect(connectionLimitDecision({ self: me, newcomer: high as { host: string, port: number }, peers: [lowPeer], used: 1, limit: 1 })).toEqual({ replace: 'low' })
  })
})

describe('connectionLimitDecision', () => {
  const self = at('10.0.0.1')
  const hosts = ['10.1.0.1', '10.2.0.1', '10.3.0.1', '10.4.0.1', '10.5.0.1', '10.6.0.1', '10.7.0.1', '10.8.0.1']
  const order = ranked(self, hosts) // lowest priority first
  const [p0, p1, p2] = order as [string, string, string]
  const top = order[order.length - 1] as string

  it('accepts below the limit, whatever the addresses', () => {
    expect(connectionLimitDecision({ self: undefined, newcomer: at('not-an-ip'), peers: [], used: 3, limit: 4 })).toBe('accept')
  })

  it('replaces the lowest-priority connection when the newcomer ranks higher', () => {
    const peers = [peer(p2), peer(p0), peer(p1)]
    expect(connectionLimitDecision({ self, newcomer: at(top), peers, used: 3, limit: 3 })).toEqual({ replace: p0 })
  })

  it('refuses a newcomer that ranks below every connection, or ties the lowest', () => {
    const peers = [peer(p1), peer(p2)]
    expect(connectionLimitDecision({ self, newcomer: at(p0), peers, used: 2, limit: 2 })).toBe('refuse')
    expect(connectionLimitDecision({ self, newcomer: at(p1, 7000), peers, used: 2, limit: 2 })).toBe('refuse') // same priority as p1 (other /16)
  })

  it('refuses without our own address, or when the newcomer is not an IP address', () => {
    const peers = [peer(p0)]
    expect(connectionLimitDecision({ self: undefined, newcomer: at(top), peers, used: 1, limit: 1 })).toBe('refuse')
    expect(connectionLimitDecision({ self: at('host.example'), newcomer: at(top), peers, used: 1, limit: 1 })).toBe('refuse')
    expect(connectionLimitDecision({ self, newcomer: at('mallory'), peers, used: 1, limit: 1 })).toBe('refuse')
  })

  it('never replaces a connection whose priority cannot be computed', () => {
    expect(connectionLimitDecision({ self, newcomer: at(top), peers: [peer('memory-host')], used: 1, limit: 1 })).toBe('refuse')
  })

  it('refuses when every slot is a handshake or a dial (nothing established to replace)', () => {
    expect(connectionLimitDecision({ self, newcomer: at(top), peers: [], used: 5, limit: 5 })).toBe('refuse')
  })

  it('while downloading, protects the fastest sources: the next lowest goes instead', () => {
    const peers = [peer(p0, { downloadRate: 500_000 }), peer(p1, { downloadRate: 10 }), peer(p2)]
    expect(connectionLimitDecision({ self, newcomer: at(top), peers, used: 3, limit: 3, protectFastest: 1 })).toEqual({ replace: p1 })
    expect(connectionLimitDecision({ self, newcomer: at(top), peers, used: 3, limit: 3 })).toEqual({ replace: p2 }) // default: 4 fastest
    // a peer that sends nothing is never protected
    expect(connectionLimitDecision({ self, newcomer: at(top), peers: [peer(p0, { downloadRate: 0 })], used: 1, limit: 1 })).toEqual({ replace: p0 })
  })

  it('while seeding, a seed is replaced first whatever the priorities; download rates protect nobody', () => {
    const peers = [peer(p0), peer(top, { seed: true })]
    expect(connectionLimitDecision({ self, newcomer: at(p1), peers, used: 2, limit: 2, seeding: true })).toEqual({ replace: top })
    const leechers = [peer(p0, { downloadRate: 1e6 }), peer(p1)]
    expect(connectionLimitDecision({ self, newcomer: at(top), peers: leechers, used: 2, limit: 2, seeding: true })).toEqual({ replace: p0 })
    // while downloading, a seed is a source like any other
    expect(connectionLimitDecision({ self, newcomer: at(p1), peers, used: 2, limit: 2 })).toEqual({ replace: p0 })
  })
})

describe('selfAddress and priorityOrLowest', () => {
  it('prefers the external IP a tracker reported, with our listen port', () => {
    expect(selfAddress(at('0.0.0.0', 6881), '98.76.54.32')).toEqual(at('98.76.54.32', 6881))
    expect(selfAddress(at('192.168.1.5', 6881), '98.76.54.32')).toEqual(at('98.76.54.32', 6881))
  })

  it('uses a specific listen address; not an unspecified one, a host name or none', () => {
    expect(selfAddress(at('127.0.0.1', 5000))).toEqual(at('127.0.0.1', 5000))
    expect(selfAddress(at('0.0.0.0', 5000))).toBeUndefined()
    expect(selfAddress(at('::', 5000))).toBeUndefined()
    expect(selfAddress(at('seed', 5000))).toBeUndefined()
    expect(selfAddress(at('0.0.0.0', 5000), 'garbage')).toBeUndefined()
    expect(selfAddress(undefined, '98.76.54.32')).toBeUndefined()
  })

  it('priorityOrLowest is -1 when either side is not an IP address and port', () => {
    expect(priorityOrLowest(at('10.0.0.1'), at('peer-x'))).toBe(-1)
    expect(priorityOrLowest(at('peer-x'), at('10.0.0.1'))).toBe(-1)
    expect(priorityOrLowest(at('10.0.0.1'), at('10.0.0.2', 70000))).toBe(-1)
    expect(priorityOrLowest(at('10.0.0.1'), at('10.0.0.2'))).toBe(canonicalPeerPriority(at('10.0.0.1'), at('10.0.0.2')))
  })
})
