import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { decodeExtendedHandshake, encodeExtendedHandshake, type ExtendedHandshake } from '../lib/extensions/extended-handshake.js'
import { decodeMetadataMessage, encodeMetadataMessage, metadataPieceCount, metadataPieceLength, type MetadataMessage } from '../lib/extensions/ut-metadata.js'
import { MetadataAssembler } from '../lib/extensions/metadata-assembler.js'
import { encode, type BEncodable } from '../lib/bencode/index.js'
import { ProtocolError } from '../lib/errors.js'

const sha1 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(d).digest())
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

describe('metadata assembler properties', () => {
  const delivery = fc.uint8Array({ minLength: 1, maxLength: 5 * P + 100 }).chain((metadata) => {
    const n = metadataPieceCount(metadata.length)
    const indices = Array.from({ length: n }, (_, i) => i)
    return fc.record({
      metadata: fc.constant(metadata),
      order: fc.shuffledSubarray(indices, { minLength: n, maxLength: n }),
      duplicates: fc.array(fc.nat({ max: n - 1 }), { maxLength: 3 }),
      peers: fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: n, maxLength: n })
    })
  })

  it('yields exactly the original bytes for any delivery order, with duplicates and several peers', () => {
    fc.assert(fc.property(delivery, ({ metadata, order, duplicates, peers }) => {
      const a = new MetadataAssembler({ infoHash: sha1(metadata), size: metadata.length, sha1 })
      const slice = (i: number): Uint8Array => metadata.subarray(i * P, Math.min(metadata.length, (i + 1) * P))
      // Early deliveries from another peer; the later copies of those pieces are ignored.
      for (const d of duplicates) expect(a.receive('dup', d, metadata.length, slice(d))).not.toHaveProperty('failed')
      let last: ReturnType<MetadataAssembler['receive']> = 'more'
      order.forEach((i, k) => {
        if (last === 'more') last = a.receive(peers[k] ?? 'a', i, metadata.length, slice(i))
      })
      expect(last).toEqual({ done: metadata })
      expect(a.progress).toBe(1)
    }), { numRuns: 60 })
  })

  it('never completes with bytes that do not hash to the info-hash', () => {
    fc.assert(fc.property(delivery, fc.nat(), ({ metadata, order }, flip) => {
      const a = new MetadataAssembler({ infoHash: sha1(metadata), size: metadata.length, sha1 })
      const forged = metadata.slice()
      const at = flip % forged.length
      forged[at] = (forged[at] ?? 0) ^ 0xff
      let last: ReturnType<MetadataAssembler['receive']> = 'more'
      for (const i of order) last = a.receive('m', i, metadata.length, forged.subarray(i * P, Math.min(forged.length, (i + 1) * P)))
      expect(last).toEqual({ failed: ['m'] })
      expect(a.progress).toBe(0)
    }), { numRuns: 40 })
  })
})
