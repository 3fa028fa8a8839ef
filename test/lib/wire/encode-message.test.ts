import { describe, it, expect } from 'vitest'
import { encodeMessage, encodePieceHeader, encodePieceHeaderInto, encodedLength } from '../../../lib/wire/encode-message.js'
import { UsageError } from '../../../lib/errors.js'
import type { Message } from '../../../lib/wire/types.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('encodeMessage', () => {
  const cases: Array<[string, Message, string]> = [
    ['keep-alive', { type: 'keep-alive' }, '00000000'],
    ['choke', { type: 'choke' }, '0000000100'],
    ['unchoke', { type: 'unchoke' }, '0000000101'],
    ['interested', { type: 'interested' }, '0000000102'],
    ['not-interested', { type: 'not-interested' }, '0000000103'],
    ['have', { type: 'have', index: 0x01020304 }, '000000050401020304'],
    ['bitfield', { type: 'bitfield', bits: Uint8Array.of(0xf0, 0x80) }, '0000000305f080'],
    ['request', { type: 'request', index: 1, begin: 0x4000, length: 0x4000 }, '0000000d06000000010000400000004000'],
    ['piece', { type: 'piece', index: 2, begin: 3, block: Uint8Array.of(0xaa, 0xbb) }, '0000000b07000000020000000' + '3aabb'],
    ['cancel', { type: 'cancel', index: 1, begin: 2, length: 3 }, '0000000d08000000010000000200000003'],
    ['port (BEP 5)', { type: 'port', port: 6881 }, '00000003091ae1'],
    ['suggest-piece (BEP 6, 0x0d)', { type: 'suggest-piece', index: 9 }, '000000050d00000009'],
    ['have-all (BEP 6, 0x0e)', { type: 'have-all' }, '000000010e'],
    ['have-none (BEP 6, 0x0f)', { type: 'have-none' }, '000000010f'],
    ['reject-request (BEP 6, 0x10)', { type: 'reject-request', index: 1, begin: 2, length: 3 }, '0000000d10000000010000000200000003'],
    ['allowed-fast (BEP 6, 0x11)', { type: 'allowed-fast', index: 0xffffffff }, '0000000511ffffffff'],
    ['extended (BEP 10, id 20)', { type: 'extended', id: 0, payload: Uint8Array.of(0x64, 0x65) }, '0000000414006465'],
    ['unknown id kept', { type: 'unknown', id: 0xff, payload: Uint8Array.of(1) }, '00000002ff01']
  ]
  for (const [name, msg, expected] of cases) {
    it(`encodes ${name}`, () => {
      const bytes = encodeMessage(msg)
      expect(hex(bytes)).toBe(expected)
      expect(encodedLength(msg)).toBe(bytes.length)
    })
  }

  it('rejects fields out of range with UsageError bad-message', () => {
    const bad: Message[] = [
      { type: 'have', index: -1 },
      { type: 'have', index: 2 ** 32 },
      { type: 'request', index: 0, begin: 1.5, length: 1 },
      { type: 'port', port: 65536 },
      { type: 'extended', id: 256, payload: new Uint8Array(0) },
      { type: 'unknown', id: -1, payload: new Uint8Array(0) }
    ]
    for (const msg of bad) {
      expect(() => encodeMessage(msg)).toThrow(UsageError)
      try { encodeMessage(msg) } catch (e) { expect((e as UsageError).code).toBe('bad-message') }
    }
  })
})

describe('encodePieceHeader', () => {
  it('is the first 13 bytes of the full PIECE frame, so header + block is one frame', () => {
    const block = Uint8Array.from({ length: 100 }, (_, i) => i)
    const full = encodeMessage({ type: 'piece', index: 5, begin: 16384, block })
    const header = encodePieceHeader(5, 16384, block.length)
    expect(header.length).toBe(13)
    expect(hex(header)).toBe(hex(full.subarray(0, 13)))
    expect(hex(full.subarray(13))).toBe(hex(block))
  })

  it('rejects a negative index', () => {
    expect(() => encodePieceHeader(-1, 0, 1)).toThrow(UsageError)
    expect(() => encodePieceHeader(0, 0, -1)).toThrow(UsageError)
    expect(() => encodePieceHeader(0, 0, 0xffffffff)).toThrow(UsageError)
  })

  it('encodePieceHeaderInto writes the same 13 bytes at an offset, leaving the rest alone', () => {
    const target = new Uint8Array(40).fill(0xee)
    expect(encodePieceHeaderInto(target, 13, 0xfffffffe, 0x01020304, 16384)).toBe(13)
    expect(hex(target.subarray(13, 26))).toBe(hex(encodePieceHeader(0xfffffffe, 0x01020304, 16384)))
    expect(target.subarray(0, 13).every((b) => b === 0xee)).toBe(true)
    expect(target.subarray(26).every((b) => b === 0xee)).toBe(true)
    expect(() => encodePieceHeaderInto(target, 0, 2 ** 32, 0, 1)).toThrow(UsageError)
  })
})
