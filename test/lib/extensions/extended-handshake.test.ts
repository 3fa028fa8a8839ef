import { describe, it, expect } from 'vitest'
import { decodeExtendedHandshake, encodeExtendedHandshake } from '../../../lib/extensions/extended-handshake.js'
import { ProtocolError, UsageError } from '../../../lib/errors.js'
import { bytes } from './helpers.js'

const codeOf = (f: () => unknown): [string, string] => {
  try { f() } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError)
    const p = e as ProtocolError
    return [p.code, p.disposition]
  }
  throw new Error('expected a ProtocolError')
}

describe('decodeExtendedHandshake', () => {
  it('decodes the BEP 10 example handshake', () => {
    const h = decodeExtendedHandshake(bytes('d1:md11:LT_metadatai1e6:uT_PEXi2ee1:pi6881e1:v13:\u00b5Torrent 1.2e'))
    expect({ ...h.m }).toEqual({ LT_metadata: 1, uT_PEX: 2 })
    expect(h.p).toBe(6881)
    expect(h.v).toBe('\u00b5Torrent 1.2')
  })

  it('decodes every typed field, from an unsorted dictionary as real clients send', () => {
    const payload = bytes('d13:metadata_sizei31235e1:md11:ut_metadatai3e6:ut_pexi0ee4:reqqi500e1:v9:rx 0.1.0 11:upload_onlyi1e1:pi51413e6:yourip4:\x7f\x00\x00\x01e')
    const h = decodeExtendedHandshake(payload)
    expect({ ...h.m }).toEqual({ ut_metadata: 3, ut_pex: 0 })
    expect(h.metadataSize).toBe(31235)
    expect(h.reqq).toBe(500)
    expect(h.v).toBe('rx 0.1.0 ')
    expect(h.uploadOnly).toBe(true)
    expect(h.p).toBe(51413)
    expect([...(h.yourip ?? [])]).toEqual([127, 0, 0, 1])
  })

  it('keeps unknown keys in raw and sends them back when encoding', () => {
    const h = decodeExtendedHandshake(bytes('d1:md11:lt_donthavei7ee12:complete_agoi-1e5:x_fooli1ei2eee'))
    expect(h.raw?.complete_ago).toBe(-1)
    expect(h.raw?.x_foo).toEqual([1, 2])
    const again = decodeExtendedHandshake(encodeExtendedHandshake(h))
    expect(again.raw?.complete_ago).toBe(-1)
    expect({ ...again.m }).toEqual({ lt_donthave: 7 })
  })

  it('leaves out optional fields of the wrong type or size', () => {
    const h = decodeExtendedHandshake(bytes('d1:mde1:pi70000e4:reqqi0e6:yourip3:abc4:ipv44:abcd4:ipv64:abcd1:vi5ee'))
    expect(h.p).toBeUndefined()
    expect(h.reqq).toBeUndefined()
    expect(h.yourip).toBeUndefined()
    expect(h.ipv6).toBeUndefined()
    expect(h.v).toBeUndefined()
    expect([...(h.ipv4 ?? [])]).toEqual([97, 98, 99, 100])
  })

  it('treats a missing m as no changes (a later handshake may send only other keys)', () => {
    expect({ ...decodeExtendedHandshake(bytes('d1:pi1ee')).m }).toEqual({})
  })

  it('rejects malformed bencode, a non-dictionary, and m that is not a dictionary', () => {
    expect(codeOf(() => decodeExtendedHandshake(bytes('d1:md')))).toEqual(['bad-extended-handshake', 'disconnect'])
    expect(codeOf(() => decodeExtendedHandshake(bytes('li1ee')))).toEqual(['bad-extended-handshake', 'disconnect'])
    expect(codeOf(() => decodeExtendedHandshake(bytes('d1:mli1eee')))).toEqual(['bad-extended-handshake', 'disconnect'])
    expect(codeOf(() => decodeExtendedHandshake(new Uint8Array(0)))).toEqual(['bad-extended-handshake', 'disconnect'])
  })

  it('rejects ids outside 0..255', () => {
    expect(codeOf(() => decodeExtendedHandshake(bytes('d1:md1:ai256eee')))).toEqual(['bad-extension-id', 'disconnect'])
    expect(codeOf(() => decodeExtendedHandshake(bytes('d1:md1:ai-1eee')))).toEqual(['bad-extension-id', 'disconnect'])
    expect(codeOf(() => decodeExtendedHandshake(bytes('d1:md1:a1:xee')))).toEqual(['bad-extension-id', 'disconnect'])
    expect({ ...decodeExtendedHandshake(bytes('d1:md1:ai255eee')).m }).toEqual({ a: 255 })
  })

  it('D43: metadata_size of 2^31, 10 GB or negative is refused with disposition ignore, nothing allocated', () => {
    for (const size of ['2147483648', '10000000000', '-1', '0', '9223372036854775807']) {
      expect(codeOf(() => decodeExtendedHandshake(bytes(`d1:md11:ut_metadatai1ee13:metadata_sizei${size}ee`)))).toEqual(['bad-metadata-size', 'ignore'])
    }
    expect(codeOf(() => decodeExtendedHandshake(bytes('d13:metadata_size1:5e')))).toEqual(['bad-metadata-size', 'ignore'])
  })

  it('D43: the metadata_size limit is an option, 16 MiB by default', () => {
    expect(decodeExtendedHandshake(bytes(`d13:metadata_sizei${16 * 1024 * 1024}ee`)).metadataSize).toBe(16 * 1024 * 1024)
    expect(codeOf(() => decodeExtendedHandshake(bytes(`d13:metadata_sizei${16 * 1024 * 1024 + 1}ee`)))).toEqual(['bad-metadata-size', 'ignore'])
    expect(codeOf(() => decodeExtendedHandshake(bytes('d13:metadata_sizei1001ee'), { maxMetadataSize: 1000 }))).toEqual(['bad-metadata-size', 'ignore'])
  })

  it('refuses a payload over its length limit before decoding', () => {
    const big = bytes(`d1:v${70000}:${'a'.repeat(70000)}e`)
    expect(codeOf(() => decodeExtendedHandshake(big))).toEqual(['handshake-too-long', 'disconnect'])
    expect(decodeExtendedHandshake(big, { maxLength: 80000 }).v?.length).toBe(70000)
  })
})

describe('encodeExtendedHandshake', () => {
  it('encodes canonically with BEP 9 and BEP 21 keys', () => {
    const out = encodeExtendedHandshake({ m: { ut_metadata: 1, ut_pex: 2 }, v: 'rx', p: 6881, metadataSize: 100, uploadOnly: false, reqq: 250 })
    expect(new TextDecoder().decode(out)).toBe('d1:md11:ut_metadatai1e6:ut_pexi2ee13:metadata_sizei100e1:pi6881e4:reqqi250e11:upload_onlyi0e1:v2:rxe')
  })

  it('refuses ids outside 0..255 with a UsageError', () => {
    expect(() => encodeExtendedHandshake({ m: { a: 256 } })).toThrow(UsageError)
  })
})
