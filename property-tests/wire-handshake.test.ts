import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { decodeHandshake, encodeHandshake } from '../lib/wire/handshake.js'
import { HandshakeReader } from '../lib/wire/handshake-reader.js'
import { capabilities } from '../lib/wire/reserved.js'
import { HandshakeError } from '../lib/errors.js'
import { concat, splitAt } from './wire-arbitraries.js'

const handshakeArb = fc.record({
  reserved: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  peerId: fc.uint8Array({ minLength: 20, maxLength: 20 })
})

describe('handshake properties', () => {
  it('encode → decode round-trips', () => {
    fc.assert(fc.property(handshakeArb, (h) => {
      expect(decodeHandshake(encodeHandshake(h))).toEqual(h)
    }))
  })

  it('HandshakeReader gives the same handshake and the same bytes after it however the input is chunked', () => {
    fc.assert(fc.property(handshakeArb, fc.uint8Array({ maxLength: 40 }), fc.array(fc.nat(), { maxLength: 10 }), (h, after, points) => {
      const stream = concat([encodeHandshake(h), after])
      const reader = new HandshakeReader()
      let result
      const tail: Uint8Array[] = []
      for (const part of splitAt(stream, points)) {
        if (result === undefined) {
          result = reader.push(part)
          if (reader.received >= 48) expect(reader.header?.infoHash).toEqual(h.infoHash)
        } else {
          tail.push(part)
        }
      }
      expect(result?.handshake).toEqual(h)
      expect(concat([result?.rest ?? new Uint8Array(0), ...tail])).toEqual(after)
    }))
  })

  it('HandshakeReader on arbitrary bytes returns, waits, or throws HandshakeError only', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, points) => {
      const reader = new HandshakeReader()
      try {
        for (const part of splitAt(bytes, points)) if (reader.push(part) !== undefined) break
      } catch (e) {
        expect(e).toBeInstanceOf(HandshakeError)
        expect((e as HandshakeError).code).toBe('bad-protocol')
      }
    }))
  })

  it('capabilities are symmetric', () => {
    const r = fc.uint8Array({ minLength: 8, maxLength: 8 })
    fc.assert(fc.property(r, r, (a, b) => {
      expect(capabilities(a, b)).toEqual(capabilities(b, a))
    }))
  })
})
