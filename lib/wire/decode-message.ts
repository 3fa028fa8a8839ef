import { BEP3, BEP5, BEP6, BEP10 } from '../constants.js'
import { ProtocolError } from '../errors.js'
import type { Message } from './types.js'

/**
 * Decode the body of one frame: its id byte and the payload after it. Payload
 * lengths are checked exactly (HAVE 4 bytes, REQUEST 12, PORT 2…). Byte
 * arrays in the result (`block`, `bits`, `payload`) are views into `payload`,
 * never copies: they stay valid as long as the caller does not reuse that
 * memory. An id we do not know decodes to `{ type: 'unknown', id, payload }`;
 * whether to tolerate it is the session's decision.
 *
 * Checks against the torrent (piece count, block size) are the session's too:
 * this function knows nothing but the frame.
 * @throws ProtocolError `bad-length` (disconnect) when the payload length is
 *   wrong for the id.
 * @see BEP 3, BEP 5 (`port`), BEP 6 (Fast extension), BEP 10 (extended)
 */
export function decodeMessage (id: number, payload: Uint8Array): Message {
  return decodeMessageAt(id, payload, 0, payload.length)
}

/**
 * {@link decodeMessage} of the `length` payload bytes at `at` in `bytes`,
 * without a view of them unless the message keeps one (`block`, `bits`,
 * `payload`): a frame decoder reads fixed-size messages straight from its
 * chunk.
 * @throws ProtocolError `bad-length` (disconnect), as `decodeMessage`
 */
export function decodeMessageAt (id: number, bytes: Uint8Array, at: number, length: number): Message {
  switch (id) {
    case BEP3.CHOKE: exactly(id, length, 0); return { type: 'choke' }
    case BEP3.UNCHOKE: exactly(id, length, 0); return { type: 'unchoke' }
    case BEP3.INTERESTED: exactly(id, length, 0); return { type: 'interested' }
    case BEP3.NOT_INTERESTED: exactly(id, length, 0); return { type: 'not-interested' }
    case BEP6.HAVE_ALL: exactly(id, length, 0); return { type: 'have-all' }
    case BEP6.HAVE_NONE: exactly(id, length, 0); return { type: 'have-none' }
    case BEP3.HAVE: exactly(id, length, 4); return { type: 'have', index: u32(bytes, at) }
    case BEP6.SUGGEST_PIECE: exactly(id, length, 4); return { type: 'suggest-piece', index: u32(bytes, at) }
    case BEP6.ALLOWED_FAST: exactly(id, length, 4); return { type: 'allowed-fast', index: u32(bytes, at) }
    case BEP3.BITFIELD: return { type: 'bitfield', bits: bytes.subarray(at, at + length) }
    case BEP3.REQUEST:
      exactly(id, length, 12)
      return { type: 'request', index: u32(bytes, at), begin: u32(bytes, at + 4), length: u32(bytes, at + 8) }
    case BEP3.CANCEL:
      exactly(id, length, 12)
      return { type: 'cancel', index: u32(bytes, at), begin: u32(bytes, at + 4), length: u32(bytes, at + 8) }
    case BEP6.REJECT_REQUEST:
      exactly(id, length, 12)
      return { type: 'reject-request', index: u32(bytes, at), begin: u32(bytes, at + 4), length: u32(bytes, at + 8) }
    case BEP3.PIECE:
      atLeast(id, length, 8)
      return { type: 'piece', index: u32(bytes, at), begin: u32(bytes, at + 4), block: bytes.subarray(at + 8, at + length) }
    case BEP5.PORT:
      exactly(id, length, 2)
      return { type: 'port', port: ((bytes[at] as number) << 8) | (bytes[at + 1] as number) }
    case BEP10.EXTENDED:
      atLeast(id, length, 1)
      return { type: 'extended', id: bytes[at] as number, payload: bytes.subarray(at + 1, at + length) }
    default:
      return { type: 'unknown', id, payload: bytes.subarray(at, at + length) }
  }
}

/** The message name for an id (`unknown-N` for ids we do not know), for errors and logs. @throws nothing */
export function messageName (id: number): string {
  return NAMES[id] ?? `unknown-${id}`
}

const NAMES: Readonly<Record<number, string>> = {
  [BEP3.CHOKE]: 'choke',
  [BEP3.UNCHOKE]: 'unchoke',
  [BEP3.INTERESTED]: 'interested',
  [BEP3.NOT_INTERESTED]: 'not-interested',
  [BEP3.HAVE]: 'have',
  [BEP3.BITFIELD]: 'bitfield',
  [BEP3.REQUEST]: 'request',
  [BEP3.PIECE]: 'piece',
  [BEP3.CANCEL]: 'cancel',
  [BEP5.PORT]: 'port',
  [BEP6.SUGGEST_PIECE]: 'suggest-piece',
  [BEP6.HAVE_ALL]: 'have-all',
  [BEP6.HAVE_NONE]: 'have-none',
  [BEP6.REJECT_REQUEST]: 'reject-request',
  [BEP6.ALLOWED_FAST]: 'allowed-fast',
  [BEP10.EXTENDED]: 'extended'
}

function u32 (b: Uint8Array, at: number): number {
  return (((b[at] as number) << 24) >>> 0) + ((b[at + 1] as number) << 16) + ((b[at + 2] as number) << 8) + (b[at + 3] as number)
}

function exactly (id: number, length: number, expected: number): void {
  if (length !== expected) throw badLength(id, length, `${expected}`)
}

function atLeast (id: number, length: number, min: number): void {
  if (length < min) throw badLength(id, length, `at least ${min}`)
}

function badLength (id: number, got: number, expected: string): ProtocolError {
  const name = messageName(id)
  return new ProtocolError('bad-length', `${name} payload is ${got} bytes, expected ${expected}`, { details: { id, message: name, got, expected } })
}
