import { describe, it, expect } from 'vitest'
import { fromBase32, fromHex, parseInfoHash, toBase32, toHex } from '../../../lib/magnet/info-hash.js'
import { MagnetError } from '../../../lib/errors.js'

describe('info-hash text forms', () => {
  it('RFC 4648 base32 test vectors', () => {
    const enc = new TextEncoder()
    expect(toBase32(enc.encode('fooba'))).toBe('MZXW6YTB')
    expect(fromBase32('MZXW6YTB')).toEqual(enc.encode('fooba'))
    expect(fromBase32('mzxw6ytb')).toEqual(enc.encode('fooba'))
    expect(fromBase32('MZXW6YT1')).toBeUndefined()
    expect(fromBase32('MZXW6')).toBeUndefined()
  })

  it('hex both ways, refusing odd lengths and non-hex', () => {
    expect(toHex(Uint8Array.of(0, 15, 255))).toBe('000fff')
    expect(fromHex('000FfF')).toEqual(Uint8Array.of(0, 15, 255))
    expect(fromHex('abc')).toBeUndefined()
    expect(fromHex('zz')).toBeUndefined()
  })

  it('parseInfoHash accepts 40 hex or 32 base32 only', () => {
    const bytes = Uint8Array.from({ length: 20 }, (_, i) => i * 13)
    expect(parseInfoHash(toHex(bytes))).toEqual(bytes)
    expect(parseInfoHash(toBase32(bytes))).toEqual(bytes)
    expect(() => parseInfoHash(toHex(bytes).slice(1))).toThrow(MagnetError)
    expect(() => parseInfoHash(toHex(bytes) + '00')).toThrow(MagnetError)
  })
})
