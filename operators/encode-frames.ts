import { encodeMessage } from '../lib/wire/encode-message.js'
import type { Message } from '../lib/wire/types.js'

/** An outbound frame: a message to encode, or bytes already encoded (a handshake, a piece header, a block view). */
export type Outbound = Message | Uint8Array

/** Options of {@link encodeFrames}. */
export interface EncodeFramesOptions {
  /** Consecutive encoded messages are joined into one chunk up to this many bytes. Default 16 KiB. */
  readonly coalesceBytes?: number
}

/**
 * Encode outbound frames into chunks for a duplex `sink`. Consecutive
 * messages of one batch are encoded and joined into a single chunk (up to
 * `coalesceBytes`), so a burst of control messages is one write; a
 * pre-encoded `Uint8Array` (a piece header, a block view into storage's
 * buffer) is passed through untouched, never copied.
 *
 * Backpressure: pulls the next batch only when the sink pulls. Completes when
 * the source completes; errors from the source pass through.
 * @throws UsageError `bad-message` from `encodeMessage` for a message with out-of-range fields (our own bug)
 * @see BEP 3 (message framing)
 */
export function encodeFrames (options: EncodeFramesOptions = {}): (source: AsyncIterable<Outbound | Outbound[]>) => AsyncIterable<Uint8Array> {
  const limit = options.coalesceBytes ?? 16 * 1024
  return async function * encode (source) {
    for await (const item of source) {
      const batch = Array.isArray(item) ? item : [item]
      let pending: Uint8Array[] = []
      let pendingBytes = 0
      for (const m of batch) {
        if (m instanceof Uint8Array) {
          if (pending.length > 0) yield join(pending, pendingBytes)
          pending = []
          pendingBytes = 0
          if (m.length > 0) yield m
          continue
        }
        const frame = encodeMessage(m)
        if (pending.length > 0 && pendingBytes + frame.length > limit) {
          yield join(pending, pendingBytes)
          pending = []
          pendingBytes = 0
        }
        pending.push(frame)
        pendingBytes += frame.length
      }
      if (pending.length > 0) yield join(pending, pendingBytes)
    }
  }
}

function join (frames: Uint8Array[], total: number): Uint8Array {
  if (frames.length === 1) return frames[0] as Uint8Array
  const out = new Uint8Array(total)
  let at = 0
  for (const f of frames) {
    out.set(f, at)
    at += f.length
  }
  return out
}
