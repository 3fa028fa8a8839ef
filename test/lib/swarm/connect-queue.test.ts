import { describe, expect, it } from 'vitest'
import { ConnectQueue } from '../../../lib/swarm/connect-queue.js'
import { priorityOrLowest } from '../../../lib/swarm/connection-limit.js'

const a = (port: number): { host: string, port: number } => ({ host: '10.0.0.1', port })

describe('ConnectQueue', () => {
  it('dedupes addresses and dials each once', () => {
    const q = new ConnectQueue()
    expect(q.add(a(1), 'tracker', 0)).toBe(true)
    expect(q.add(a(1), 'tracker', 0)).toBe(false)
    expect(q.due(0)).toEqual([a(1)])
    expect(q.due(0)).toEqual([])
  })

  it('respects the half-open and connection limits', () => {
    const q = new ConnectQueue({ maxHalfOpen: 2, maxConnections: 3 })
    for (let p = 1; p <= 10; p++) q.add(a(p), 'tracker', 0)
    const first = q.due(0)
    expect(first).toHaveLength(2)
    q.connected(first[0]!)
    q.connected(first[1]!)
    expect(q.due(0)).toHaveLength(1) // 2 connected + 1 dialing = 3
    expect(q.due(0)).toHaveLength(0)
  })

  it('backs off after a failure and gives up after the limit', () => {
    const q = new ConnectQueue({ maxFailures: 2, backoffMs: (n) => n * 100 })
    q.add(a(1), 'tracker', 0)
    q.due(0)
    q.failed(a(1), 0)
    expect(q.due(50)).toEqual([])
    expect(q.nextRetryAt()).toBe(100)
    expect(q.due(100)).toEqual([a(1)])
    q.failed(a(1), 100)
    expect(q.exhausted).toBe(true)
    expect(q.due(10_000)).toEqual([])
  })

  it('retries manual peers longer than others', () => {
    const q = new ConnectQueue({ maxFailures: 1, maxManualFailures: 3, backoffMs: () => 0 })
    q.add(a(1), 'manual', 0)
    q.add(a(2), 'tracker', 0)
    for (let i = 0; i < 3; i++) { for (const p of q.due(0)) q.failed(p, 0) }
    expect(q.exhausted).toBe(true)
    q.add(a(3), 'manual', 0)
    expect(q.exhausted).toBe(false)
  })

  it('a useful connection resets the failure count; retry false gives the peer up', () => {
    const q = new ConnectQueue({ maxFailures: 2, backoffMs: () => 10 })
    q.add(a(1), 'tracker', 0)
    q.add(a(2), 'tracker', 0)
    q.due(0)
    q.failed(a(1), 0)
    q.connected(a(2))
    q.closed(a(2), 5, { useful: true, retry: true })
    expect(q.due(15)).toEqual([a(1), a(2)])
    q.connected(a(1))
    q.closed(a(1), 20, { useful: false, retry: false })
    expect(q.due(1000)).toEqual([])
  })

  it('a connection ended at a limit is held for limitHoldMs without counting a failure; a peer that hung up is held and counts one', () => {
    const q = new ConnectQueue({ maxFailures: 2, backoffMs: () => 10, limitHoldMs: 1000 })
    q.add(a(1), 'tracker', 0)
    q.add(a(2), 'tracker', 0)
    q.due(0)
    q.connected(a(1))
    q.connected(a(2))
    q.closed(a(1), 5, { useful: false, retry: true, hold: 'limit' })
    q.closed(a(2), 5, { useful: false, retry: true, hold: 'hung-up' })
    expect(q.due(500)).toEqual([])
    expect(q.nextRetryAt()).toBe(1005)
    expect(q.due(1005)).toEqual([a(1), a(2)])
    // a(1) has no failure yet, a(2) one: a second hang-up gives a(2) up, a second limit close only holds a(1).
    q.connected(a(1))
    q.connected(a(2))
    q.closed(a(1), 2000, { useful: false, retry: true, hold: 'limit' })
    q.closed(a(2), 2000, { useful: false, retry: true, hold: 'hung-up' })
    expect(q.due(3000)).toEqual([a(1)])
  })

  it('a peer the user named (manual) that hung up is retried with the usual backoff, not held', () => {
    const q = new ConnectQueue({ maxManualFailures: 5, backoffMs: () => 10, limitHoldMs: 1000 })
    q.add(a(1), 'manual', 0)
    q.due(0)
    q.connected(a(1))
    q.closed(a(1), 5, { useful: false, retry: true, hold: 'hung-up' })
    expect(q.nextRetryAt()).toBe(15)
    expect(q.due(15)).toEqual([a(1)])
    // A limit close still holds it.
    q.connected(a(1))
    q.closed(a(1), 20, { useful: false, retry: true, hold: 'limit' })
    expect(q.due(500)).toEqual([])
  })

  it('a source naming a held, given-up address again does not cut its hold short', () => {
    const q = new ConnectQueue({ maxFailures: 1, limitHoldMs: 1000 })
    q.add(a(1), 'tracker', 0)
    q.due(0)
    q.connected(a(1))
    q.closed(a(1), 0, { useful: false, retry: true, hold: 'hung-up' })
    expect(q.add(a(1), 'pex', 10)).toBe(true)
    expect(q.due(10)).toEqual([])
    expect(q.due(1000)).toEqual([a(1)])
  })

  it('a given-up address is revived when a source names it again', () => {
    const q = new ConnectQueue({ maxFailures: 1 })
    q.add(a(1), 'tracker', 0)
    q.due(0)
    q.failed(a(1), 0)
    expect(q.exhausted).toBe(true)
    expect(q.add(a(1), 'tracker', 5)).toBe(true)
    expect(q.due(5)).toEqual([a(1)])
  })

  it('blocked addresses are skipped for good', () => {
    const q = new ConnectQueue()
    q.add(a(1), 'tracker', 0)
    expect(q.due(0, () => true)).toEqual([])
    expect(q.due(0)).toEqual([])
  })

  it('remembers at most maxKnown addresses', () => {
    const q = new ConnectQueue({ maxKnown: 3 })
    for (let p = 1; p <= 10; p++) q.add(a(p), 'pex', 0)
    expect(q.known).toBe(3)
  })
})

describe('ConnectQueue: BEP 40 dial order', () => {
  const self = { host: '123.213.32.10', port: 6881 }
  // BEP 40 vectors: p(self, 98.76.54.32) = ec2d7224 > p(self, 123.213.32.234) = 99568189.
  const low = { host: '123.213.32.234', port: 6881 }
  const high = { host: '98.76.54.32', port: 6881 }
  const byPriority = (addr: { host: string, port: number }): number => priorityOrLowest(self, addr)

  it('dials the higher-priority address first when there are more candidates than slots', () => {
    const q = new ConnectQueue({ maxHalfOpen: 1 })
    q.add({ host: 'peer.example', port: 1 }, 'tracker', 0)
    q.add(low, 'tracker', 0)
    q.add(high, 'tracker', 0)
    expect(q.due(0, () => false, byPriority)).toEqual([high])
    q.connected(high)
    expect(q.due(0, () => false, byPriority)).toEqual([low])
    q.connected(low)
    expect(q.due(0, () => false, byPriority)).toEqual([{ host: 'peer.example', port: 1 }]) // no priority: last
  })

  it('without a priority, or with enough slots for all, keeps the order addresses were learned', () => {
    const q = new ConnectQueue({ maxHalfOpen: 1 })
    q.add(low, 'tracker', 0)
    q.add(high, 'tracker', 0)
    expect(q.due(0)).toEqual([low])
    const r = new ConnectQueue({ maxHalfOpen: 8 })
    r.add(low, 'tracker', 0)
    r.add(high, 'tracker', 0)
    expect(r.due(0, () => false, byPriority)).toEqual([low, high])
  })

  it('still drops blocked addresses, and never dials past the connection limit', () => {
    const q = new ConnectQueue({ maxConnections: 1 })
    q.add(high, 'tracker', 0)
    q.add(low, 'tracker', 0)
    expect(q.due(0, (key) => key === '98.76.54.32:6881', byPriority)).toEqual([low])
    expect(q.due(0, () => false, byPriority)).toEqual([])
  })
})
