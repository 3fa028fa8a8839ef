import { Uint8ArrayList } from 'uint8arraylist'
import { LIMITS } from '../constants.js'
import { ProtocolError } from '../errors.js'
import { decodeMessage } from './decode-message.js'
import { LENGTH_PREFIX_BYTES } from './encode-message.js'
import type { Message } from './types.js'

export interface FrameDecoderOptions {
  /** Largest frame body (the length prefix's value) accepted. Default `LIMITS.maxMessageLength`. */
  readonly maxMessageLength?: number
  /**
   * Most bytes held between pushes (an incomplete frame, prefix included).
   * A frame that could not be held is rejected at its prefix, like one over
   * `maxMessageLength`. Default `maxMessageLength + 4`.
   */
  readonly maxBufferedBytes?: number
}

/**
 * Incremental decoder of the length-prefixed message stream that follows the
 * handshake. Feed it chunks as they arrive; each `push` returns every message
 * completed by that chunk, synchronously (`[]` when none is).
 *
 * Limits: a length prefix above the limit is rejected as soon as its fourth
 * byte arrives, before any of the body is buffered, so a peer cannot make us
 * hold more than one frame.
 *
 * Copies: a frame lying wholly inside one chunk is decoded from a view of that
 * chunk, so PIECE blocks (and other payloads) share the chunk's memory — do not
 * reuse a chunk's buffer after pushing it. Only a frame split across chunks is
 * gathered, and only that frame is copied.
 *
 * After a throw the decoder is failed: every later `push` rethrows the same error.
 * @see BEP 3 (framing), ADVERSARIAL C30
 */
export class FrameDecoder {
  readonly #maxMessageLength: number
  /** Held bytes of an incomplete frame: its prefix, then (once parsed) its body. */
  readonly #pending = new Uint8ArrayList()
  /** Body length of the frame being gathered, or -1 while its prefix is incomplete. */
  #bodyLength = -1
  #failure: ProtocolError | undefined

  constructor (options: FrameDecoderOptions = {}) {
    const maxMessageLength = options.maxMessageLength ?? LIMITS.maxMessageLength
    const maxBuffered = options.maxBufferedBytes ?? maxMessageLength + LENGTH_PREFIX_BYTES
    this.#maxMessageLength = Math.max(0, Math.min(maxMessageLength, maxBuffered - LENGTH_PREFIX_BYTES))
  }

  /** Bytes held for an incomplete frame (its prefix included). */
  get buffered (): number {
    return this.#pending.byteLength + (this.#bodyLength >= 0 ? LENGTH_PREFIX_BYTES : 0)
  }

  /**
   * Decode every message completed by `chunk`.
   * @throws ProtocolError `message-too-large` (disconnect) at a length prefix
   *   over the limit; `bad-length` from `decodeMessage` for a wrong payload size.
   */
  push (chunk: Uint8Array): Message[] {
    if (this.#failure !== undefined) throw this.#failure
    try {
      return this.#push(chunk)
    } catch (err) {
      if (err instanceof ProtocolError) this.#failure = err
      throw err
    }
  }

  #push (chunk: Uint8Array): Message[] {
    const out: Message[] = []
    let pos = 0
    if (this.#bodyLength < 0 && this.#pending.byteLength > 0) {
      // A prefix split across chunks: complete it first.
      const take = Math.min(LENGTH_PREFIX_BYTES - this.#pending.byteLength, chunk.length)
      this.#pending.append(chunk.subarray(0, take))
      pos = take
      if (this.#pending.byteLength < LENGTH_PREFIX_BYTES) return out
      const length = this.#pending.getUint32(0)
      this.#pending.consume(LENGTH_PREFIX_BYTES)
      this.#startBody(length)
    }
    if (this.#bodyLength >= 0) {
      // A body split across chunks: gather the rest of it.
      const take = Math.min(this.#bodyLength - this.#pending.byteLength, chunk.length - pos)
      if (take > 0) this.#pending.append(chunk.subarray(pos, pos + take))
      pos += take
      if (this.#pending.byteLength < this.#bodyLength) return out
      const body = this.#pending.subarray()
      this.#pending.consume(this.#pending.byteLength)
      this.#bodyLength = -1
      out.push(frame(body))
    }
    // Fast path: whole frames inside this chunk are decoded from views.
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    while (chunk.length - pos >= LENGTH_PREFIX_BYTES) {
      const length = view.getUint32(pos)
      this.#check(length)
      const start = pos + LENGTH_PREFIX_BYTES
      if (chunk.length - start < length) {
        this.#bodyLength = length
        if (start < chunk.length) this.#pending.append(chunk.subarray(start))
        return out
      }
      out.push(frame(chunk.subarray(start, start + length)))
      pos = start + length
    }
    if (pos < chunk.length) this.#pending.append(chunk.subarray(pos))
    return out
  }

  #startBody (length: number): void {
    this.#check(length)
    this.#bodyLength = length
  }

  #check (length: number): void {
    if (length > this.#maxMessageLength) {
      throw new ProtocolError('message-too-large', `frame of ${length} bytes exceeds the limit of ${this.#maxMessageLength}`, {
        details: { length, max: this.#maxMessageLength }
      })
    }
  }
}

function frame (body: Uint8Array): Message {
  if (body.length === 0) return { type: 'keep-alive' }
  return decodeMessage(body[0] as number, body.subarray(1))
}
