import { describe, it, expect } from 'vitest'
import { HandshakeReader, type HandshakeHeader } from '../../../lib/wire/handshake-reader.js'
import { encodeHandshake } from '../../../lib/wire/handshake.js'
import { makeReserved } from '../../../lib/wire/reserved.js'
import { HandshakeError, UsageError } from '../../../lib/errors.js'

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i)
const peerId = new TextEncoder().encode('-qB4500-0123456789ab')
const handshake = { reserved: makeReserved({ extended: true }), infoHash, peerId }
const ahead = Uint8Array.of(0, 0, 0, 1, 2, 0, 0)
const bytes = new Uint8Array(68 + ahead.length)
bytes.set(encodeHandshake(handshake))
bytes.set(ahead, 68)

describe('HandshakeReader', () => {
  it('reads the handshake from one chunk and returns the bytes read ahead as a view', () => {
    const r = new HandshakeReader()
    const got = r.push(bytes)
    expect(got?.handshake).toEqual(handshake)
    expect(got?.rest).toEqual(ahead)
    expect(got?.rest.buffer).toBe(bytes.buffer)
    expect(r.done).toBe(true)
  })

  it('gives the same result when the bytes are split at every pair of points', () => {
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        const r = new HandshakeReader()
        const parts = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]
        let result
        const after: number[] = []
        for (const p of parts) {
          if (result === undefined) result = r.push(p)
          else after.push(...p)
        }
        expect(result?.handshake).toEqual(handshake)
        expect([...(result?.rest ?? []), ...after]).toEqual([...ahead])
      }
    }
  })

  it('stage one: header and onInfoHash are available after 48 bytes, before the peer id', () => {
    const seen: HandshakeHeader[] = []
    const r = new HandshakeReader({ onInfoHash: (h) => seen.push(h) })
    expect(r.push(bytes.subarray(0, 47))).toBeUndefined()
    expect(r.header).toBeUndefined()
    expect(seen).toHaveLength(0)
    expect(r.push(bytes.subarray(47, 48))).toBeUndefined()
    expect(r.header).toEqual({ reserved: handshake.reserved, infoHash })
    expect(seen).toEqual([{ reserved: handshake.reserved, infoHash }])
    expect(r.push(bytes.subarray(48, 68))?.handshake.peerId).toEqual(peerId)
    expect(seen).toHaveLength(1)
  })

  it('C29: onInfoHash may refuse an info-hash we do not serve; the reader stays failed', () => {
    const r = new HandshakeReader({
      onInfoHash: () => { throw new HandshakeError('unknown-info-hash', 'not ours') }
    })
    expect(() => r.push(bytes)).toThrow(HandshakeError)
    expect(() => r.push(bytes)).toThrow('not ours')
  })

  it('C29: a wrong pstrlen fails on byte 0 alone', () => {
    const r = new HandshakeReader()
    let err: unknown
    try { r.push(Uint8Array.of(18)) } catch (e) { err = e }
    expect(err).toBeInstanceOf(HandshakeError)
    expect((err as HandshakeError).code).toBe('bad-protocol')
    expect(() => r.push(Uint8Array.of(1))).toThrow(HandshakeError)
  })

  it('C29: a wrong protocol string fails at its first wrong byte, before 68 bytes arrive', () => {
    const r = new HandshakeReader()
    expect(r.push(Uint8Array.of(19, 'B'.charCodeAt(0)))).toBeUndefined()
    expect(() => r.push(Uint8Array.of('X'.charCodeAt(0)))).toThrow(HandshakeError)
  })

  it('refuses pushes after the handshake was returned', () => {
    const r = new HandshakeReader()
    r.push(bytes)
    expect(() => r.push(Uint8Array.of(1))).toThrow(UsageError)
  })
})
