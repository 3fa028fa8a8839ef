import { describe, it, expect } from 'vitest'
import { decodeDontHave, encodeDontHave } from '../../../lib/extensions/lt-donthave.js'
import { ProtocolError, UsageError } from '../../../lib/errors.js'

describe('lt_donthave codec: BEP 54', () => {
  it('the payload is the piece index as a big-endian uint32', () => {
    expect([...encodeDontHave(0x01020304)]).toEqual([1, 2, 3, 4])
    expect(decodeDontHave(Uint8Array.of(0, 0, 1, 0))).toBe(256)
    expect(decodeDontHave(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toBe(0xffffffff)
  })

  it('decodes from a view into a larger buffer', () => {
    const frame = Uint8Array.of(9, 9, 0, 0, 0, 7, 9)
    expect(decodeDontHave(frame.subarray(2, 6))).toBe(7)
  })

  it('a payload that is not exactly 4 bytes is ProtocolError bad-donthave', () => {
    for (const n of [0, 3, 5, 8]) {
      expect(() => decodeDontHave(new Uint8Array(n))).toThrowError(ProtocolError)
      try { decodeDontHave(new Uint8Array(n)) } catch (e) {
        expect((e as ProtocolError).code).toBe('bad-donthave')
        expect((e as ProtocolError).disposition).toBe('disconnect')
      }
    }
  })

  it('an index not below pieceCount is ProtocolError donthave-out-of-range', () => {
    expect(decodeDontHave(encodeDontHave(9), 10)).toBe(9)
    expect(() => decodeDontHave(encodeDontHave(10), 10)).toThrowError(expect.objectContaining({ code: 'donthave-out-of-range' }))
  })

  it('encoding refuses indexes that are not uint32', () => {
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) expect(() => encodeDontHave(bad)).toThrowError(UsageError)
  })
})
