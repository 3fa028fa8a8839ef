import { describe, expect, it } from 'vitest'
import { decode } from '../../../lib/bencode/decode.js'
import { BencodeEncodeError, encode } from '../../../lib/bencode/encode.js'
import type { BEncodable } from '../../../lib/bencode/types.js'

const td = new TextDecoder()
const text = (v: BEncodable): string => td.decode(encode(v))

function fails (v: unknown, code: string): void {
  let caught: unknown
  try { encode(v as BEncodable) } catch (e) { caught = e }
  expect(caught).toBeInstanceOf(BencodeEncodeError)
  expect((caught as BencodeEncodeError).code).toBe(code)
}

describe('encode', () => {
  it('encodes every value kind', () => {
    expect(text(42)).toBe('i42e')
    expect(text(-3)).toBe('i-3e')
    expect(text(-0)).toBe('i0e')
    expect(text('spam')).toBe('4:spam')
    expect(text('é')).toBe('2:é')
    expect(text(new Uint8Array([0x61, 0x62]))).toBe('2:ab')
    expect(text(['a', 1, []])).toBe('l1:ai1elee')
    expect(text({})).toBe('de')
    expect(text(2n ** 60n)).toBe('i1152921504606846976e')
    expect(text([-(2n ** 63n)])).toBe('li-9223372036854775808ee')
  })

  it('encodes a Uint8Array view without the rest of its buffer', () => {
    const whole = new TextEncoder().encode('xxhelloxx')
    expect(text(whole.subarray(2, 7))).toBe('5:hello')
  })

  it('sorts keys bytewise and skips undefined values, for plain and null-prototype objects', () => {
    expect(text({ b: 1, a: 2, c: undefined })).toBe('d1:ai2e1:bi1ee')
    const o = Object.create(null) as Record<string, BEncodable>
    o.z = 'x'
    o.__proto__ = 1
    o.A = 2
    expect(text(o)).toBe('d1:Ai2e9:__proto__i1e1:z1:xe')
  })

  it('orders keys by UTF-8 bytes, not UTF-16 code units', () => {
    // UTF-16 puts U+10000 (d800 dc00) before U+FFFF; UTF-8 bytes put U+FFFF first
    const v = { '\u{10000}': 1, '\uFFFF': 2 }
    expect(text(v)).toBe('d3:\uFFFFi2e4:\u{10000}i1ee')
    expect(() => decode(encode(v))).not.toThrow()
  })

  it('keeps bigints and canonical order deep inside structures', () => {
    const v = { list: [{ b: 2n ** 62n, a: 1 }], '\uE000': 1, '\u{1F600}': 0 }
    const bytes = encode(v)
    expect(() => decode(bytes)).not.toThrow()
    expect(decode(bytes)).toEqual(decode(encode(decode(bytes) as BEncodable)))
  })

  it('rejects what bencode cannot represent', () => {
    fails(1.5, 'bad-integer')
    fails(Number.NaN, 'bad-integer')
    fails(2 ** 60, 'bad-integer')
    fails(2n ** 63n, 'int-overflow')
    fails(null, 'bad-value')
    fails(true, 'bad-value')
    fails([undefined], 'bad-value')
    fails(new Map(), 'bad-value')
    fails(new Date(0), 'bad-value')
    fails('\uD800', 'bad-string')
    fails({ '\uDC00': 1 }, 'bad-string')
  })

  it('rejects cycles and excessive depth', () => {
    const cyc: unknown[] = []
    cyc.push(cyc)
    fails(cyc, 'depth-limit')
    let deep: BEncodable = 1
    for (let i = 0; i < 101; i++) deep = [deep]
    fails(deep, 'depth-limit')
  })
})
