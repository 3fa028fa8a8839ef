import { describe, expect, it } from 'vitest'
import { nodeHasher, sha1 } from '../../../pipelines/node/hasher.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('sha1 and nodeHasher', () => {
  it('matches the FIPS 180 test vectors', () => {
    expect(hex(sha1(new TextEncoder().encode('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
    expect(hex(sha1(new Uint8Array(0)))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709')
  })

  it('hashes the concatenation of chunks without needing them joined, whatever the split', async () => {
    const data = new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')
    const want = '84983e441c3bd26ebaae4aa1f95129e5e54670f1'
    for (let a = 0; a <= data.length; a += 7) {
      for (let b = a; b <= data.length; b += 11) {
        expect(hex(await nodeHasher.sha1([data.subarray(0, a), data.subarray(a, b), data.subarray(b)]))).toBe(want)
      }
    }
    expect(hex(await nodeHasher.sha1([]))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709')
  })

  it('returns a plain 20-byte Uint8Array', () => {
    const h = sha1(new Uint8Array(3))
    expect(h.constructor).toBe(Uint8Array)
    expect(h.length).toBe(20)
  })
})
