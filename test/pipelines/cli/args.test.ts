import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../lib/errors.js'
import { parsePeer, parsePieceLength, parsePort, parseStrict, positionals } from '../../../pipelines/cli/args.js'

describe('parsePeer', () => {
  it('accepts host:port, IPv4 and bracketed IPv6', () => {
    expect(parsePeer('127.0.0.1:6881')).toEqual({ host: '127.0.0.1', port: 6881 })
    expect(parsePeer('peer.example:1')).toEqual({ host: 'peer.example', port: 1 })
    expect(parsePeer('[::1]:65535')).toEqual({ host: '::1', port: 65535 })
    expect(parsePeer('[2001:db8::7]:51413')).toEqual({ host: '2001:db8::7', port: 51413 })
  })
  it.each(['127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '::1:6881', '[::1]', 'host:port', ':6881', '[::1]:', 'a b:1', '[1.2.3.4]:80', ''])('rejects %j with a clear UsageError', text => {
    let err: unknown
    try { parsePeer(text) } catch (e) { err = e }
    expect(err).toBeInstanceOf(UsageError)
    expect(err).toMatchObject({ code: 'bad-peer' })
    expect((err as Error).message).toContain('host:port')
  })
})

describe('parsePort and parsePieceLength', () => {
  it('parses ports 0–65535 only', () => {
    expect(parsePort('0')).toBe(0)
    expect(parsePort('6881')).toBe(6881)
    for (const bad of ['-1', '65536', '1.5', 'x', '', '999999']) expect(() => parsePort(bad)).toThrow(UsageError)
  })
  it('parses powers of two from 16 KiB', () => {
    expect(parsePieceLength('16384')).toBe(16384)
    expect(parsePieceLength('4194304')).toBe(4194304)
    for (const bad of ['16383', '8192', '20000', '1073741824', 'abc', '']) expect(() => parsePieceLength(bad)).toThrow(UsageError)
  })
})

describe('parseStrict and positionals', () => {
  it('turns parseArgs errors into UsageError bad-args', () => {
    expect(() => parseStrict({ args: ['--nope'], options: {}, strict: true })).toThrow(UsageError)
    expect(() => parseStrict({ args: ['--out'], options: { out: { type: 'string' } }, strict: true })).toThrow(/out/)
  })
  it('checks positional counts', () => {
    expect(positionals(['a'], ['input'])).toEqual(['a'])
    expect(() => positionals([], ['input'])).toThrow('missing input')
    expect(() => positionals(['a', 'b'], ['input'])).toThrow("unexpected argument 'b'")
  })
})
