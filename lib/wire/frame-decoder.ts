import { BEP3, BEP5, BEP6, LIMITS } from '../constants.js'
import { ProtocolError } from '../errors.js'
import { decodeMessage, decodeMessageAt } from './decode-message.js'
import { LENGTH_PREFIX_BYTES } from './encode-message.js'
import type { Message } from './types.js'

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Largest frame body (the length prefix's value) accepted. Default `LIMITS.maxMessageLength`. */
  readonly maxMessageLength?: number
  /**
   * Most bytes held between pushes (an incomplete frame, prefix included).
   * A frame that could not be held is rejected at its prefix, like one over
   * `maxMessageLength`. Default `maxMessageLength + 4`.
   */
  readonly maxBufferedBytes?: number
  /**
   * The chunks pushed are borrowed: their memory is reused once the next
   * chunk is pushed (a transport reading into a ring of buffers). Every
   * payload except a PIECE block is then copied, and a PIECE block (a view of
   * the chunk, or of a buffer the decoder reuses) must be consumed or copied
   * before the next `push`. Default false: payloads may be kept.
   */
  readonly borrowedChunks?: boolean
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
 * reuse a chunk's buffer after pushing it, unless `borrowedChunks` says so.
 * Only the bytes of a frame split across chunks are copied, as they arrive,
 * so the decoder never holds on to a chunk.
 *
 * After a throw the decoder is failed: every later `push` rethrows the same error.
 * @see BEP 3 (framing), ADVERSARIAL C30
 */
export class FrameDecoder {
  readonly #maxMessageLength: number
  readonly #borrowed: boolean
  /** The length prefix of the next frame while it is incomplete. */
  readonly #prefix = new Uint8Array(LENGTH_PREFIX_BYTES)
  #prefixLength = 0
  /** Body length of the frame being gathered, or -1 while its prefix is incomplete. */
  #bodyLength = -1
  /** The gathered part of a frame split across chunks (grown as bytes arrive). */
  #body: Uint8Array = new Uint8Array(0)
  #bodyFill = 0
  /**
   * Borrowed mode: two buffers, used in turn, for split frames that fit. A
   * frame completed at the start of a chunk may still be in use while the
   * next split frame starts at its end, so they never share one.
   */
  readonly #scratch: Array<Uint8Array | undefined> = [undefined, undefined]
  #turn = 0
  #failure: ProtocolError | undefined

  constructor (options: FrameDecoderOptions = {}) {
    const maxMessageLength = options.maxMessageLength ?? LIMITS.maxMessageLength
    const maxBuffered = options.maxBufferedBytes ?? maxMessageLength + LENGTH_PREFIX_BYTES
    this.#maxMessageLength = Math.max(0, Math.min(maxMessageLength, maxBuffered - LENGTH_PREFIX_BYTES))
    this.#borrowed = options.borrowedChunks === true
  }

  /** Bytes held for an incomplete frame (its prefix included). */
  get buffered (): number {
    return this.#bodyLength >= 0 ? LENGTH_PREFIX_BYTES + this.#bodyFill : this.#prefixLength
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
    if (this.#bodyLength < 0 && this.#prefixLength > 0) {
      // A prefix split across chunks: complete it first.
      const take = Math.min(LENGTH_PREFIX_BYTES - this.#prefixLength, chunk.length)
      this.#prefix.set(chunk.subarray(0, take), this.#prefixLength)
      this.#prefixLength += take
      pos = take
      if (this.#prefixLength < LENGTH_PREFIX_BYTES) return out
      this.#prefixLength = 0
      const p = this.#prefix
      this.#startBody((((p[0] as number) << 24) | ((p[1] as number) << 16) | ((p[2] as number) << 8) | (p[3] as number)) >>> 0)
    }
    if (this.#bodyLength >= 0) {
      // A body split across chunks: gather the rest of it (copied, so the
      // chunks it came from are not held).
      const take = Math.min(this.#bodyLength - this.#bodyFill, chunk.length - pos)
      this.#gather(chunk.subarray(pos, pos + take))
      pos += take
      if (this.#bodyFill < this.#bodyLength) return out
      const body = this.#body.subarray(0, this.#bodyLength)
      this.#bodyLength = -1
      this.#bodyFill = 0
      this.#body = new Uint8Array(0)
      out.push(this.#frame(body))
    }
    // Fast path: whole frames inside this chunk are decoded from views.
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    while (chunk.length - pos >= LENGTH_PREFIX_BYTES) {
      const length = view.getUint32(pos)
      this.#check(length)
      const start = pos + LENGTH_PREFIX_BYTES
      if (chunk.length - start < length) {
        this.#startBody(length)
        this.#gather(chunk.subarray(start))
        return out
      }
      out.push(this.#frameAt(chunk, start, length))
      pos = start + length
    }
    if (pos < chunk.length) {
      this.#prefix.set(chunk.subarray(pos))
      this.#prefixLength = chunk.length - pos
    }
    return out
  }

  #startBody (length: number): void {
    this.#check(length)
    this.#bodyLength = length
    this.#bodyFill = 0
  }

  /** Append bytes of the split frame, growing its buffer by doubling up to the frame's length. */
  #gather (bytes: Uint8Array): void {
    if (bytes.length === 0) return
    const need = this.#bodyFill + bytes.length
    if (need > this.#body.length) {
      let next: Uint8Array
      if (this.#borrowed && this.#bodyLength <= SCRATCH_BYTES) {
        // A split frame fits its whole length at once, so this runs once per frame.
        this.#turn ^= 1
        next = this.#scratch[this.#turn] ??= new Uint8Array(SCRATCH_BYTES)
      } else {
        next = new Uint8Array(Math.min(this.#bodyLength, Math.max(need, 2 * this.#body.length, 64 * 1024)))
      }
      if (next !== this.#body) next.set(this.#body.subarray(0, this.#bodyFill))
      this.#body = next
    }
    this.#body.set(bytes, this.#bodyFill)
    this.#bodyFill = need
  }

  /**
   * Decode one frame's body. With borrowed chunks, every payload but a
   * PIECE block is copied, since the consumer may keep it; a block is left a
   * view for the consumer to copy before it pulls again.
   */
  /** The frame of `length` bytes at `start` of `chunk`: fixed-size messages are read in place, without a view. */
  #frameAt (chunk: Uint8Array, start: number, length: number): Message {
    if (length > 0 && NUMBERS_ONLY.has(chunk[start] as number)) return decodeMessageAt(chunk[start] as number, chunk, start + 1, length - 1)
    return this.#frame(chunk.subarray(start, start + length))
  }

  #frame (body: Uint8Array): Message {
    // Borrowed bytes are copied only for messages that keep a view of them (a PIECE block is the consumer's to copy).
    if (this.#borrowed && body.length > 0 && !NUMBERS_ONLY.has(body[0] as number) && body[0] !== BEP3.PIECE) return frame(body.slice())
    return frame(body)
  }

  #check (length: number): void {
    if (length > this.#maxMessageLength) {
      throw new ProtocolError('message-too-large', `frame of ${length} bytes exceeds the limit of ${this.#maxMessageLength}`, {
        details: { length, max: this.#maxMessageLength }
      })
    }
  }
}

/** Split frames up to this size are gathered in one reused buffer in borrowed mode. */
const SCRATCH_BYTES = 64 * 1024

/** Message ids whose decoded form holds only numbers, never a view of the payload. */
const NUMBERS_ONLY: ReadonlySet<number> = new Set([
  BEP3.CHOKE, BEP3.UNCHOKE, BEP3.INTERESTED, BEP3.NOT_INTERESTED, BEP3.HAVE, BEP3.REQUEST, BEP3.CANCEL, BEP5.PORT,
  BEP6.SUGGEST_PIECE, BEP6.HAVE_ALL, BEP6.HAVE_NONE, BEP6.REJECT_REQUEST, BEP6.ALLOWED_FAST
])

function frame (body: Uint8Array): Message {
  if (body.length === 0) return { type: 'keep-alive' }
  return decodeMessage(body[0] as number, body.subarray(1))
}
