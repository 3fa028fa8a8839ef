import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { decodeExtendedHandshake, encodeExtendedHandshake, type ExtendedHandshake } from '../lib/extensions/extended-handshake.js'
import { decodeMetadataMessage, encodeMetadataMessage, metadataPieceCount, metadataPieceLength, type MetadataMessage } from '../lib/extensions/ut-metadata.js'
import { encode, type BEncodable } from '../lib/bencode/index.js'
import { ProtocolError } from '../lib/errors.js'

const P = 16384

const handshakeArb: fc.Arbitrary<ExtendedHandshake> = fc.record({
  m: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.nat({ max: 255 }), { maxKeys: 8 }),
  v: fc.string({ maxLength: 20 }),
  p: fc.integer({ min: 1, max: 65535 }),
  reqq: fc.integer({ min: 1, max: 100_000 }),
  yourip: fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })),
  ipv4: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  ipv6: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  metadataSize: fc.integer({ min: 1, max: 16 * 1024 * 1024 }),
  uploadOnly: fc.boolean()
}, { requiredKeys: ['m'] })

/** Arbitrary bencode-able values, so totality is exercised on well-formed input too. */
const { value: bvalue } = fc.letrec<{ value: BEncodable }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.uint8Array({ maxLength: 20 }),
    fc.constantFrom('m', 'msg_type', 'piece', 'total_size', 'metadata_size', 'p', 'v', 'ut_metadata'),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('m', 'msg_type', 'piece', 'total_size', 'metadata_size', 'p', 'v', 'yourip', 'ut_metadata', 'x'), tie('value'), { maxKeys: 5 })
  )
}))
const payloadArb = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  bvalue.map((v) => encode(v)),
  fc.tuple(bvalue, fc.uint8Array({ maxLength: 50 })).map(([v, tail]) => {
    const head = encode(v)
    const out = new Uint8Array(head.length + tail.length)
    out.set(head)
    out.set(tail, head.length)
    return out
  })
)

/** Runs `f`; passes when it returns or throws a ProtocolError. */
const total = (f: () => unknown): void => {
  try { f() } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError)
  }
}

describe('extended handshake properties', () => {
  it('round-trips every handshake', () => {
    fc.assert(fc.property(handshakeArb, (h) => {
      const { raw, ...decoded } = decodeExtendedHandshake(encodeExtendedHandshake(h))
      expect(raw).toBeDefined()
      expect({ ...decoded, m: { ...decoded.m } }).toEqual({ ...h, m: { ...h.m } })
    }))
  })

  it('is total on arbitrary bytes: a handshake or a ProtocolError', () => {
    fc.assert(fc.property(payloadArb, (payload) => total(() => decodeExtendedHandshake(payload))))
  })
})

const messageArb: fc.Arbitrary<MetadataMessage> = fc.oneof(
  fc.record({ msgType: fc.constant('request' as const), piece: fc.nat({ max: 1023 }) }),
  fc.record({ msgType: fc.constant('reject' as const), piece: fc.nat({ max: 1023 }) }),
  fc.integer({ min: 1, max: 200_000 }).chain((totalSize) => fc.nat({ max: metadataPieceCount(totalSize) - 1 }).chain((piece) => {
    const n = metadataPieceLength(totalSize, piece)
    return fc.uint8Array({ minLength: n, maxLength: n }).map((data) => ({ msgType: 'data' as const, piece, totalSize, data }))
  }))
)

describe('ut_metadata codec properties', () => {
  it('round-trips every message', () => {
    fc.assert(fc.property(messageArb, (m) => {
      const decoded = decodeMetadataMessage(encodeMetadataMessage(m), { metadataSize: 1024 * P })
      expect(decoded).toEqual(m)
    }), { numRuns: 100 })
  })

  it('is total on arbitrary bytes: a message or a ProtocolError, data always of the stated length', () => {
    fc.assert(fc.property(payloadArb, (payload) => total(() => {
      const m = decodeMetadataMessage(payload)
      if (m.msgType === 'data') expect(m.data.length).toBe(metadataPieceLength(m.totalSize, m.piece))
    })))
  })
})
