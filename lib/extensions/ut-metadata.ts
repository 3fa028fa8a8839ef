/**
 * The `ut_metadata` message codec: requests, data and rejects for 16 KiB
 * pieces of the info dictionary.
 * @see BEP 9
 */
import { encode, isBDict, type BDict, type BValue } from '../bencode/index.js'
import { BencodeError, ProtocolError, UsageError } from '../errors.js'
import { decodePrefix } from './decode-prefix.js'
import { EXTENSION_LIMITS, METADATA_PIECE_SIZE } from './limits.js'

/** The `msg_type` values of BEP 9. */
export const METADATA_MSG = { REQUEST: 0, DATA: 1, REJECT: 2 } as const

/** BEP 9 `request` (msg_type 0): send piece `piece` of the metadata. */
export interface MetadataRequest { readonly msgType: 'request', readonly piece: number }
/** BEP 9 `data` (msg_type 1): one piece of the metadata. */
export interface MetadataData {
  readonly msgType: 'data'
  readonly piece: number
  /** The `total_size` the sender states: the whole info dictionary's length. */
  readonly totalSize: number
  /** The piece bytes: a view of the payload after the bencoded dictionary. */
  readonly data: Uint8Array
}
/** BEP 9 `reject` (msg_type 2): the peer will not send piece `piece`. */
export interface MetadataReject { readonly msgType: 'reject', readonly piece: number }
/** A `msg_type` BEP 9 does not define; receivers ignore it. */
export interface MetadataUnknown { readonly msgType: 'unknown', readonly code: number, readonly payload: Uint8Array }

/** A `ut_metadata` message, a discriminated union on `msgType`. @see BEP 9 */
export type MetadataMessage = MetadataRequest | MetadataData | MetadataReject | MetadataUnknown

/** Options of {@link decodeMetadataMessage}. */
export interface MetadataMessageOptions {
  /** Size of the metadata when known (ours when serving): requests and rejects must name a piece of it. */
  readonly metadataSize?: number
  /** Largest `total_size` accepted. Default `EXTENSION_LIMITS.maxMetadataSize` (16 MiB). */
  readonly maxMetadataSize?: number
  /** Largest payload. Default `EXTENSION_LIMITS.maxMetadataMessageLength` (17 KiB). */
  readonly maxLength?: number
}

/** Number of 16 KiB pieces in metadata of `size` bytes. */
export function metadataPieceCount (size: number): number {
  return Math.ceil(size / METADATA_PIECE_SIZE)
}

/** Length of piece `piece` of metadata of `size` bytes: 16 KiB except the last. */
export function metadataPieceLength (size: number, piece: number): number {
  return Math.min(METADATA_PIECE_SIZE, size - piece * METADATA_PIECE_SIZE)
}

/**
 * Encode a `ut_metadata` message (the payload of an extended message). A data
 * message is its dictionary followed by the piece bytes, copied once into the
 * result; an unknown message is sent as its payload.
 * @throws UsageError `bad-piece` for a piece index that is not a non-negative integer
 * @see BEP 9
 */
export function encodeMetadataMessage (m: MetadataMessage): Uint8Array {
  if (m.msgType === 'unknown') return m.payload
  if (!Number.isSafeInteger(m.piece) || m.piece < 0) throw new UsageError('bad-piece', `piece ${m.piece} is not a non-negative integer`)
  if (m.msgType === 'request') return encode({ msg_type: METADATA_MSG.REQUEST, piece: m.piece })
  if (m.msgType === 'reject') return encode({ msg_type: METADATA_MSG.REJECT, piece: m.piece })
  const head = encode({ msg_type: METADATA_MSG.DATA, piece: m.piece, total_size: m.totalSize })
  const out = new Uint8Array(head.length + m.data.length)
  out.set(head, 0)
  out.set(m.data, head.length)
  return out
}

const bad = (code: string, message: string, disposition: 'ignore' | 'disconnect', details: Record<string, unknown> = {}): ProtocolError =>
  new ProtocolError(code, message, { disposition, details })

/**
 * Decode a `ut_metadata` payload. The data message's bytes are a view into
 * `payload`, not a copy. An unknown `msg_type` decodes to the `unknown` variant.
 * @throws ProtocolError, disposition `disconnect`: `metadata-message-too-long`
 *   (over 16 KiB + 1 KiB), `bad-metadata-message` (malformed bencode, not a
 *   dictionary, `msg_type` or `piece` missing or not a non-negative integer),
 *   `bad-metadata-size` (`total_size` missing or not in 1..maxMetadataSize),
 *   `metadata-piece-out-of-range` (a data piece beyond `total_size`),
 *   `bad-metadata-length` (data not exactly 16 KiB, or the remainder for the
 *   last piece). Disposition `ignore`: `metadata-piece-out-of-range` for a
 *   request or reject beyond `metadataSize` (answer with a reject),
 *   `trailing-data` after a request or reject dictionary.
 * @see BEP 9
 */
export function decodeMetadataMessage (payload: Uint8Array, options: MetadataMessageOptions = {}): MetadataMessage {
  const maxLength = options.maxLength ?? EXTENSION_LIMITS.maxMetadataMessageLength
  const maxMetadataSize = options.maxMetadataSize ?? EXTENSION_LIMITS.maxMetadataSize
  if (payload.length > maxLength) {
    throw bad('metadata-message-too-long', `ut_metadata message of ${payload.length} bytes exceeds ${maxLength}`, 'disconnect', { length: payload.length })
  }
  let dict: BValue
  let end: number
  try {
    ({ value: dict, end } = decodePrefix(payload, { strict: false, maxDepth: EXTENSION_LIMITS.maxBencodeDepth, maxTokens: EXTENSION_LIMITS.maxBencodeTokens }))
  } catch (cause) {
    if (cause instanceof BencodeError) throw new ProtocolError('bad-metadata-message', `ut_metadata message is not valid bencode: ${cause.message}`, { cause })
    throw cause
  }
  if (!isBDict(dict)) throw bad('bad-metadata-message', 'ut_metadata message is not a dictionary', 'disconnect')
  const code = readIndex(dict, 'msg_type')
  if (code !== METADATA_MSG.REQUEST && code !== METADATA_MSG.DATA && code !== METADATA_MSG.REJECT) {
    return { msgType: 'unknown', code, payload }
  }
  const piece = readIndex(dict, 'piece')

  if (code !== METADATA_MSG.DATA) {
    if (end !== payload.length) throw bad('trailing-data', `${payload.length - end} bytes after a ut_metadata dictionary`, 'ignore')
    const size = options.metadataSize
    if (size !== undefined && piece >= metadataPieceCount(size)) {
      throw bad('metadata-piece-out-of-range', `piece ${piece} is beyond metadata of ${size} bytes`, 'ignore', { piece })
    }
    return code === METADATA_MSG.REQUEST ? { msgType: 'request', piece } : { msgType: 'reject', piece }
  }

  const totalSize = dict.total_size
  if (typeof totalSize !== 'number' || totalSize <= 0 || totalSize > maxMetadataSize) {
    throw bad('bad-metadata-size', `total_size is not in 1..${maxMetadataSize}`, 'disconnect', { piece })
  }
  if (piece >= metadataPieceCount(totalSize)) {
    throw bad('metadata-piece-out-of-range', `piece ${piece} is beyond metadata of ${totalSize} bytes`, 'disconnect', { piece, totalSize })
  }
  const data = payload.subarray(end)
  const expected = metadataPieceLength(totalSize, piece)
  if (data.length !== expected) {
    throw bad('bad-metadata-length', `piece ${piece} has ${data.length} bytes, expected ${expected}`, 'disconnect', { piece, length: data.length, expected })
  }
  return { msgType: 'data', piece, totalSize, data }
}

function readIndex (dict: BDict, key: string): number {
  const v = dict[key]
  if (typeof v !== 'number' || v < 0) throw bad('bad-metadata-message', `"${key}" is missing or not a non-negative integer`, 'disconnect', { key })
  return v
}
