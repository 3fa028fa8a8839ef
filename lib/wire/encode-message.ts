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
  const frame = new Uint8Array(encodedLength(msg))
  encodeMessageInto(msg, frame, 0)
  return frame
}

/**
 * Encode one message as a length-prefixed frame into `target` at `offset`
 * (which must have `encodedLength(msg)` bytes of room, zero-filled where the
 * message has padding: none of the BEP 3/5/6/10 messages has any), and return
 * the number of bytes written. Lets a batch of messages share one buffer.
 * @throws UsageError `bad-message` as {@link encodeMessage}; RangeError when `target` is too short.
 * @see BEP 3, BEP 5 (`port`), BEP 6 (Fast extension), BEP 10 (extended)
 */
export function encodeMessageInto (msg: Message, target: Uint8Array, offset: number): number {
  const body = bodyLength(msg)
  const total = LENGTH_PREFIX_BYTES + body
  if (offset < 0 || offset + total > target.length) throw new RangeError(`no room for a ${total}-byte frame at ${offset} of ${target.length}`)
  putU32(target, offset, body)
  const at = offset + LENGTH_PREFIX_BYTES
  switch (msg.type) {
    case 'keep-alive':
      return total
    case 'choke': target[at] = BEP3.CHOKE; return total
    case 'unchoke': target[at] = BEP3.UNCHOKE; return total
    case 'interested': target[at] = BEP3.INTERESTED; return total
    case 'not-interested': target[at] = BEP3.NOT_INTERESTED; return total
    case 'have-all': target[at] = BEP6.HAVE_ALL; return total
    case 'have-none': target[at] = BEP6.HAVE_NONE; return total
    case 'have':
      target[at] = BEP3.HAVE
      putU32(target, at + 1, uint32(msg.index, 'index'))
      return total
    case 'suggest-piece':
      target[at] = BEP6.SUGGEST_PIECE
      putU32(target, at + 1, uint32(msg.index, 'index'))
      return total
    case 'allowed-fast':
      target[at] = BEP6.ALLOWED_FAST
      putU32(target, at + 1, uint32(msg.index, 'index'))
      return total
    case 'bitfield':
      target[at] = BEP3.BITFIELD
      target.set(msg.bits, at + 1)
      return total
    case 'request':
    case 'cancel':
    case 'reject-request':
      target[at] = msg.type === 'request' ? BEP3.REQUEST : msg.type === 'cancel' ? BEP3.CANCEL : BEP6.REJECT_REQUEST
      putU32(target, at + 1, uint32(msg.index, 'index'))
      putU32(target, at + 5, uint32(msg.begin, 'begin'))
      putU32(target, at + 9, uint32(msg.length, 'length'))
      return total
    case 'piece':
      target[at] = BEP3.PIECE
      putU32(target, at + 1, uint32(msg.index, 'index'))
      putU32(target, at + 5, uint32(msg.begin, 'begin'))
      target.set(msg.block, offset + PIECE_HEADER_BYTES)
      return total
    case 'port':
      target[at] = BEP5.PORT
      if (!Number.isInteger(msg.port) || msg.port < 0 || msg.port > 0xffff) throw badField('port', msg.port)
      target[at + 1] = msg.port >>> 8
      target[at + 2] = msg.port & 0xff
      return total
    case 'extended':
      target[at] = BEP10.EXTENDED
      target[at + 1] = byte(msg.id, 'extended id')
      target.set(msg.payload, at + 2)
      return total
    case 'unknown':
      target[at] = byte(msg.id, 'id')
      target.set(msg.payload, at + 1)
      return total
  }
}

/** Big-endian uint32 at `at`. */
function putU32 (target: Uint8Array, at: number, value: number): void {
  target[at] = value >>> 24
  target[at + 1] = (value >>> 16) & 0xff
  target[at + 2] = (value >>> 8) & 0xff
  target[at + 3] = value & 0xff
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
  encodePieceHeaderInto(header, 0, index, begin, blockLength)
  return header
}

/**
 * {@link encodePieceHeader} into `target` at `offset` (13 bytes of room),
 * so the headers of several blocks can share one buffer; returns the bytes
 * written (13).
 * @throws UsageError `bad-message` as {@link encodePieceHeader}.
 * @see BEP 3
 */
export function encodePieceHeaderInto (target: Uint8Array, offset: number, index: number, begin: number, blockLength: number): number {
  putU32(target, offset, uint32(uint32(blockLength, 'block length') + 9, 'frame length'))
  target[offset + 4] = BEP3.PIECE
  putU32(target, offset + 5, uint32(index, 'index'))
  putU32(target, offset + 9, uint32(begin, 'begin'))
  return PIECE_HEADER_BYTES
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
