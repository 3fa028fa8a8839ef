import { describe, expect, it } from 'vitest'
import { LIMITS } from '../../../lib/constants.js'
import { InboundLedger, addressKey, inboundAdmission, isIdleHalfOpen, type HalfOpenConnection } from '../../../lib/swarm/inbound-admission.js'

/** A half-open connection: `key`, from `address`, accepted at `acceptedAt`, `received` bytes so far. */
const half = (key: string, address: string, acceptedAt: number, received = 0): HalfOpenConnection => ({ key, address, acceptedAt, received })

describe('inboundAdmission (fixtures)', () => {
  it('accepts below both budgets', () => {
    expect(inboundAdmission({ address: '10.0.0.1', halfOpen: [half('a', '10.0.0.2', 0)], fromAddress: 0, maxHalfOpen: 2, maxPerAddress: 2 })).toEqual({ type: 'accept' })
  })

  it('refuses an address that already holds maxPerAddress connections, even with half-open room', () => {
    expect(inboundAdmission({ address: '10.0.0.1', halfOpen: [], fromAddress: 2, maxHalfOpen: 100, maxPerAddress: 2 })).toEqual({ type: 'refuse', reason: 'per-address' })
  })

  it('an unknown address is not capped', () => {
    expect(inboundAdmission({ address: undefined, halfOpen: [], fromAddress: 50, maxHalfOpen: 100, maxPerAddress: 2 })).toEqual({ type: 'accept' })
  })

  it('half-open budget full: evicts the oldest connection that has sent nothing', () => {
    const halfOpen = [half('busy-old', '10.0.0.2', 0, 30), half('idle-new', '10.0.0.3', 500), half('idle-old', '10.0.0.4', 100), half('idle-mid', '10.0.0.5', 300)]
    expect(inboundAdmission({ address: '10.0.0.1', halfOpen, fromAddress: 0, maxHalfOpen: 4 })).toEqual({ type: 'evict', key: 'idle-old' })
  })

  it('half-open budget full of connections that all sent something: refuses', () => {
    const halfOpen = [half('a', '10.0.0.2', 0, 1), half('b', '10.0.0.3', 1, 67)]
    expect(inboundAdmission({ address: '10.0.0.1', halfOpen, fromAddress: 0, maxHalfOpen: 2 })).toEqual({ type: 'refuse', reason: 'half-open-full' })
  })

  it('equal ages: the first listed is evicted', () => {
    expect(inboundAdmission({ address: '10.0.0.1', halfOpen: [half('x', '10.0.0.2', 7), half('y', '10.0.0.3', 7)], fromAddress: 0, maxHalfOpen: 2 })).toEqual({ type: 'evict', key: 'x' })
  })

  it('defaults come from LIMITS', () => {
    const full = Array.from({ length: LIMITS.maxHalfOpenInbound - 1 }, (_, i) => half(`h${i}`, '10.0.0.9', i, 1))
    expect(inboundAdmission({ address: '10.0.0.1', halfOpen: full, fromAddress: LIMITS.maxConnectionsPerAddress - 1 })).toEqual({ type: 'accept' })
    expect(inboundAdmission({ address: '10.0.0.1', halfOpen: full, fromAddress: LIMITS.maxConnectionsPerAddress })).toEqual({ type: 'refuse', reason: 'per-address' })
    expect(inboundAdmission({ address: '10.0.0.1', halfOpen: [...full, half('z', '10.0.0.9', 99, 1)], fromAddress: 0 })).toEqual({ type: 'refuse', reason: 'half-open-full' })
  })
})

describe('isIdleHalfOpen', () => {
  it('idle once inboundIdleTimeoutMs passed with nothing received', () => {
    expect(isIdleHalfOpen(half('a', 'h', 1000), 1000 + LIMITS.inboundIdleTimeoutMs - 1)).toBe(false)
    expect(isIdleHalfOpen(half('a', 'h', 1000), 1000 + LIMITS.inboundIdleTimeoutMs)).toBe(true)
    expect(isIdleHalfOpen(half('a', 'h', 1000, 1), 1_000_000)).toBe(false)
    expect(isIdleHalfOpen(half('a', 'h', 0), 50, 50)).toBe(true)
  })
})

describe('addressKey', () => {
  it('counts an IPv4-mapped IPv6 address as its IPv4 address, and keeps other hosts as given', () => {
    expect(addressKey('::ffff:127.0.0.2')).toBe('127.0.0.2')
    expect(addressKey('127.0.0.2')).toBe('127.0.0.2')
    expect(addressKey('2001:DB8::1')).toBe(addressKey('2001:db8:0:0:0:0:0:1'))
    expect(addressKey('leech')).toBe('leech')
  })
})

describe('InboundLedger', () => {
  it('counts per address across half-open and established connections, and frees them on close', () => {
    const l = new InboundLedger({ maxPerAddress: 2, maxHalfOpen: 10 })
    expect(l.admit('a', '10.0.0.1', 0)).toEqual({ type: 'accept' })
    expect(l.admit('b', '::ffff:10.0.0.1', 0)).toEqual({ type: 'accept' })
    l.handshaken('a')
    expect(l.halfOpenCount).toBe(1)
    expect(l.fromAddress('10.0.0.1')).toBe(2)
    expect(l.admit('c', '10.0.0.1', 1)).toEqual({ type: 'refuse', reason: 'per-address' })
    expect(l.admit('d', '10.0.0.2', 1)).toEqual({ type: 'accept' })
    l.closed('a')
    expect(l.admit('c', '10.0.0.1', 2)).toEqual({ type: 'accept' })
    l.closed('b'); l.closed('c'); l.closed('d'); l.closed('never-seen')
    expect(l.fromAddress('10.0.0.1')).toBe(0)
    expect(l.halfOpenCount).toBe(0)
  })

  it('evicts the oldest idle half-open connection and forgets it; received bytes protect a connection', () => {
    const l = new InboundLedger({ maxHalfOpen: 2, maxPerAddress: 10 })
    l.admit('first', '10.0.0.1', 0)
    l.admit('second', '10.0.0.1', 10)
    l.received('first', 5)
    expect(l.admit('third', '10.0.0.2', 20)).toEqual({ type: 'evict', key: 'second' })
    expect(l.halfOpenCount).toBe(2)
    expect(l.fromAddress('10.0.0.1')).toBe(1)
    l.received('third', 1)
    expect(l.admit('fourth', '10.0.0.3', 30)).toEqual({ type: 'refuse', reason: 'half-open-full' })
    // A handshaken connection leaves the half-open budget.
    l.handshaken('first')
    expect(l.admit('fourth', '10.0.0.3', 40)).toEqual({ type: 'accept' })
  })

  it('isIdle: only half-open connections that sent nothing for idleMs', () => {
    const l = new InboundLedger()
    l.admit('a', '10.0.0.1', 0)
    l.admit('b', '10.0.0.1', 0)
    l.received('b', 1)
    expect(l.isIdle('a', LIMITS.inboundIdleTimeoutMs - 1)).toBe(false)
    expect(l.isIdle('a', LIMITS.inboundIdleTimeoutMs)).toBe(true)
    expect(l.isIdle('b', LIMITS.inboundIdleTimeoutMs)).toBe(false)
    l.handshaken('a')
    expect(l.isIdle('a', 1e9)).toBe(false)
  })
})
