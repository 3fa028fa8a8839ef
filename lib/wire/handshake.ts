import { BEP3 } from '../constants.js'
import { HandshakeError, UsageError } from '../errors.js'
import { RESERVED_BYTES } from './reserved.js'
import type { Handshake } from './types.js'

/** Byte 0 of every handshake: the length of the protocol string. @see BEP 3 */
export const PSTRLEN = BEP3.PROTOCOL.length

/** The handshake's fixed start: pstrlen then `BitTorrent protocol`. */
export const PROTOCOL_HEADER: Uint8Array = Uint8Array.from([PSTRLEN, ...Array.from(BEP3.PROTOCOL, (c) => c.charCodeAt(0))])

/** Offset of the reserved bytes in the handshake. */
export const RESERVED_OFFSET = 1 + PSTRLEN
/** Offset of the info-hash in the handshake. */
export const INFO_HASH_OFFSET = RESERVED_OFFSET + RESERVED_BYTES
/** Offset of the peer id in the handshake; also the length of the part before it. */
export const PEER_ID_OFFSET = INFO_HASH_OFFSET + 20

/**
 * Encode the 68-byte handshake: pstrlen 19, `BitTorrent protocol`, the 8
 * reserved bytes, the info-hash and the peer id.
 * @throws UsageError `bad-handshake` when reserved is not 8 bytes or the
 *   info-hash or peer id is not 20 bytes.
 * @see BEP 3
 */
export function encodeHandshake (h: Handshake): Uint8Array {
  checkSize('reserved', h.reserved, RESERVED_BYTES)
  checkSize('infoHash', h.infoHash, 20)
  checkSize('peerId', h.peerId, 20)
  const out = new Uint8Array(BEP3.HANDSHAKE_LENGTH)
  out.set(PROTOCOL_HEADER, 0)
  out.set(h.reserved, RESERVED_OFFSET)
  out.set(h.infoHash, INFO_HASH_OFFSET)
  out.set(h.peerId, PEER_ID_OFFSET)
  return out
}

/**
 * Decode a complete 68-byte handshake. The returned fields are copies, safe
 * to keep.
 * @throws HandshakeError `bad-length` when `bytes` is not 68 bytes long;
 *   HandshakeError `bad-protocol` (disconnect) when pstrlen is not 19 or the
 *   protocol string is not `BitTorrent protocol`.
 * @see BEP 3, ADVERSARIAL C29
 */
export function decodeHandshake (bytes: Uint8Array): Handshake {
  if (bytes.length !== BEP3.HANDSHAKE_LENGTH) {
    throw new HandshakeError('bad-length', `handshake is ${bytes.length} bytes, expected ${BEP3.HANDSHAKE_LENGTH}`, { details: { got: bytes.length } })
  }
  for (let i = 0; i < PROTOCOL_HEADER.length; i++) checkProtocolByte(bytes, i)
  return {
    reserved: bytes.slice(RESERVED_OFFSET, INFO_HASH_OFFSET),
    infoHash: bytes.slice(INFO_HASH_OFFSET, PEER_ID_OFFSET),
    peerId: bytes.slice(PEER_ID_OFFSET, BEP3.HANDSHAKE_LENGTH)
  }
}

/**
 * Check byte `i` (0 ≤ i < 20) of a handshake against the protocol header.
 * @throws HandshakeError `bad-protocol`
 */
export function checkProtocolByte (bytes: Uint8Array, i: number): void {
  const got = bytes[i]
  if (got === PROTOCOL_HEADER[i]) return
  if (i === 0) {
    throw new HandshakeError('bad-protocol', `handshake pstrlen is ${got}, expected ${PSTRLEN}`, { details: { pstrlen: got } })
  }
  throw new HandshakeError('bad-protocol', `handshake protocol string differs from "${BEP3.PROTOCOL}" at byte ${i}`, { details: { offset: i } })
}

function checkSize (field: string, bytes: Uint8Array, size: number): void {
  if (bytes.length !== size) {
    throw new UsageError('bad-handshake', `handshake ${field} must be ${size} bytes, got ${bytes.length}`, { details: { field, got: bytes.length } })
  }
}
