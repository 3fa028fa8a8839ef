import { BEP3 } from '../constants.js'
import { UsageError } from '../errors.js'
import { checkProtocolByte, decodeHandshake, INFO_HASH_OFFSET, PEER_ID_OFFSET, PROTOCOL_HEADER, RESERVED_OFFSET } from './handshake.js'
import type { Handshake } from './types.js'

/** The part of a handshake before the peer id: enough to pick the torrent. */
export interface HandshakeHeader {
  readonly reserved: Uint8Array
  readonly infoHash: Uint8Array
}

/** A complete handshake and the bytes that followed it in the same chunk. */
export interface HandshakeReadResult {
  readonly handshake: Handshake
  /** Bytes read past the handshake: the start of the message stream (a view, possibly empty). */
  readonly rest: Uint8Array
}

/** Options of {@link HandshakeReader}. */
export interface HandshakeReaderOptions {
  /**
   * Called synchronously, once, as soon as the first 48 bytes (protocol,
   * reserved, info-hash) are in — before the peer id arrives. A listener looks
   * the torrent up here and throws (e.g. HandshakeError `unknown-info-hash`)
   * to refuse it; the error propagates out of `push` and fails the reader.
   */
  readonly onInfoHash?: (header: HandshakeHeader) => void
}

/**
 * Reads exactly one 68-byte handshake from a byte stream fed in chunks of any
 * size, and hands back the bytes read ahead.
 *
 * Two stages: after the push that brings the 48th byte, `header` holds the
 * reserved bytes and info-hash (and `onInfoHash` has run), so a listener can
 * pick the torrent and send its own handshake before the peer id arrives —
 * some peers wait for ours before sending theirs. The push that brings the
 * 68th byte returns `{ handshake, rest }`; `rest` is a view of that chunk
 * and goes to the frame decoder.
 *
 * The protocol header is checked byte by byte as it arrives: a wrong pstrlen
 * fails on byte 0, a wrong protocol string at its first wrong byte.
 * After a throw every later `push` rethrows the same error.
 * @see BEP 3, ADVERSARIAL C29
 */
export class HandshakeReader {
  readonly #buffer = new Uint8Array(BEP3.HANDSHAKE_LENGTH)
  readonly #onInfoHash: ((header: HandshakeHeader) => void) | undefined
  #filled = 0
  #header: HandshakeHeader | undefined
  #done = false
  #failed = false
  #failure: unknown

  constructor (options: HandshakeReaderOptions = {}) {
    this.#onInfoHash = options.onInfoHash
  }

  /** Bytes of the handshake received so far (0–68). */
  get received (): number { return this.#filled }

  /** The reserved bytes and info-hash, once 48 bytes are in; copies. */
  get header (): HandshakeHeader | undefined { return this.#header }

  /** True once the whole handshake was returned. */
  get done (): boolean { return this.#done }

  /**
   * Take bytes of the handshake from `chunk`.
   * @returns the handshake and the bytes after it once 68 bytes are in, else undefined.
   * @throws HandshakeError `bad-protocol` (disconnect) on a wrong pstrlen or
   *   protocol string; whatever `onInfoHash` throws; UsageError
   *   `handshake-complete` when called after the handshake was returned.
   */
  push (chunk: Uint8Array): HandshakeReadResult | undefined {
    if (this.#failed) throw this.#failure
    if (this.#done) throw new UsageError('handshake-complete', 'the handshake was already read; pass further bytes to the frame decoder')
    try {
      return this.#push(chunk)
    } catch (err) {
      this.#failed = true
      this.#failure = err
      throw err
    }
  }

  #push (chunk: Uint8Array): HandshakeReadResult | undefined {
    const start = this.#filled
    const take = Math.min(BEP3.HANDSHAKE_LENGTH - start, chunk.length)
    this.#buffer.set(chunk.subarray(0, take), start)
    this.#filled = start + take
    const protocolEnd = Math.min(this.#filled, PROTOCOL_HEADER.length)
    for (let i = start; i < protocolEnd; i++) checkProtocolByte(this.#buffer, i)
    if (this.#header === undefined && this.#filled >= PEER_ID_OFFSET) {
      this.#header = {
        reserved: this.#buffer.slice(RESERVED_OFFSET, INFO_HASH_OFFSET),
        infoHash: this.#buffer.slice(INFO_HASH_OFFSET, PEER_ID_OFFSET)
      }
      this.#onInfoHash?.(this.#header)
    }
    if (this.#filled < BEP3.HANDSHAKE_LENGTH) return undefined
    this.#done = true
    return { handshake: decodeHandshake(this.#buffer), rest: chunk.subarray(take) }
  }
}
