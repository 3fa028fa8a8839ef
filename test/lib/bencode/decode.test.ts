import { describe, expect, it } from 'vitest'
import { decode, decodeWithInfo, MAX_TOLERATED_RECORDS, type DecodeOptions } from '../../../lib/bencode/decode.js'
import type { BDict } from '../../../lib/bencode/types.js'
import { BencodeError } from '../../../lib/errors.js'

const te = new TextEncoder()
const b = (s: string): Uint8Array => te.encode(s)

function fails (input: string | Uint8Array, code: string, options?: DecodeOptions): BencodeError {
  const bytes = typeof input === 'string' ? b(input) : input
  let caught: unknown
  try {
    decode(bytes, options)
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(BencodeError)
  const err = caught as BencodeError
  expect(err.code).toBe(code)
  expect(err.disposition).toBe('reject')
  expect(err.offset).toBeGreaterThanOrEqual(0)
  return err
}

describe('decode: values', () => {
  it('decodes integers, strings, lists and dicts', () => {
    expect(decode(b('i42e'))).toBe(42)
    expect(decode(b('i-7e'))).toBe(-7)
    expect(decode(b('i0e'))).toBe(0)
    expect(decode(b('4:spam'))).toEqual(b('spam'))
    expect(decode(b('0:'))).toEqual(new Uint8Array(0))
    expect(decode(b('l4:spami1ee'))).toEqual([b('spam'), 1])
    const d = decode(b('d3:cow3:moo4:spami3ee')) as BDict
    expect(Object.getPrototypeOf(d)).toBeNull()
    expect(d.cow).toEqual(b('moo'))
    expect(d.spam).toBe(3)
  })

  it('byte strings are views into the input', () => {
    const input = b('4:spam')
    const v = decode(input) as Uint8Array
    expect(v.buffer).toBe(input.buffer)
    expect(v.byteOffset).toBe(2)
  })

  it('integers beyond 2^53 come back as bigint, never rounded (A4)', () => {
    expect(decode(b('i9007199254740991e'))).toBe(9007199254740991)
    expect(decode(b('i9007199254740992e'))).toBe(9007199254740992n)
    expect(decode(b('i-9223372036854775808e'))).toBe(-9223372036854775808n)
    expect(decode(b('i9223372036854775807e'))).toBe(9223372036854775807n)
  })

  it('a __proto__ key is an own property of a null-prototype dict', () => {
    const d = decode(b('d9:__proto__i1ee')) as BDict
    expect(Object.keys(d)).toEqual(['__proto__'])
    expect(d.__proto__).toBe(1)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('keeps a leading BOM in keys', () => {
    const d = decode(new Uint8Array([0x64, 0x34, 0x3a, 0xef, 0xbb, 0xbf, 0x61, 0x69, 0x31, 0x65, 0x65])) as BDict
    expect(Object.keys(d)).toEqual(['\uFEFFa'])
  })
})

describe('decode: rejections', () => {
  it('A1: 10 000 nested lists → depth-limit, no stack overflow', () => {
    fails('l'.repeat(10_000) + 'e'.repeat(10_000), 'depth-limit')
    fails('d1:a'.repeat(5000), 'depth-limit')
    expect(decode(b('l'.repeat(100) + 'e'.repeat(100)))).toBeDefined()
    fails('l'.repeat(101) + 'e'.repeat(101), 'depth-limit')
    fails('llee', 'depth-limit', { maxDepth: 1 })
  })

  it('A2: 3 million tiny tokens → token-limit', () => {
    const n = 1_500_001
    const bytes = new Uint8Array(2 * n + 2)
    bytes[0] = 0x6c
    for (let i = 0; i < n; i++) { bytes[1 + 2 * i] = 0x6c; bytes[2 + 2 * i] = 0x65 }
    bytes[bytes.length - 1] = 0x65
    fails(bytes, 'token-limit')
    fails('li1ei2ei3ee', 'token-limit', { maxTokens: 3 })
    expect(decode(b('li1ei2ee'), { maxTokens: 4 })).toEqual([1, 2])
  })

  it('A3: a huge string length prefix fails before allocating', () => {
    const err = fails('99999999999999999999:', 'truncated')
    expect(err.offset).toBe(0)
    fails('5:abc', 'truncated')
    fails('11:abcdefghijk', 'string-too-long', { maxStringLength: 10 })
    expect(decode(b('10:abcdefghij'), { maxStringLength: 10 })).toEqual(b('abcdefghij'))
    fails('4', 'truncated')
    fails('1x', 'bad-string-length')
  })

  it('A3: string length with a leading zero', () => {
    fails('03:abc', 'string-leading-zero')
    fails('00:', 'string-leading-zero')
  })

  it('A4: malformed integers', () => {
    fails('i03e', 'int-leading-zero')
    fails('i00e', 'int-leading-zero')
    fails('i-0e', 'int-negative-zero')
    fails('i-03e', 'int-negative-zero')
    fails('ie', 'int-empty')
    fails('i-e', 'int-empty')
    fails('i1-e', 'bad-int')
    fails('i+1e', 'bad-int')
    fails('i1.5e', 'bad-int')
    fails('i12', 'truncated')
    fails('i' + '9'.repeat(21) + 'e', 'int-too-long')
    fails('i' + '1'.repeat(10_000), 'int-too-long')
    fails('i9223372036854775808e', 'int-overflow')
    fails('i-9223372036854775809e', 'int-overflow')
  })

  it('A5: unsorted or duplicate keys (strict)', () => {
    fails('d1:bi1e1:ai2ee', 'unsorted-keys')
    fails('d1:ai1e1:ai2ee', 'duplicate-key')
    fails('d2:abi1e1:ai2ee', 'unsorted-keys')
    // bytewise, not UTF-16: U+FFFF (ef bf bf) sorts before U+10000 (f0 90 80 80)
    expect(Object.keys(decode(b('d3:\uFFFFi1e4:\u{10000}i2ee')) as BDict)).toEqual(['\uFFFF', '\u{10000}'])
    fails(b('d4:\u{10000}i2e3:\uFFFFi1ee'), 'unsorted-keys')
  })

  it('A5: non-strict tolerates unsorted and duplicate keys only; the last duplicate wins', () => {
    const d = decode(b('d1:bi1e1:ai2e1:bi3ee'), { strict: false }) as BDict
    expect(d.a).toBe(2)
    expect(d.b).toBe(3)
    fails('i03e', 'int-leading-zero', { strict: false })
    fails('li1ee junk', 'trailing-data', { strict: false })
    fails('l'.repeat(101), 'depth-limit', { strict: false })
  })

  it('rejects keys that are not byte strings or not UTF-8', () => {
    fails('di1ei2ee', 'bad-key')
    fails('dlei2ee', 'bad-key')
    fails(new Uint8Array([0x64, 0x31, 0x3a, 0xff, 0x69, 0x31, 0x65, 0x65]), 'bad-key')
    const lenient = decode(new Uint8Array([0x64, 0x31, 0x3a, 0xff, 0x69, 0x31, 0x65, 0x65]), { strict: false }) as BDict
    expect(lenient['\uFFFD']).toBe(1)
  })

  it('lenientKeys accepts binary keys (BEP 52 piece layers) but still checks their order', () => {
    const keys = (a: number, b: number): Uint8Array => new Uint8Array([0x64, 0x31, 0x3a, a, 0x69, 0x31, 0x65, 0x31, 0x3a, b, 0x69, 0x32, 0x65, 0x65])
    const d = decode(keys(0x80, 0xff), { lenientKeys: true }) as BDict
    expect(Object.keys(d)).toEqual(['\uFFFD'])
    fails(keys(0xff, 0x80), 'unsorted-keys', { lenientKeys: true })
    fails(keys(0x80, 0xff), 'bad-key')
  })

  it('rejects a key without a value', () => {
    fails('d1:ae', 'missing-value')
  })

  it('rejects trailing data, truncation, empty input and junk', () => {
    fails('i1ei2e', 'trailing-data')
    fails('4:spamx', 'trailing-data')
    fails('', 'truncated')
    fails('l', 'truncated')
    fails('d1:a', 'truncated')
    fails('d', 'truncated')
    fails('e', 'unexpected-byte')
    fails('x', 'unexpected-byte')
    fails('l-e', 'unexpected-byte')
  })
})

describe('decodeWithInfo', () => {
  it('reports the exact byte range of the top-level info value', () => {
    const text = 'd8:announce3:url4:infod4:name1:x6:lengthi1eee'
    const r = decodeWithInfo(b(text), { strict: false })
    expect(r.infoRange).toBeDefined()
    const { start, end } = r.infoRange as { start: number, end: number }
    expect(text.slice(start, end)).toBe('d4:name1:x6:lengthi1ee')
  })

  it('ignores a nested info key and a non-dict top level', () => {
    expect(decodeWithInfo(b('d1:ad4:infoi1eee')).infoRange).toBeUndefined()
    expect(decodeWithInfo(b('l4:infoi1ee')).infoRange).toBeUndefined()
    const r = decodeWithInfo(b('d4:infoi7ee'))
    expect(r.infoRange).toEqual({ start: 7, end: 10 })
  })
})

describe('decode: reading as libtorrent does (duplicateKeys, allowTrailing, tolerated)', () => {
  it('duplicateKeys first keeps the first of equal keys, as libtorrent lookups do', () => {
    const d = decode(b('d1:bi1e1:ai2e1:bi3ee'), { strict: false, duplicateKeys: 'first' }) as BDict
    expect(d.a).toBe(2)
    expect(d.b).toBe(1)
  })

  it('reports each key out of order and each duplicate, with its offset', () => {
    const r = decodeWithInfo(b('d1:bi1e1:ai2e1:bi3ee'), { strict: false, duplicateKeys: 'first' })
    expect(r.tolerated).toEqual([{ code: 'unsorted-keys', offset: 7 }, { code: 'duplicate-key', offset: 13 }])
    expect(decodeWithInfo(b('d1:ai1e1:bi2ee')).tolerated).toEqual([])
  })

  it('allowTrailing accepts bytes after the value and says where it ended', () => {
    const r = decodeWithInfo(b('d1:ai1ee\n'), { allowTrailing: true })
    expect(r.end).toBe(8)
    expect(r.tolerated).toEqual([{ code: 'trailing-data', offset: 8 }])
    expect(decodeWithInfo(b('i1e')).end).toBe(3)
    fails('d1:ai1ee\n', 'trailing-data')
    // what follows is not parsed, but a truncated value is still an error
    fails('d1:ai1e', 'truncated', { allowTrailing: true })
  })

  it('the info range is the first info dictionary when info repeats', () => {
    const text = 'd4:infod1:ai1ee4:infod1:ai2eee'
    const r = decodeWithInfo(b(text), { strict: false, duplicateKeys: 'first' })
    const { start, end } = r.infoRange as { start: number, end: number }
    expect(text.slice(start, end)).toBe('d1:ai1ee')
    expect((r.value as BDict).info).toEqual({ a: 1 })
    const last = decodeWithInfo(b(text), { strict: false })
    expect(text.slice(last.infoRange?.start, last.infoRange?.end)).toBe('d1:ai2ee')
  })

  it('keeps at most MAX_TOLERATED_RECORDS records', () => {
    const keys = Array.from({ length: 100 }, (_, i) => `3:k${String(99 - i).padStart(2, '0')}i1e`).join('')
    const r = decodeWithInfo(b(`d${keys}e`), { strict: false })
    expect(Object.keys(r.value as BDict)).toHaveLength(100)
    expect(r.tolerated).toHaveLength(MAX_TOLERATED_RECORDS)
  })
})

describe('decode: lenientNumbers (leading zeros and negative zero, as libtorrent 2.0.8)', () => {
  const lenient: DecodeOptions = { strict: false, lenientNumbers: true }

  it('accepts integers with leading zeros and negative zero, and lists each case', () => {
    expect(decode(b('i0100e'), lenient)).toBe(100)
    expect(decode(b('i00e'), lenient)).toBe(0)
    expect(Object.is(decode(b('i-0e'), lenient), 0)).toBe(true)
    expect(Object.is(decode(b('i-00e'), lenient), 0)).toBe(true)
    expect(decode(b('i-0100e'), lenient)).toBe(-100)
    // 20 digits, zeros included, as libtorrent allows; the sign is not a digit
    expect(decode(b('i' + '0'.repeat(17) + '100e'), lenient)).toBe(100)
    expect(decode(b('i-' + '0'.repeat(20) + 'e'), lenient)).toBe(0)
    expect(decode(b('i09223372036854775807e'), lenient)).toBe(2n ** 63n - 1n)
    expect(decodeWithInfo(b('li0100ei-0ei-00ei00ee'), lenient).tolerated).toEqual([
      { code: 'int-leading-zero', offset: 1 },
      { code: 'int-negative-zero', offset: 7 },
      { code: 'int-negative-zero', offset: 11 },
      { code: 'int-leading-zero', offset: 16 }
    ])
  })

  it('keeps the digit limit and every other integer rule', () => {
    fails('i' + '0'.repeat(18) + '100e', 'int-too-long', lenient)
    fails('i' + '0'.repeat(100_000) + 'e', 'int-too-long', lenient)
    fails('ie', 'int-empty', lenient)
    fails('i-e', 'int-empty', lenient)
    fails('i0x1e', 'bad-int', lenient)
  })

  it('accepts string lengths with leading zeros, at most 16 digits as libtorrent', () => {
    expect(decode(b('05:a.txt'), lenient)).toEqual(b('a.txt'))
    expect(decode(b('00:'), lenient)).toEqual(b(''))
    expect(decode(b('0'.repeat(15) + '5:a.txt'), lenient)).toEqual(b('a.txt'))
    expect((decode(b('d01:ai1ee'), lenient) as BDict).a).toBe(1)
    expect(decodeWithInfo(b('l05:a.txt2:ab0:e'), lenient).tolerated).toEqual([{ code: 'string-leading-zero', offset: 1 }])
    fails('0'.repeat(16) + '5:a.txt', 'bad-string-length', lenient)
    // a length of absurdly many zeros is refused at the 17th digit, not scanned to its end
    const huge = new Uint8Array(10_000_000).fill(0x30)
    expect(fails(huge, 'bad-string-length', lenient).offset).toBeLessThanOrEqual(16)
    fails('010:a', 'truncated', lenient)
  })

  it('strict and strict: false without lenientNumbers still refuse them', () => {
    for (const options of [{}, { strict: false }]) {
      fails('i0100e', 'int-leading-zero', options)
      fails('i-0e', 'int-negative-zero', options)
      fails('05:a.txt', 'string-leading-zero', options)
    }
    fails('i0100e', 'int-leading-zero', { lenientNumbers: true })
  })
})
