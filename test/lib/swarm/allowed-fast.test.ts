import { createHash } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import { allowedFastOffer, allowedFastSet } from '../../../lib/swarm/allowed-fast.js'
import { UsageError } from '../../../lib/errors.js'

const sha1 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(data).digest())
const AA = new Uint8Array(20).fill(0xaa)
const base = { ip: '80.4.4.200', infoHash: AA, pieceCount: 1313, sha1 }

describe('allowedFastSet', () => {
  it('matches the BEP 6 example for k = 7', () => {
    expect(allowedFastSet({ ...base, k: 7 })).toEqual([1059, 431, 808, 1217, 287, 376, 1188])
  })

  it('matches the BEP 6 example for k = 9', () => {
    expect(allowedFastSet({ ...base, k: 9 })).toEqual([1059, 431, 808, 1217, 287, 376, 1188, 353, 508])
  })

  it('gives the same set to every address in one /24', () => {
    const expected = allowedFastSet({ ...base, k: 9 })
    expect(allowedFastSet({ ...base, ip: '80.4.4.0', k: 9 })).toEqual(expected)
    expect(allowedFastSet({ ...base, ip: '80.4.4.255', k: 9 })).toEqual(expected)
    expect(allowedFastSet({ ...base, ip: '80.4.5.200', k: 9 })).not.toEqual(expected)
  })

  it('treats IPv4-mapped IPv6 as the IPv4 address', () => {
    expect(allowedFastSet({ ...base, ip: '::ffff:80.4.4.200', k: 7 })).toEqual([1059, 431, 808, 1217, 287, 376, 1188])
  })

  it('returns [] for a plain IPv6 address (BEP 6 is IPv4-only)', () => {
    expect(allowedFastSet({ ...base, ip: '2001:db8::1', k: 7 })).toEqual([])
  })

  it('returns every piece, without hashing, when k >= pieceCount', () => {
    let calls = 0
    const counting = (d: Uint8Array): Uint8Array => { calls++; return sha1(d) }
    expect(allowedFastSet({ ...base, pieceCount: 5, k: 10, sha1: counting })).toEqual([0, 1, 2, 3, 4])
    expect(allowedFastSet({ ...base, pieceCount: 5, k: 5, sha1: counting })).toEqual([0, 1, 2, 3, 4])
    expect(calls).toBe(0)
  })

  it('terminates with all but one piece when k = pieceCount - 1', () => {
    const set = allowedFastSet({ ...base, pieceCount: 50, k: 49 })
    expect(set).toHaveLength(49)
    expect(new Set(set).size).toBe(49)
    expect(set.every(i => i >= 0 && i < 50)).toBe(true)
  })

  it('returns [] for k = 0 or an empty torrent', () => {
    expect(allowedFastSet({ ...base, k: 0 })).toEqual([])
    expect(allowedFastSet({ ...base, pieceCount: 0, k: 10 })).toEqual([])
  })

  it('handles a single-piece torrent', () => {
    expect(allowedFastSet({ ...base, pieceCount: 1, k: 10 })).toEqual([0])
  })

  it('hashes (ip & 0xFFFFFF00) ++ infoHash first, then each digest', () => {
    const inputs: Uint8Array[] = []
    const recording = (d: Uint8Array): Uint8Array => { inputs.push(Uint8Array.from(d)); return sha1(d) }
    allowedFastSet({ ...base, k: 9, sha1: recording })
    expect(inputs).toHaveLength(2)
    expect(Array.from(inputs[0] as Uint8Array)).toEqual([80, 4, 4, 0, ...AA])
    expect(inputs[1]).toEqual(sha1(inputs[0] as Uint8Array))
  })

  it('reads words through the digest view (a subarray of a larger buffer)', () => {
    const offsetSha1 = (d: Uint8Array): Uint8Array => {
      const big = new Uint8Array(64).fill(0x11)
      big.set(sha1(d), 7)
      return big.subarray(7, 27)
    }
    expect(allowedFastSet({ ...base, k: 9, sha1: offsetSha1 })).toEqual([1059, 431, 808, 1217, 287, 376, 1188, 353, 508])
  })

  it('rejects bad input with typed errors', () => {
    const code = (f: () => unknown): string | undefined => {
      try { f() } catch (e) { return e instanceof UsageError ? e.code : 'untyped' }
      return undefined
    }
    expect(code(() => allowedFastSet({ ...base, ip: 'example.org', k: 7 }))).toBe('bad-ip')
    expect(code(() => allowedFastSet({ ...base, ip: '1.2.3.256', k: 7 }))).toBe('bad-ip')
    expect(code(() => allowedFastSet({ ...base, infoHash: new Uint8Array(32), k: 7 }))).toBe('bad-info-hash')
    expect(code(() => allowedFastSet({ ...base, k: -1 }))).toBe('bad-count')
    expect(code(() => allowedFastSet({ ...base, k: 1.5 }))).toBe('bad-count')
    expect(code(() => allowedFastSet({ ...base, pieceCount: Number.NaN, k: 7 }))).toBe('bad-count')
    expect(code(() => allowedFastSet({ ...base, pieceCount: 2 ** 32 + 1, k: 7 }))).toBe('bad-count')
    expect(code(() => allowedFastSet({ ...base, k: 7, sha1: () => new Uint8Array(16) }))).toBe('bad-sha1')
  })
})

describe('allowedFastOffer', () => {
  const offer = { host: '80.4.4.200', infoHash: AA, pieceCount: 1313, sha1, k: 7 }
  it('offers the spec set, only the pieces we have', () => {
    expect(allowedFastOffer({ ...offer, has: () => true })).toEqual([1059, 431, 808, 1217, 287, 376, 1188])
    expect(allowedFastOffer({ ...offer, has: (i) => i < 1000 })).toEqual([431, 808, 287, 376])
  })
  it('offers nothing to a small torrent, an unknown host, a host name or an IPv6 address', () => {
    expect(allowedFastOffer({ ...offer, pieceCount: 14, has: () => true })).toEqual([])
    expect(allowedFastOffer({ ...offer, host: undefined, has: () => true })).toEqual([])
    expect(allowedFastOffer({ ...offer, host: 'seed', has: () => true })).toEqual([])
    expect(allowedFastOffer({ ...offer, host: '2001:db8::1', has: () => true })).toEqual([])
  })
})
