import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../../../lib/errors.js'
import { encodeMessage } from '../../../lib/wire/encode-message.js'
import { FrameDecoder, type FrameDecoderOptions } from '../../../lib/wire/frame-decoder.js'
import type { Message } from '../../../lib/wire/types.js'

function concat (parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

const seq = (length: number, salt: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 7 + salt) & 0xff)

/** Every message type, with pieces back to back so a split piece can end where the next one starts. */
const messages: Message[] = [
  { type: 'keep-alive' },
  { type: 'bitfield', bits: seq(23, 1) },
  { type: 'have', index: 0x01020304 },
  { type: 'piece', index: 1, begin: 16384, block: seq(40, 2) },
  { type: 'piece', index: 1, begin: 32768, block: seq(33, 3) },
  { type: 'extended', id: 0, payload: seq(30, 4) },
  { type: 'request', index: 5, begin: 0x4000, length: 0x4000 },
  { type: 'choke' },
  { type: 'unchoke' },
  { type: 'interested' },
  { type: 'not-interested' },
  { type: 'piece', index: 2, begin: 0, block: new Uint8Array(0) },
  { type: 'cancel', index: 6, begin: 16, length: 32 },
  { type: 'port', port: 6881 },
  { type: 'keep-alive' },
  { type: 'suggest-piece', index: 9 },
  { type: 'have-all' },
  { type: 'have-none' },
  { type: 'reject-request', index: 7, begin: 8, length: 9 },
  { type: 'allowed-fast', index: 11 },
  { type: 'extended', id: 3, payload: seq(12, 5) },
  { type: 'unknown', id: 0xfe, payload: seq(9, 6) },
  { type: 'piece', index: 3, begin: 0, block: seq(21, 7) },
  { type: 'bitfield', bits: seq(5, 8) },
  { type: 'piece', index: 4, begin: 4, block: seq(18, 9) }
]
const stream = concat(messages.map(encodeMessage))

/**
 * Decode `chunks` the way a ring-reading transport delivers them: each chunk
 * is copied into one reused buffer (at a non-zero offset), pushed, the piece
 * blocks of the result copied, and then the buffer is overwritten with
 * garbage before the next chunk. Non-piece messages are kept as returned.
 */
function decodeBorrowed (chunks: readonly Uint8Array[], options: FrameDecoderOptions = {}): Message[] {
  const decoder = new FrameDecoder({ ...options, borrowedChunks: true })
  const longest = chunks.reduce((n, c) => Math.max(n, c.length), 0)
  const ring = new Uint8Array(longest + 8)
  const out: Message[] = []
  let round = 0
  for (const chunk of chunks) {
    ring.set(chunk, 3)
    for (const m of decoder.push(ring.subarray(3, 3 + chunk.length))) {
      out.push(m.type === 'piece' ? { ...m, block: m.block.slice() } : m)
    }
    ring.fill((0xa5 + 31 * round++) & 0xff)
  }
  expect(decoder.buffered).toBe(0)
  return out
}

/** Decode with the default (non-borrowed) mode, keeping every result uncopied and the chunks untouched. */
function decodeKept (chunks: readonly Uint8Array[]): Message[] {
  const decoder = new FrameDecoder()
  const out: Message[] = []
  for (const chunk of chunks) out.push(...decoder.push(chunk))
  expect(decoder.buffered).toBe(0)
  return out
}

/** Fresh copies of `data` cut at `cuts` (sorted offsets). */
function cut (data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const parts: Uint8Array[] = []
  let from = 0
  for (const c of [...cuts, data.length]) { parts.push(data.slice(from, c)); from = c }
  return parts
}

/**
 * Assert `out` equals `expected` by re-encoding (the encoder is deterministic,
 * so equal bytes mean equal messages); deep equality only to report a failure.
 * Encoding reads every payload now, after all pushes and overwrites.
 */
function expectSame (out: readonly Message[], expected: readonly Message[], label: string): void {
  const same = out.length === expected.length &&
    Buffer.compare(concat(out.map(encodeMessage)), concat(expected.map(encodeMessage))) === 0 &&
    out.every((m, i) => m.type === expected[i]?.type)
  if (!same) expect(out, label).toEqual(expected)
}

function fixed (data: Uint8Array, size: number): Uint8Array[] {
  const parts: Uint8Array[] = []
  for (let at = 0; at < data.length; at += size) parts.push(data.slice(at, at + size))
  return parts
}

describe('FrameDecoder with borrowedChunks', () => {
  it('decodes every message intact with the chunk overwritten after each push, at every split point', () => {
    for (let k = 0; k <= stream.length; k++) {
      expectSame(decodeBorrowed(cut(stream, [k])), messages, `split at ${k}`)
    }
  })

  it('decodes every message intact for every fixed chunk size', () => {
    for (let size = 1; size <= stream.length; size++) {
      expectSame(decodeBorrowed(fixed(stream, size)), messages, `chunks of ${size}`)
    }
  })

  it('decodes every message intact at every pair of split points of a shorter stream', () => {
    const few = messages.slice(1, 6)
    const s = concat(few.map(encodeMessage))
    for (let i = 0; i <= s.length; i++) {
      for (let j = i; j <= s.length; j++) {
        expectSame(decodeBorrowed(cut(s, [i, j])), few, `split at ${i}, ${j}`)
      }
    }
  })

  it('keeps non-piece payloads (bitfield bits, extended and unknown payloads) intact across later pushes', () => {
    const chunks = fixed(stream, 7)
    const out = decodeBorrowed(chunks)
    const bitfield = out.find((m) => m.type === 'bitfield')
    const extended = out.filter((m) => m.type === 'extended')
    const unknown = out.find((m) => m.type === 'unknown')
    expect(bitfield).toEqual({ type: 'bitfield', bits: seq(23, 1) })
    expect(extended).toEqual([{ type: 'extended', id: 0, payload: seq(30, 4) }, { type: 'extended', id: 3, payload: seq(12, 5) }])
    expect(unknown).toEqual({ type: 'unknown', id: 0xfe, payload: seq(9, 6) })
  })

  it('a non-piece payload inside one chunk is a copy, not a view of the borrowed chunk', () => {
    const chunk = encodeMessage({ type: 'bitfield', bits: seq(10, 1) })
    const [m] = new FrameDecoder({ borrowedChunks: true }).push(chunk)
    chunk.fill(0)
    expect(m).toEqual({ type: 'bitfield', bits: seq(10, 1) })
  })

  it('a piece block inside one chunk is a view of that chunk (no copy)', () => {
    const chunk = encodeMessage({ type: 'piece', index: 0, begin: 0, block: seq(100, 3) })
    const [m] = new FrameDecoder({ borrowedChunks: true }).push(chunk)
    expect(m?.type).toBe('piece')
    const block = (m as Extract<Message, { type: 'piece' }>).block
    expect(block.buffer).toBe(chunk.buffer)
    expect(block).toEqual(seq(100, 3))
  })

  it('split pieces bigger than the reused scratch (64 KiB) and pieces at block size come out intact', () => {
    const big: Message[] = [
      { type: 'piece', index: 0, begin: 0, block: seq(100_000, 1) },
      { type: 'piece', index: 0, begin: 16384, block: seq(16384, 2) },
      { type: 'have', index: 1 },
      { type: 'piece', index: 0, begin: 32768, block: seq(16384, 3) },
      { type: 'piece', index: 0, begin: 49152, block: seq(70_000, 4) },
      { type: 'bitfield', bits: seq(3000, 5) },
      { type: 'piece', index: 0, begin: 65536, block: seq(16384, 6) }
    ]
    const s = concat(big.map(encodeMessage))
    for (const size of [1000, 4096, 16397, 16400, 65536, 65536 + 13, 99_999]) {
      expectSame(decodeBorrowed(fixed(s, size)), big, `chunks of ${size}`)
    }
  })

  it('reports the bytes held for an incomplete frame', () => {
    const frame = encodeMessage({ type: 'piece', index: 1, begin: 2, block: seq(20, 1) })
    expect(frame.length).toBe(33)
    for (const borrowedChunks of [true, false]) {
      const d = new FrameDecoder({ borrowedChunks })
      expect(d.buffered).toBe(0)
      expect(d.push(frame.slice(0, 2))).toEqual([])
      expect(d.buffered).toBe(2)
      expect(d.push(frame.slice(2, 4))).toEqual([])
      expect(d.buffered).toBe(4)
      expect(d.push(frame.slice(4, 15))).toEqual([])
      expect(d.buffered).toBe(15)
      expect(d.push(new Uint8Array(0))).toEqual([])
      expect(d.buffered).toBe(15)
      const out = d.push(frame.slice(15, 33 + 3))
      expect(out).toEqual([{ type: 'piece', index: 1, begin: 2, block: seq(20, 1) }])
      expect(d.buffered).toBe(0)
      // A frame start in the same chunk: the whole frame is held from its prefix on.
      expect(d.push(concat([frame, frame.slice(0, 6)]))).toHaveLength(1)
      expect(d.buffered).toBe(6)
    }
  })

  it('the limits hold in borrowed mode too', () => {
    const d = new FrameDecoder({ borrowedChunks: true, maxMessageLength: 100 })
    const frame = encodeMessage({ type: 'bitfield', bits: new Uint8Array(100) })
    expect(() => d.push(frame.slice(0, 4))).toThrow(ProtocolError)
    expect(() => d.push(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'message-too-large' }))
  })
})

describe('FrameDecoder without borrowedChunks', () => {
  it('keeps every payload valid across pushes, at every split point', () => {
    for (let k = 0; k <= stream.length; k++) {
      expectSame(decodeKept(cut(stream, [k])), messages, `split at ${k}`)
    }
  })

  it('keeps every payload valid across pushes for every fixed chunk size', () => {
    for (let size = 1; size <= stream.length; size++) {
      expectSame(decodeKept(fixed(stream, size)), messages, `chunks of ${size}`)
    }
  })
})
