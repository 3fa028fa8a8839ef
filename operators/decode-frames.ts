import { FrameDecoder } from '../lib/wire/frame-decoder.js'
import type { FrameDecoderOptions } from '../lib/wire/frame-decoder.js'
import type { Message } from '../lib/wire/types.js'

/**
 * Decode the message stream that follows the handshake: one await per
 * chunk, yielding every message the chunk completes as one array (chunks
 * that complete nothing yield nothing). PIECE blocks are views into the
 * received chunks where possible (see `FrameDecoder`).
 *
 * Backpressure: reads the next chunk only when the consumer pulls.
 * Completion: ends when the source ends; bytes of an unfinished frame at
 * that point are discarded (the peer closed mid-message).
 * @throws ProtocolError `message-too-large` (disconnect) at a length prefix
 *   over `maxMessageLength`, before any of the body is buffered; the
 *   decoder's errors for malformed messages.
 * @see BEP 3 (framing), ADVERSARIAL C30
 */
export function decodeFrames (options: FrameDecoderOptions = {}): (source: AsyncIterable<Uint8Array>) => AsyncIterable<Message[]> {
  return async function * decode (source) {
    const decoder = new FrameDecoder(options)
    for await (const chunk of source) {
      const messages = decoder.push(chunk)
      if (messages.length > 0) yield messages
    }
  }
}
