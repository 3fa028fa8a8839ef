import { describe, it, expect } from 'vitest'
import { FrameDecoder } from '../../../lib/wire/frame-decoder.js'
import { encodeMessage } from '../../../lib/wire/encode-message.js'
import { ProtocolError } from '../../../lib/errors.js'
import type { Message } from '../../../lib/wire/types.js'

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

const sample: Message[] = [
  { type: 'keep-alive' },
  { type: 'have', index: 3 },
  { type: 'keep-alive' },
  { type: 'piece', index: 1, begin: 16384, block: Uint8Array.from({ length: 37 }, (_, i) => i) },
  { type: 'bitfield', bits: Uint8Array.of(0xaa) },
  { type: 'extended', id: 0, payload: Uint8Array.of(100, 101) },
  { type: 'unknown', id: 0xff, payload: Uint8Array.of(7) },
  { type: 'choke' }
]
const stream = concat(sample.map(encodeMessage))

function thrown (f: () => unknown): ProtocolError {
  try { f() } catch (e) { expect(e).toBeInstanceOf(ProtocolError); return e as ProtocolError }
  throw new Error('expected a ProtocolError')
}

describe('FrameDecoder', () => {
  it('decodes every frame of one chunk synchronously', () => {
    expect(new FrameDecoder().push(stream)).toEqual(sample)
  })

  it('decodes a keep-alive (length 0)', () => {
    expect(new FrameDecoder().push(new Uint8Array(4))).toEqual([{ type: 'keep-alive' }])
  })

  it('returns [] for an incomplete frame and never throws for need-more-bytes', () => {
    const d = new FrameDecoder()
    expect(d.push(new Uint8Array(0))).toEqual([])
    expect(d.push(Uint8Array.of(0, 0))).toEqual([])
    expect(d.buffered).toBe(2)
    expect(d.push(Uint8Array.of(0, 5, 4, 0))).toEqual([])
    expect(d.buffered).toBe(6)
    expect(d.push(Uint8Array.of(0, 0, 9))).toEqual([{ type: 'have', index: 9 }])
    expect(d.buffered).toBe(0)
  })

  it('gives the same messages when the stream is split at every single point', () => {
    for (let i = 0; i <= stream.length; i++) {
      const d = new FrameDecoder()
      const got = [...d.push(stream.subarray(0, i)), ...d.push(stream.subarray(i))]
      expect(got).toEqual(sample)
      expect(d.buffered).toBe(0)
    }
  })

  it('gives the same messages when the stream is split at every pair of points', () => {
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j++) {
        const d = new FrameDecoder()
        const got = [...d.push(stream.subarray(0, i)), ...d.push(stream.subarray(i, j)), ...d.push(stream.subarray(j))]
        expect(got).toEqual(sample)
      }
    }
  })

  it('gives the same messages fed one byte at a time', () => {
    const d = new FrameDecoder()
    const got: Message[] = []
    for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)))
    expect(got).toEqual(sample)
  })

  it('a PIECE wholly inside one chunk is a view into that chunk (no copy)', () => {
    const frame = encodeMessage({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(16384).fill(7) })
    const chunk = concat([encodeMessage({ type: 'unchoke' }), frame])
    const [, piece] = new FrameDecoder().push(chunk)
    if (piece?.type !== 'piece') throw new Error('not a piece')
    expect(piece.block.buffer).toBe(chunk.buffer)
    expect(piece.block.byteOffset).toBe(5 + 13)
  })

  it('C30: a prefix of 0xFFFFFFF0 trickled byte by byte throws message-too-large once the prefix is complete, buffering nothing more', () => {
    const d = new FrameDecoder()
    const prefix = Uint8Array.of(0xff, 0xff, 0xff, 0xf0)
    for (let i = 0; i < 3; i++) {
      expect(d.push(prefix.subarray(i, i + 1))).toEqual([])
      expect(d.buffered).toBe(i + 1)
    }
    const err = thrown(() => d.push(prefix.subarray(3)))
    expect(err.code).toBe('message-too-large')
    expect(err.disposition).toBe('disconnect')
    expect(d.buffered).toBeLessThanOrEqual(4)
    // Further bytes are refused without being buffered.
    expect(thrown(() => d.push(new Uint8Array(1000))).code).toBe('message-too-large')
    expect(d.buffered).toBeLessThanOrEqual(4)
  })

  it('C30: a prefix just over 1 MiB (+13) is rejected at the prefix even with body bytes in the same chunk', () => {
    const d = new FrameDecoder()
    const chunk = new Uint8Array(4 + 100)
    new DataView(chunk.buffer).setUint32(0, 1024 * 1024 + 14)
    expect(thrown(() => d.push(chunk)).code).toBe('message-too-large')
    expect(d.buffered).toBe(0)
  })

  it('C30: a frame at exactly the limit is accepted', () => {
    const d = new FrameDecoder({ maxMessageLength: 9 + 16 })
    const frame = encodeMessage({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(16) })
    expect(d.push(frame)).toHaveLength(1)
    const over = encodeMessage({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(17) })
    expect(thrown(() => d.push(over)).code).toBe('message-too-large')
  })

  it('maxBufferedBytes also bounds the frame size', () => {
    const d = new FrameDecoder({ maxBufferedBytes: 4 + 5 })
    expect(d.push(encodeMessage({ type: 'have', index: 1 }))).toHaveLength(1)
    expect(thrown(() => d.push(encodeMessage({ type: 'bitfield', bits: new Uint8Array(5) }))).code).toBe('message-too-large')
  })

  it('C32: a wrong payload length inside a frame throws bad-length, and the decoder stays failed', () => {
    const d = new FrameDecoder()
    const bad = Uint8Array.of(0, 0, 0, 7, 4, 0, 0, 0, 1, 0, 0) // HAVE with a 6-byte payload
    expect(thrown(() => d.push(bad)).code).toBe('bad-length')
    expect(thrown(() => d.push(encodeMessage({ type: 'choke' }))).code).toBe('bad-length')
  })

  it('C31: unknown id 0xff is returned as the unknown variant', () => {
    expect(new FrameDecoder().push(Uint8Array.of(0, 0, 0, 1, 0xff))).toEqual([{ type: 'unknown', id: 0xff, payload: new Uint8Array(0) }])
  })
})
