import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decode } from '../lib/bencode/decode.js'
import { encode } from '../lib/bencode/encode.js'
import type { BEncodable, BValue } from '../lib/bencode/types.js'
import { BencodeError } from '../lib/errors.js'

const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n }

/** Keys: any well-formed unicode (astral included), plus the names that bite JavaScript objects. */
const key = fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'toString', '', '\uFFFF', '\u{10000}'))

const { value } = fc.letrec<{ value: BEncodable }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 24 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.maxSafeInteger(),
    fc.bigInt(INT64),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 })
  )
}))

/** What decoding `v`'s encoding must give: strings as UTF-8 bytes, safe bigints as numbers. */
function expected (v: BEncodable): BValue {
  if (typeof v === 'string') return new TextEncoder().encode(v)
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
  if (typeof v === 'number' || v instanceof Uint8Array) return v
  if (Array.isArray(v)) return (v as readonly BEncodable[]).map(expected)
  const out = Object.create(null) as Record<string, BValue>
  for (const [k, item] of Object.entries(v)) if (item !== undefined) out[k] = expected(item)
  return out
}

function decodesOrBencodeError (bytes: Uint8Array): void {
  try {
    decode(bytes)
  } catch (e) {
    expect(e).toBeInstanceOf(BencodeError)
  }
}

describe('bencode properties', () => {
  it('encode → decode round-trips, and re-encoding gives the same canonical bytes', () => {
    fc.assert(fc.property(value, (v) => {
      const bytes = encode(v)
      const back = decode(bytes)
      expect(back).toEqual(expected(v))
      expect(encode(back)).toEqual(bytes)
    }))
  })

  it('decoding arbitrary bytes returns a value or throws BencodeError, nothing else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1024 }), decodesOrBencodeError), { numRuns: 2000 })
  })

  it('decoding bencode-alphabet noise returns a value or throws BencodeError', () => {
    const alphabet = fc.constantFrom(...'ildeld0123456789:-'.split('').map((c) => c.charCodeAt(0)), 0xff)
    fc.assert(fc.property(fc.array(alphabet, { maxLength: 300 }), (codes) => decodesOrBencodeError(new Uint8Array(codes))), { numRuns: 2000 })
  })

  it('mutating an encoded value never escapes the typed error path', () => {
    fc.assert(fc.property(value, fc.nat(), fc.integer({ min: 0, max: 255 }), (v, at, byte) => {
      const bytes = encode(v).slice()
      bytes[at % bytes.length] = byte
      decodesOrBencodeError(bytes)
      decodesOrBencodeError(bytes.subarray(0, at % bytes.length))
    }))
  })

  it('a valid document followed by anything is rejected as trailing data', () => {
    fc.assert(fc.property(value, fc.uint8Array({ minLength: 1, maxLength: 16 }), (v, junk) => {
      const doc = encode(v)
      const bytes = new Uint8Array(doc.length + junk.length)
      bytes.set(doc)
      bytes.set(junk, doc.length)
      expect(() => decode(bytes)).toThrow(BencodeError)
      try { decode(bytes) } catch (e) { expect((e as BencodeError).code).toBe('trailing-data') }
    }))
  })

  it('a valid document preceded by another value or by a non-value byte is rejected', () => {
    const stray = fc.integer({ min: 0, max: 255 }).filter((c) => !/[0-9ild]/.test(String.fromCharCode(c)))
    fc.assert(fc.property(value, fc.oneof(value.map(encode), stray.map((c) => new Uint8Array([c]))), (v, prefix) => {
      const doc = encode(v)
      const bytes = new Uint8Array(prefix.length + doc.length)
      bytes.set(prefix)
      bytes.set(doc, prefix.length)
      expect(() => decode(bytes)).toThrow(BencodeError)
    }))
  })
})
