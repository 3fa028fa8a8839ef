import { describe, it, expect } from 'vitest'
import { decodeTex, encodeTex, isExchangeableTrackerUrl, TexState } from '../../../lib/extensions/lt-tex.js'
import { ProtocolError } from '../../../lib/errors.js'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const str = (s: string): string => `${bytes(s).length}:${s}`
const failure = (f: () => unknown): [string, string] => {
  try { f() } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError)
    const p = e as ProtocolError
    return [p.code, p.disposition]
  }
  throw new Error('expected a ProtocolError')
}

describe('lt_tex codec: BEP 28', () => {
  it('round-trips the added list as a bencoded dictionary', () => {
    const urls = ['http://tracker.example/announce', 'udp://tracker.example:1337']
    const out = encodeTex({ added: urls })
    expect(text(out)).toBe(`d5:addedl${str(urls[0] as string)}${str(urls[1] as string)}ee`)
    expect(decodeTex(out)).toEqual({ added: urls })
  })

  it('keeps only http, https and udp URLs without whitespace; drops repeats and non-UTF-8', () => {
    const payload = new Uint8Array([
      ...bytes(`d5:addedl${str('HTTPS://a.example/ann')}${str('file:///etc/passwd')}${str('wss://b.example')}${str('http://a b')}`),
      ...bytes(`${str('udp://c.example:80')}${str('udp://c.example:80')}${str('http://')}`), ...bytes('3:'), 0xff, 0xfe, 0xfd, ...bytes('ee')
    ])
    expect(decodeTex(payload)).toEqual({ added: ['HTTPS://a.example/ann', 'udp://c.example:80'] })
    expect(text(encodeTex({ added: ['ftp://x', 'http://ok.example', 'http://ok.example'] }))).toBe(`d5:addedl${str('http://ok.example')}ee`)
  })

  it('bounds the count and the length of URLs; a missing or mistyped added is empty', () => {
    const many = Array.from({ length: 80 }, (_, i) => `http://t${i}.example/a`)
    expect(decodeTex(encodeTex({ added: many })).added).toEqual(many.slice(0, 50))
    expect(decodeTex(encodeTex({ added: many }), { maxTrackers: 3 }).added).toHaveLength(3)
    const long = 'http://x.example/' + 'a'.repeat(2000)
    expect(decodeTex(encodeTex({ added: [long, 'udp://y.example:1'] })).added).toEqual(['udp://y.example:1'])
    expect(decodeTex(bytes('d1:xi1ee'))).toEqual({ added: [] })
    expect(decodeTex(bytes('d5:addedi1ee'))).toEqual({ added: [] })
    expect(decodeTex(bytes('d5:addedli1eleee'))).toEqual({ added: [] })
  })

  it('oversized, malformed or non-dictionary payloads are ProtocolErrors', () => {
    expect(failure(() => decodeTex(new Uint8Array(64 * 1024 + 1)))).toEqual(['tex-too-long', 'disconnect'])
    expect(failure(() => decodeTex(bytes('d5:added')))).toEqual(['bad-tex', 'disconnect'])
    expect(failure(() => decodeTex(bytes('li1ee')))).toEqual(['bad-tex', 'disconnect'])
  })

  it('isExchangeableTrackerUrl rejects control characters', () => {
    expect(isExchangeableTrackerUrl('http://a.example/\u0000')).toBe(false)
    expect(isExchangeableTrackerUrl('http://a.example/')).toBe(true)
  })
})

describe('TexState', () => {
  it('sends each tracker once, at most once a minute, carrying the rest over', () => {
    const s = new TexState({ maxPerMessage: 2 })
    const urls = ['http://a.example', 'http://b.example', 'udp://c.example:1', 'file:///x']
    expect(s.diff(urls, 0)).toEqual({ added: ['http://a.example', 'http://b.example'] })
    expect(s.diff(urls, 59_999)).toBeUndefined()
    expect(s.diff(urls, 60_000)).toEqual({ added: ['udp://c.example:1'] })
    expect(s.diff(urls, 120_000)).toBeUndefined()
    expect(s.diff([...urls, 'https://d.example'], 120_001)).toEqual({ added: ['https://d.example'] })
  })
})
