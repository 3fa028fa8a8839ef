import { describe, it, expect } from 'vitest'
import { decodeMetadataMessage, encodeMetadataMessage, metadataPieceCount } from '../../../lib/extensions/ut-metadata.js'
import { ProtocolError } from '../../../lib/errors.js'
import { bytes, concat } from './helpers.js'

const failure = (f: () => unknown): [string, string] => {
  try { f() } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError)
    const p = e as ProtocolError
    return [p.code, p.disposition]
  }
  throw new Error('expected a ProtocolError')
}
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('ut_metadata codec: BEP 9 vectors', () => {
  it('request: d8:msg_typei0e5:piecei0ee', () => {
    expect(decodeMetadataMessage(bytes('d8:msg_typei0e5:piecei0ee'))).toEqual({ msgType: 'request', piece: 0 })
    expect(text(encodeMetadataMessage({ msgType: 'request', piece: 0 }))).toBe('d8:msg_typei0e5:piecei0ee')
  })

  it('data: the dictionary followed by the piece bytes, which decode as a view', () => {
    const piece = new Uint8Array(100).map((_, i) => i)
    const payload = concat(bytes('d8:msg_typei1e5:piecei0e10:total_sizei100ee'), piece)
    const m = decodeMetadataMessage(payload)
    expect(m).toMatchObject({ msgType: 'data', piece: 0, totalSize: 100 })
    if (m.msgType !== 'data') throw new Error('not data')
    expect([...m.data]).toEqual([...piece])
    expect(m.data.buffer).toBe(payload.buffer)
    expect(m.data.byteOffset).toBe(payload.byteOffset + payload.length - 100)
    expect(encodeMetadataMessage(m)).toEqual(payload)
  })

  it('data whose bytes themselves look like bencode is still split at the dictionary end', () => {
    const tail = bytes('d8:msg_typei2e5:piecei0ee')
    const payload = concat(bytes(`d8:msg_typei1e5:piecei0e10:total_sizei${tail.length}ee`), tail)
    const m = decodeMetadataMessage(payload)
    expect(m.msgType === 'data' && text(m.data)).toBe(text(tail))
  })

  it('data from a client that sends the keys unsorted', () => {
    const payload = concat(bytes('d10:total_sizei3e5:piecei0e8:msg_typei1ee'), bytes('abc'))
    expect(decodeMetadataMessage(payload)).toMatchObject({ msgType: 'data', piece: 0, totalSize: 3 })
  })

  it('reject: d8:msg_typei2e5:piecei0ee', () => {
    expect(decodeMetadataMessage(bytes('d8:msg_typei2e5:piecei0ee'))).toEqual({ msgType: 'reject', piece: 0 })
    expect(text(encodeMetadataMessage({ msgType: 'reject', piece: 0 }))).toBe('d8:msg_typei2e5:piecei0ee')
  })

  it('an unknown msg_type decodes to the unknown variant, to be ignored', () => {
    const payload = bytes('d8:msg_typei9e5:piecei0ee')
    expect(decodeMetadataMessage(payload)).toEqual({ msgType: 'unknown', code: 9, payload })
  })
})

describe('ut_metadata codec: hostile input', () => {
  const data = (piece: number, total: number, length: number): Uint8Array =>
    concat(bytes(`d8:msg_typei1e5:piecei${piece}e10:total_sizei${total}ee`), new Uint8Array(length))

  it('D44: a piece index out of range is refused', () => {
    expect(failure(() => decodeMetadataMessage(data(2, 32768, 0)))).toEqual(['metadata-piece-out-of-range', 'disconnect'])
    expect(failure(() => decodeMetadataMessage(bytes('d8:msg_typei0e5:piecei2ee'), { metadataSize: 32768 }))).toEqual(['metadata-piece-out-of-range', 'ignore'])
    expect(decodeMetadataMessage(bytes('d8:msg_typei0e5:piecei1ee'), { metadataSize: 32768 })).toEqual({ msgType: 'request', piece: 1 })
    expect(metadataPieceCount(32769)).toBe(3)
  })

  it('D44: a piece longer than 16 KiB, or a short piece that is not the last, is refused', () => {
    expect(failure(() => decodeMetadataMessage(data(0, 40000, 16385)))).toEqual(['bad-metadata-length', 'disconnect'])
    expect(failure(() => decodeMetadataMessage(data(0, 40000, 1000)))).toEqual(['bad-metadata-length', 'disconnect'])
    expect(failure(() => decodeMetadataMessage(data(2, 40000, 16384)))).toEqual(['bad-metadata-length', 'disconnect'])
    expect(decodeMetadataMessage(data(2, 40000, 40000 - 32768))).toMatchObject({ msgType: 'data', piece: 2 })
    expect(decodeMetadataMessage(data(0, 40000, 16384))).toMatchObject({ msgType: 'data', piece: 0 })
  })

  it('D44: a message over 17 KiB is refused before decoding', () => {
    const payload = concat(bytes('d8:msg_typei0e5:piecei0ee'), new Uint8Array(17 * 1024))
    expect(failure(() => decodeMetadataMessage(payload))).toEqual(['metadata-message-too-long', 'disconnect'])
  })

  it('D43: a total_size of 2^31, 10 GB, negative or zero is refused', () => {
    for (const total of ['2147483648', '10000000000', '-5', '0']) {
      expect(failure(() => decodeMetadataMessage(bytes(`d8:msg_typei1e5:piecei0e10:total_sizei${total}ee`)))).toEqual(['bad-metadata-size', 'disconnect'])
    }
    expect(failure(() => decodeMetadataMessage(bytes('d8:msg_typei1e5:piecei0ee')))).toEqual(['bad-metadata-size', 'disconnect'])
  })

  it('malformed messages are typed errors', () => {
    for (const bad of ['', 'i1e', 'd8:msg_typei0ee', 'd5:piecei0ee', 'd8:msg_type1:05:piecei0ee', 'd8:msg_typei0e5:piecei-1ee', 'd8:msg_typei0e5:piecei0e', 'x']) {
      expect(failure(() => decodeMetadataMessage(bytes(bad)))[0]).toBe('bad-metadata-message')
    }
  })

  it('bytes after a request or reject dictionary are refused with disposition ignore', () => {
    expect(failure(() => decodeMetadataMessage(bytes('d8:msg_typei0e5:piecei0eexx')))).toEqual(['trailing-data', 'ignore'])
  })
})
