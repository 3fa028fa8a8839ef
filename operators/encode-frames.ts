import { encodedLength, encodeMessageInto } from '../lib/wire/encode-message.js'
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
      let i = 0
      while (i < batch.length) {
        const m = batch[i] as Outbound
        if (m instanceof Uint8Array) {
          if (m.length > 0) yield m
          i++
          continue
        }
        // A run of messages, up to `limit` bytes (at least one), encoded
        // straight into one chunk.
        let end = i
        let bytes = 0
        while (end < batch.length) {
          const next = batch[end] as Outbound
          if (next instanceof Uint8Array) break
          const n = encodedLength(next)
          if (end > i && bytes + n > limit) break
          bytes += n
          end++
        }
        const chunk = new Uint8Array(bytes)
        let at = 0
        for (let k = i; k < end; k++) at += encodeMessageInto(batch[k] as Message, chunk, at)
        yield chunk
        i = end
      }
    }
  }
}
