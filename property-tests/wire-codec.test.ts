import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { encodeMessage, encodedLength } from '../lib/wire/encode-message.js'
import { decodeMessage } from '../lib/wire/decode-message.js'
import { FrameDecoder } from '../lib/wire/frame-decoder.js'
import { ProtocolError } from '../lib/errors.js'
import type { Message } from '../lib/wire/types.js'

const KNOWN_IDS = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 20])
const u32 = fc.nat({ max: 0xffffffff })
const bytes = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength })
const triple = { index: u32, begin: u32, length: u32 }

/** Any message of the union with in-range fields; `unknown` only for ids we do not know. */
const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.constantFrom<Message>(
    { type: 'keep-alive' }, { type: 'choke' }, { type: 'unchoke' }, { type: 'interested' },
    { type: 'not-interested' }, { type: 'have-all' }, { type: 'have-none' }
  ),
  fc.record({ type: fc.constant('have' as const), index: u32 }),
  fc.record({ type: fc.constant('suggest-piece' as const), index: u32 }),
  fc.record({ type: fc.constant('allowed-fast' as const), index: u32 }),
  fc.record({ type: fc.constant('bitfield' as const), bits: bytes(64) }),
  fc.record({ type: fc.constant('request' as const), ...triple }),
  fc.record({ type: fc.constant('cancel' as const), ...triple }),
  fc.record({ type: fc.constant('reject-request' as const), ...triple }),
  fc.record({ type: fc.constant('piece' as const), index: u32, begin: u32, block: bytes(300) }),
  fc.record({ type: fc.constant('port' as const), port: fc.nat({ max: 0xffff }) }),
  fc.record({ type: fc.constant('extended' as const), id: fc.nat({ max: 255 }), payload: bytes(100) }),
  fc.record({
    type: fc.constant('unknown' as const),
    id: fc.nat({ max: 255 }).filter((id) => !KNOWN_IDS.has(id)),
    payload: bytes(50)
  })
)

/** Cut `data` at the given (unsorted, possibly repeated) points. */
function splitAt (data: Uint8Array, points: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(points.map((p) => p % (data.length + 1)))].sort((a, b) => a - b)
  const parts: Uint8Array[] = []
  let last = 0
  for (const c of cuts) { parts.push(data.subarray(last, c)); last = c }
  parts.push(data.subarray(last))
  return parts
}

function concat (parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

describe('wire codec properties', () => {
  it('encode → decode round-trips every message', () => {
    fc.assert(fc.property(messageArb, (msg) => {
      const frame = encodeMessage(msg)
      expect(frame.length).toBe(encodedLength(msg))
      expect(new DataView(frame.buffer).getUint32(0)).toBe(frame.length - 4)
      if (msg.type === 'keep-alive') {
        expect(frame.length).toBe(4)
      } else {
        expect(decodeMessage(frame[4] as number, frame.subarray(5))).toEqual(msg)
      }
    }))
  })

  it('FrameDecoder gives the same messages however the stream is chunked', () => {
    fc.assert(fc.property(fc.array(messageArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (messages, points) => {
      const stream = concat(messages.map(encodeMessage))
      const d = new FrameDecoder()
      const got: Message[] = []
      for (const part of splitAt(stream, points)) got.push(...d.push(part))
      expect(got).toEqual(messages)
      expect(d.buffered).toBe(0)
    }))
  })

  it('FrameDecoder on arbitrary bytes returns messages or throws ProtocolError only, whatever the chunking', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 10 }), fc.integer({ min: 0, max: 300 }), (bytes, points, max) => {
      const run = (parts: Uint8Array[]): Message[] | string => {
        const d = new FrameDecoder({ maxMessageLength: max })
        const out: Message[] = []
        try {
          for (const part of parts) {
            out.push(...d.push(part))
            expect(d.buffered).toBeLessThanOrEqual(max + 4)
          }
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError)
          return (e as ProtocolError).code
        }
        return out
      }
      // Chunked and whole give the same outcome: the same messages or the same error.
      expect(run(splitAt(bytes, points))).toEqual(run([bytes]))
    }))
  })

  it('FrameDecoder on well-framed arbitrary ids and payloads: same outcome chunked or whole, ProtocolError only', () => {
    const rawFrame = fc.tuple(fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 20 })).map(([id, payload]) => {
      const f = new Uint8Array(5 + payload.length)
      new DataView(f.buffer).setUint32(0, 1 + payload.length)
      f[4] = id
      f.set(payload, 5)
      return f
    })
    fc.assert(fc.property(fc.array(rawFrame, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 10 }), (frames, points) => {
      const stream = concat(frames)
      const run = (parts: Uint8Array[]): Message[] | string => {
        const d = new FrameDecoder()
        const out: Message[] = []
        try {
          for (const part of parts) out.push(...d.push(part))
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError)
          return (e as ProtocolError).code
        }
        return out
      }
      const whole = run([stream])
      expect(run(splitAt(stream, points))).toEqual(whole)
      if (Array.isArray(whole)) expect(concat(whole.map(encodeMessage))).toEqual(stream)
    }))
  })

  it('decodeMessage on any id and payload returns a message or throws ProtocolError bad-length', () => {
    fc.assert(fc.property(fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 40 }), (id, payload) => {
      try {
        const msg = decodeMessage(id, payload)
        expect(msg.type).not.toBe('keep-alive')
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError)
        expect((e as ProtocolError).code).toBe('bad-length')
      }
    }))
  })
})
