import { createHash } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { canonicalPeerPriority, byPriority } from '../lib/swarm/peer-priority.js'
import { allowedFastSet } from '../lib/swarm/allowed-fast.js'

const sha1 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(data).digest())

/** Bit-at-a-time CRC32-C, independent of the table-driven one. */
function slowCrc32c (bytes: number[]): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let i = 0; i < 8; i++) crc = (crc & 1) !== 0 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

/** BEP 40 for two IPv4 addresses, written over 32-bit integers. */
function modelPriority (a: [number, number], b: [number, number]): number {
  const be = (n: number, size: number): number[] => Array.from({ length: size }, (_, i) => (n >>> (8 * (size - 1 - i))) & 0xff)
  const [ipA, portA] = a
  const [ipB, portB] = b
  let x: number[]
  let y: number[]
  if (ipA === ipB) {
    x = be(portA, 2); y = be(portB, 2)
  } else {
    const mask = (ipA >>> 8) === (ipB >>> 8) ? 0xffffffff : (ipA >>> 16) === (ipB >>> 16) ? 0xffffff55 : 0xffff5555
    x = be((ipA & mask) >>> 0, 4); y = be((ipB & mask) >>> 0, 4)
  }
  const [lo, hi] = x.join(',') === y.join(',') || compare(x, y) < 0 ? [x, y] : [y, x]
  return slowCrc32c([...lo, ...hi])
}

function compare (x: number[], y: number[]): number {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number)
  return 0
}

const dotted = (n: number): string => [24, 16, 8, 0].map(s => (n >>> s) & 0xff).join('.')
const port = fc.integer({ min: 0, max: 0xffff })
// Addresses near each other as often as far apart, so every mask rule is hit.
const ipPair = fc.tuple(fc.nat({ max: 0xffffffff }), fc.constantFrom(0, 0xff, 0xffff, 0xffffff, 0xffffffff), fc.nat({ max: 0xffffffff }))
  .map(([base, spread, delta]) => [base >>> 0, ((base & ~spread) | (delta & spread)) >>> 0] as const)
const anyIp = fc.oneof(fc.ipV4(), fc.ipV6())

describe('canonical peer priority properties', () => {
  it('agrees with an integer model for IPv4', () => {
    fc.assert(fc.property(ipPair, port, port, ([ipA, ipB], portA, portB) => {
      const p = canonicalPeerPriority({ host: dotted(ipA), port: portA }, { host: dotted(ipB), port: portB })
      expect(p).toBe(modelPriority([ipA, portA], [ipB, portB]))
    }))
  })

  it('is symmetric, deterministic and a uint32 for any IPv4/IPv6 pair', () => {
    fc.assert(fc.property(anyIp, port, anyIp, port, (hostA, portA, hostB, portB) => {
      const a = { host: hostA, port: portA }
      const b = { host: hostB, port: portB }
      const p = canonicalPeerPriority(a, b)
      expect(canonicalPeerPriority(b, a)).toBe(p)
      expect(canonicalPeerPriority({ ...a }, { ...b })).toBe(p)
      expect(Number.isInteger(p) && p >= 0 && p <= 0xffffffff).toBe(true)
    }))
  })

  it('byPriority is a permutation ordered by priority, highest first', () => {
    fc.assert(fc.property(fc.ipV4(), fc.array(fc.record({ host: anyIp, port }), { maxLength: 30 }), (self, peers) => {
      const me = { host: self, port: 6881 }
      const sorted = byPriority(me, peers)
      expect([...sorted].sort(byKey)).toEqual([...peers].sort(byKey))
      const ps = sorted.map(p => canonicalPeerPriority(me, p))
      for (let i = 1; i < ps.length; i++) expect(ps[i - 1]).toBeGreaterThanOrEqual(ps[i] as number)
    }))
  })
})

const byKey = (p: { host: string, port: number }, q: { host: string, port: number }): number =>
  p.host < q.host ? -1 : p.host > q.host ? 1 : p.port - q.port

describe('allowed-fast set properties', () => {
  const input = fc.record({
    ip: fc.ipV4(),
    infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    pieceCount: fc.integer({ min: 0, max: 5000 }),
    k: fc.integer({ min: 0, max: 40 })
  })

  it('has min(k, pieceCount) distinct indices below pieceCount', () => {
    fc.assert(fc.property(input, (o) => {
      const set = allowedFastSet({ ...o, sha1 })
      expect(set).toHaveLength(Math.min(o.k, o.pieceCount))
      expect(new Set(set).size).toBe(set.length)
      for (const i of set) expect(Number.isInteger(i) && i >= 0 && i < o.pieceCount).toBe(true)
    }))
  })

  it('is deterministic, and a smaller k gives a prefix of a larger one', () => {
    fc.assert(fc.property(input, fc.integer({ min: 0, max: 20 }), (o, more) => {
      const set = allowedFastSet({ ...o, sha1 })
      expect(allowedFastSet({ ...o, sha1 })).toEqual(set)
      const bigger = allowedFastSet({ ...o, k: o.k + more, sha1 })
      if (o.k + more < o.pieceCount) expect(bigger.slice(0, set.length)).toEqual(set)
    }))
  })

  it('depends on the /24 only', () => {
    fc.assert(fc.property(input, fc.integer({ min: 0, max: 255 }), (o, last) => {
      const other = o.ip.replace(/\.\d+$/, `.${last}`)
      expect(allowedFastSet({ ...o, ip: other, sha1 })).toEqual(allowedFastSet({ ...o, sha1 }))
    }))
  })
})
