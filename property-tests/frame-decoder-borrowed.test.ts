import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ProtocolError } from '../lib/errors.js'
import { encodeMessage } from '../lib/wire/encode-message.js'
import { FrameDecoder } from '../lib/wire/frame-decoder.js'
import type { Message } from '../lib/wire/types.js'
import { concat, largePieceArb, messageArb as anyMessageArb, splitAt } from './wire-arbitraries.js'

/** Any message; pieces sometimes larger than the decoder's 64 KiB scratch. */
const messageArb: fc.Arbitrary<Message> = fc.oneof({ arbitrary: anyMessageArb, weight: 12 }, largePieceArb)

/**
 * Push the chunks through one reused buffer, as a ring-reading transport
 * does: copy in, push, copy the piece blocks out, overwrite the buffer with
 * `garbage`. Returns the messages, or the error code the decoder threw.
 */
function runBorrowed (chunks: readonly Uint8Array[], garbage: number, maxMessageLength?: number): Message[] | string {
  const d = new FrameDecoder({ borrowedChunks: true, ...(maxMessageLength === undefined ? {} : { maxMessageLength }) })
  const ring = new Uint8Array(chunks.reduce((n, c) => Math.max(n, c.length), 0) + 2)
  const out: Message[] = []
  try {
    for (const [i, chunk] of chunks.entries()) {
      ring.set(chunk, 1)
      for (const m of d.push(ring.subarray(1, 1 + chunk.length))) out.push(m.type === 'piece' ? { ...m, block: m.block.slice() } : m)
      ring.fill((garbage + i) & 0xff)
    }
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError)
    return (e as ProtocolError).code
  }
  return out
}

function runPlain (chunks: readonly Uint8Array[], maxMessageLength?: number): Message[] | string {
  const d = new FrameDecoder(maxMessageLength === undefined ? {} : { maxMessageLength })
  const out: Message[] = []
  try {
    for (const chunk of chunks) out.push(...d.push(chunk))
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError)
    return (e as ProtocolError).code
  }
  return out
}

/** Equal message lists, compared by their (deterministic) encoding and types. */
function sameMessages (a: readonly Message[], b: readonly Message[]): boolean {
  return a.length === b.length &&
    a.every((m, i) => m.type === b[i]?.type) &&
    Buffer.compare(concat(a.map(encodeMessage)), concat(b.map(encodeMessage))) === 0
}

describe('FrameDecoder with borrowed chunks: properties', () => {
  it('decodes any message sequence intact, however chunked, with each chunk overwritten after its push', () => {
    fc.assert(fc.property(
      fc.array(messageArb, { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      fc.nat({ max: 255 }),
      (messages, points, garbage) => {
        const stream = concat(messages.map(encodeMessage))
        const got = runBorrowed(splitAt(stream, points, { copy: true }), garbage)
        expect(Array.isArray(got)).toBe(true)
        // Non-piece payloads were kept uncopied across every later push and overwrite.
        if (!sameMessages(got as Message[], messages)) expect(got).toEqual(messages)
      }
    ))
  })

  it('small chunks (1 to 40 bytes): every message intact', () => {
    fc.assert(fc.property(
      fc.array(messageArb.filter((m) => m.type !== 'piece' || m.block.length < 1000), { maxLength: 10 }),
      fc.integer({ min: 1, max: 40 }),
      fc.nat({ max: 255 }),
      (messages, size, garbage) => {
        const stream = concat(messages.map(encodeMessage))
        const points = Array.from({ length: Math.floor(stream.length / size) }, (_, i) => (i + 1) * size)
        const got = runBorrowed(splitAt(stream, points, { copy: true }), garbage)
        expect(Array.isArray(got)).toBe(true)
        if (!sameMessages(got as Message[], messages)) expect(got).toEqual(messages)
      }
    ))
  })

  it('on arbitrary bytes, borrowed mode with overwriting gives what the default mode gives on the whole input', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 400 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      fc.integer({ min: 0, max: 300 }),
      fc.nat({ max: 255 }),
      (input, points, max, garbage) => {
        const expected = runPlain([input.slice()], max)
        const got = runBorrowed(splitAt(input, points, { copy: true }), garbage, max)
        if (typeof expected === 'string') {
          expect(got).toBe(expected)
        } else {
          expect(Array.isArray(got)).toBe(true)
          if (!sameMessages(got as Message[], expected)) expect(got).toEqual(expected)
        }
      }
    ))
  })
})
