import { describe, it, expect } from 'vitest'
import { decodeHandshake, encodeHandshake } from '../../../lib/wire/handshake.js'
import { makeReserved } from '../../../lib/wire/reserved.js'
import { HandshakeError, UsageError } from '../../../lib/errors.js'

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => i + 1)
const peerId = new TextEncoder().encode('-RX0100-abcdefghijkl')
const handshake = { reserved: makeReserved({ fast: true, extended: true }), infoHash, peerId }

function thrown (f: () => unknown): HandshakeError {
  try { f() } catch (e) { expect(e).toBeInstanceOf(HandshakeError); return e as HandshakeError }
  throw new Error('expected a HandshakeError')
}

describe('handshake', () => {
  it('encodes 68 bytes: pstrlen 19, protocol, reserved, info-hash, peer id', () => {
    const bytes = encodeHandshake(handshake)
    expect(bytes.length).toBe(68)
    expect(bytes[0]).toBe(19)
    expect(new TextDecoder().decode(bytes.subarray(1, 20))).toBe('BitTorrent protocol')
    expect(Buffer.from(bytes.subarray(20, 28)).toString('hex')).toBe('0000000000100004')
    expect(bytes.subarray(28, 48)).toEqual(infoHash)
    expect(bytes.subarray(48)).toEqual(peerId)
  })

  it('round-trips and returns copies', () => {
    const bytes = encodeHandshake(handshake)
    const decoded = decodeHandshake(bytes)
    expect(decoded).toEqual(handshake)
    bytes[30] = 0xee
    expect(decoded.infoHash[2]).toBe(3)
  })

  it('C29: pstrlen other than 19 → HandshakeError bad-protocol (disconnect)', () => {
    const bytes = encodeHandshake(handshake)
    bytes[0] = 18
    const err = thrown(() => decodeHandshake(bytes))
    expect(err.code).toBe('bad-protocol')
    expect(err.disposition).toBe('disconnect')
  })

  it('C29: a wrong protocol string → HandshakeError bad-protocol', () => {
    const bytes = encodeHandshake(handshake)
    bytes[5] = 'x'.charCodeAt(0)
    expect(thrown(() => decodeHandshake(bytes)).code).toBe('bad-protocol')
  })

  it('a buffer that is not 68 bytes → HandshakeError bad-length', () => {
    expect(thrown(() => decodeHandshake(new Uint8Array(67))).code).toBe('bad-length')
    expect(thrown(() => decodeHandshake(new Uint8Array(69))).code).toBe('bad-length')
  })

  it('refuses to encode wrong-size fields', () => {
    expect(() => encodeHandshake({ ...handshake, infoHash: new Uint8Array(32) })).toThrow(UsageError)
    expect(() => encodeHandshake({ ...handshake, peerId: new Uint8Array(19) })).toThrow(UsageError)
    expect(() => encodeHandshake({ ...handshake, reserved: new Uint8Array(7) })).toThrow(UsageError)
  })
})
