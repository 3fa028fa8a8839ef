import { BEP3, BEP5, BEP6, BEP10 } from '../constants.js'
import { UsageError } from '../errors.js'
import type { Message } from './types.js'

/** Bytes of the length prefix in front of every frame. @see BEP 3 */
export const LENGTH_PREFIX_BYTES = 4

/** Bytes of a PIECE frame before its block: length, id, index, begin. @see BEP 3 */
export const PIECE_HEADER_BYTES = 13

/**
 * The number of bytes `encodeMessage(msg)` produces, length prefix included.
 * @throws nothing; an `unknown` or `extended` message counts its payload as given.
 * @see BEP 3, BEP 5, BEP 6, BEP 10
 */
export function encodedLength (msg: Message): number {
  return LENGTH_PREFIX_BYTES + bodyLength(msg)
}

/**
 * Encode one message as a length-prefixed frame in a new zero-filled buffer.
 * A keep-alive is the 4-byte prefix 0. A PIECE block is copied into the frame;
 * to write a block without copying, send `encodePieceHeader` and then the block.
 * @throws UsageError `bad-message` when a field is out of range (an index or
 *   offset that is not a uint32, a port that is not a uint16, an id that is
 *   not a byte); these are our own values, never a peer's.
 * @see BEP 3, BEP 5 (`port`), BEP 6 (Fast extension), BEP 10 (extended)
 */
export function encodeMessage (msg: Message): Uint8Array {
  const body = bodyLength(msg)
  const frame = new Uint8Array(LENGTH_PREFIX_BYTES + body)
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  view.setUint32(0, body)
  switch (msg.type) {
    case 'keep-alive':
      return frame
    case 'choke': frame[4] = BEP3.CHOKE; return frame
    case 'unchoke': frame[4] = BEP3.UNCHOKE; return frame
    case 'interested': frame[4] = BEP3.INTERESTED; return frame
    case 'not-interested': frame[4] = BEP3.NOT_INTERESTED; return frame
    case 'have-all': frame[4] = BEP6.HAVE_ALL; return frame
    case 'have-none': frame[4] = BEP6.HAVE_NONE; return frame
    case 'have':
      frame[4] = BEP3.HAVE
      view.setUint32(5, uint32(msg.index, 'index'))
      return frame
    case 'suggest-piece':
      frame[4] = BEP6.SUGGEST_PIECE
      view.setUint32(5, uint32(msg.index, 'index'))
      return frame
    case 'allowed-fast':
      frame[4] = BEP6.ALLOWED_FAST
      view.setUint32(5, uint32(msg.index, 'index'))
      return frame
    case 'bitfield':
      frame[4] = BEP3.BITFIELD
      frame.set(msg.bits, 5)
      return frame
    case 'request':
    case 'cancel':
    case 'reject-request':
      frame[4] = msg.type === 'request' ? BEP3.REQUEST : msg.type === 'cancel' ? BEP3.CANCEL : BEP6.REJECT_REQUEST
      view.setUint32(5, uint32(msg.index, 'index'))
      view.setUint32(9, uint32(msg.begin, 'begin'))
      view.setUint32(13, uint32(msg.length, 'length'))
      return frame
    case 'piece':
      frame[4] = BEP3.PIECE
      view.setUint32(5, uint32(msg.index, 'index'))
      view.setUint32(9, uint32(msg.begin, 'begin'))
      frame.set(msg.block, PIECE_HEADER_BYTES)
      return frame
    case 'port':
      frame[4] = BEP5.PORT
      if (!Number.isInteger(msg.port) || msg.port < 0 || msg.port > 0xffff) throw badField('port', msg.port)
      view.setUint16(5, msg.port)
      return frame
    case 'extended':
      frame[4] = BEP10.EXTENDED
      frame[5] = byte(msg.id, 'extended id')
      frame.set(msg.payload, 6)
      return frame
    case 'unknown':
      frame[4] = byte(msg.id, 'id')
      frame.set(msg.payload, 5)
      return frame
  }
}

/**
 * The 13-byte header of a PIECE frame carrying `blockLength` bytes
 * (`len | 7 | index | begin`). Write the block right after it: the two
 * buffers together are one frame, and the block is never copied.
 * @throws UsageError `bad-message` when a field is not a uint32 or the frame
 *   length would not fit the 4-byte prefix.
 * @see BEP 3
 */
export function encodePieceHeader (index: number, begin: number, blockLength: number): Uint8Array {
  const header = new Uint8Array(PIECE_HEADER_BYTES)
  const view = new DataView(header.buffer)
  view.setUint32(0, uint32(uint32(blockLength, 'block length') + 9, 'frame length'))
  header[4] = BEP3.PIECE
  view.setUint32(5, uint32(index, 'index'))
  view.setUint32(9, uint32(begin, 'begin'))
  return header
}

function bodyLength (msg: Message): number {
  switch (msg.type) {
    case 'keep-alive': return 0
    case 'choke':
    case 'unchoke':
    case 'interested':
    case 'not-interested':
    case 'have-all':
    case 'have-none': return 1
    case 'have':
    case 'suggest-piece':
    case 'allowed-fast': return 5
    case 'bitfield': return 1 + msg.bits.length
    case 'request':
    case 'cancel':
    case 'reject-request': return 13
    case 'piece': return 9 + msg.block.length
    case 'port': return 3
    case 'extended': return 2 + msg.payload.length
    case 'unknown': return 1 + msg.payload.length
  }
}

function uint32 (n: number, field: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw badField(field, n)
  return n
}

function byte (n: number, field: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw badField(field, n)
  return n
}

function badField (field: string, value: number): UsageError {
  return new UsageError('bad-message', `cannot encode ${field} ${value}`, { details: { field, value } })
}
