/**
 * The peer wire codec: length-prefixed messages, the 68-byte handshake and
 * its reserved bits. Pure and synchronous; the streams live in `operators/`.
 *
 * @example
 * ```ts
 * // FrameDecoder, encodeMessage: exported by rxtorrent/lib
 *
 * const decoder = new FrameDecoder()
 * const bytes = encodeMessage({ type: 'have', index: 7 })
 * decoder.push(bytes.subarray(0, 3)) // → []
 * decoder.push(bytes.subarray(3))    // → [{ type: 'have', index: 7 }]
 * ```
 * @see BEP 3, BEP 4, BEP 5, BEP 6, BEP 10
 */
export type * from './types.js'
export { encodeMessage, encodePieceHeader, encodePieceHeaderInto, encodedLength, LENGTH_PREFIX_BYTES, PIECE_HEADER_BYTES } from './encode-message.js'
export { decodeMessage, messageName } from './decode-message.js'
export { FrameDecoder, type FrameDecoderOptions } from './frame-decoder.js'
export { encodeHandshake, decodeHandshake, PROTOCOL_HEADER, PSTRLEN } from './handshake.js'
export { HandshakeReader, type HandshakeHeader, type HandshakeReadResult, type HandshakeReaderOptions } from './handshake-reader.js'
export { makeReserved, hasReservedBit, capabilities, RESERVED_BYTES, type ReservedOptions } from './reserved.js'
