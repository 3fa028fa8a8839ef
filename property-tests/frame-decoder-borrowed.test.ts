import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ProtocolError } from '../lib/errors.js'
import { encodeMessage } from '../lib/wire/encode-message.js'
import { FrameDecoder } from '../lib/wire/frame-decoder.js'
import type { Message } from '../lib/wire/types.js'

const KNOWN_IDS = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 20])
const u32 = fc.nat({ max: 0xffffffff })
const bytes = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength })
const triple = { index: u32, begin: u32, length: u32 }

/** Any message of the union; pieces mostly small, sometimes larger than the decoder's 64 KiB scratch. */
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
  { arbitrary: fc.record({ type: fc.constant('piece' as const), index: u32, begin: u32, block: bytes(300) }), weight: 4 },
  fc.record({
    type: fc.constant('piece' as const),
    index: u32,
    begin: u32,
    block: fc.tuple(fc.integer({ min: 60_000, max: 70_000 }), fc.nat({ max: 255 })).map(([n, salt]) => Uint8Array.from({ length: n }, (_, i) => (i + salt) & 0xff))
  }),
  fc.record({ type: fc.constant('port' as const), port: fc.nat({ max: 0xffff }) }),
  fc.record({ type: fc.constant('extended' as const), id: fc.nat({ max: 255 }), payload: bytes(100) }),
  fc.record({
    type: fc.constant('unknown' as const),
    id: fc.nat({ max: 255 }).filter((id) => !KNOWN_IDS.has(id)),
    payload: bytes(50)
  })
)

/** Fresh copies of `data` cut at the given (unsorted, possibly repeated) points. */
function splitAt (data: Uint8Array, points: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(points.map((p) => p % (data.length + 1)))].sort((a, b) => a - b)
  const parts: Uint8Array[] = []
  let last = 0
  for (const c of cuts) { parts.push(data.slice(last, c)); last = c }
  parts.push(data.slice(last))
  return parts
}

function concat (parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

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
        const got = runBorrowed(splitAt(stream, points), garbage)
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
        const got = runBorrowed(splitAt(stream, points), garbage)
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
        const got = runBorrowed(splitAt(input, points), garbage, max)
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
