import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { encodeMessage, encodedLength } from '../lib/wire/encode-message.js'
import { decodeMessage } from '../lib/wire/decode-message.js'
import { FrameDecoder } from '../lib/wire/frame-decoder.js'
import { ProtocolError } from '../lib/errors.js'
import type { Message } from '../lib/wire/types.js'
import { concat, messageArb, splitAt } from './wire-arbitraries.js'

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
