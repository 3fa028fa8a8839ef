import { describe, it, expect } from 'vitest'
import { decodeUploadOnly, encodeUploadOnly } from '../../../lib/extensions/upload-only.js'
import { ProtocolError } from '../../../lib/errors.js'

describe('upload_only message codec (BEP 21, libtorrent extension message)', () => {
  it('one byte: 1 for upload-only, 0 otherwise', () => {
    expect([...encodeUploadOnly(true)]).toEqual([1])
    expect([...encodeUploadOnly(false)]).toEqual([0])
    expect(decodeUploadOnly(Uint8Array.of(1))).toBe(true)
    expect(decodeUploadOnly(Uint8Array.of(0))).toBe(false)
  })

  it('any non-zero byte reads as upload-only', () => {
    expect(decodeUploadOnly(Uint8Array.of(0x80))).toBe(true)
  })

  it('a payload that is not exactly one byte is ProtocolError bad-upload-only', () => {
    for (const n of [0, 2, 16]) {
      expect(() => decodeUploadOnly(new Uint8Array(n))).toThrowError(expect.objectContaining({ name: 'ProtocolError', code: 'bad-upload-only', disposition: 'disconnect' }))
    }
    expect(() => decodeUploadOnly(new Uint8Array(2))).toThrowError(ProtocolError)
  })
})
