import { describe, it, expect } from 'vitest'
import { decodeMessage } from '../../../lib/wire/decode-message.js'
import { encodeMessage } from '../../../lib/wire/encode-message.js'
import { ProtocolError } from '../../../lib/errors.js'
import type { Message } from '../../../lib/wire/types.js'

function decodeFrame (frame: Uint8Array): Message {
  return decodeMessage(frame[4] as number, frame.subarray(5))
}

function expectBadLength (id: number, length: number): void {
  let caught: unknown
  try { decodeMessage(id, new Uint8Array(length)) } catch (e) { caught = e }
  expect(caught).toBeInstanceOf(ProtocolError)
  expect((caught as ProtocolError).code).toBe('bad-length')
  expect((caught as ProtocolError).disposition).toBe('disconnect')
}

describe('decodeMessage', () => {
  const messages: Message[] = [
    { type: 'choke' },
    { type: 'unchoke' },
    { type: 'interested' },
    { type: 'not-interested' },
    { type: 'have', index: 0xfffffffe },
    { type: 'bitfield', bits: Uint8Array.of(0xff, 0x80) },
    { type: 'request', index: 1, begin: 16384, length: 16384 },
    { type: 'piece', index: 3, begin: 0, block: Uint8Array.of(1, 2, 3) },
    { type: 'cancel', index: 1, begin: 2, length: 3 },
    { type: 'port', port: 65535 },
    { type: 'suggest-piece', index: 4 },
    { type: 'have-all' },
    { type: 'have-none' },
    { type: 'reject-request', index: 7, begin: 8, length: 9 },
    { type: 'allowed-fast', index: 10 },
    { type: 'extended', id: 3, payload: Uint8Array.of(0x64, 0x65) }
  ]
  for (const msg of messages) {
    it(`decodes ${msg.type}`, () => {
      expect(decodeFrame(encodeMessage(msg))).toEqual(msg)
    })
  }

  it('decodes an empty PIECE block and an empty extended payload', () => {
    expect(decodeMessage(7, new Uint8Array(8))).toEqual({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(0) })
    expect(decodeMessage(20, Uint8Array.of(0))).toEqual({ type: 'extended', id: 0, payload: new Uint8Array(0) })
  })

  it('PIECE block is a view into the payload, not a copy', () => {
    const payload = Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2, 9, 9, 9)
    const msg = decodeMessage(7, payload)
    if (msg.type !== 'piece') throw new Error('not a piece')
    expect(msg.block.buffer).toBe(payload.buffer)
    expect(msg.block.byteOffset).toBe(8)
    payload[8] = 42
    expect(msg.block[0]).toBe(42)
  })

  it('C31: unknown id 0xff decodes to the unknown variant keeping its payload', () => {
    expect(decodeMessage(0xff, Uint8Array.of(1, 2))).toEqual({ type: 'unknown', id: 0xff, payload: Uint8Array.of(1, 2) })
    expect(decodeMessage(0x0a, new Uint8Array(0))).toEqual({ type: 'unknown', id: 0x0a, payload: new Uint8Array(0) })
  })

  describe('C32: exact payload lengths, else ProtocolError bad-length', () => {
    const zero = [0, 1, 2, 3, 0x0e, 0x0f]
    for (const id of zero) it(`id ${id} with a 1-byte payload`, () => expectBadLength(id, 1))
    for (const id of [4, 0x0d, 0x11]) {
      it(`id ${id} with 3 and 5 (and 6) byte payloads`, () => {
        expectBadLength(id, 3); expectBadLength(id, 5); expectBadLength(id, 6); expectBadLength(id, 0)
      })
    }
    for (const id of [6, 8, 0x10]) {
      it(`id ${id} with 11 and 13 byte payloads`, () => {
        expectBadLength(id, 11); expectBadLength(id, 13); expectBadLength(id, 0)
      })
    }
    it('HAVE with a 6-byte payload', () => expectBadLength(4, 6))
    it('PIECE shorter than its 8-byte header', () => { expectBadLength(7, 7); expectBadLength(7, 0) })
    it('PORT not 2 bytes', () => { expectBadLength(9, 1); expectBadLength(9, 3) })
    it('EXTENDED without its extended id byte', () => expectBadLength(20, 0))
  })

  it('C33: BITFIELD of any length decodes; its size and spare bits are checked with Bitfield.fromWire by the session', () => {
    expect(decodeMessage(5, new Uint8Array(0))).toEqual({ type: 'bitfield', bits: new Uint8Array(0) })
    expect(decodeMessage(5, new Uint8Array(300))).toMatchObject({ type: 'bitfield' })
  })
})
