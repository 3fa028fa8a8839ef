/**
 * The BEP 10 extended handshake: the dictionary sent as extended message 0,
 * naming the extensions a peer supports and the ids it wants them sent with.
 * @see BEP 10, BEP 9 (`metadata_size`), BEP 21 (`upload_only`)
 */
import { decode, encode, isBDict, utf8Lenient, type BDict, type BEncodable, type BValue } from '../bencode/index.js'
import { BencodeError, ProtocolError, UsageError } from '../errors.js'
import { EXTENSION_LIMITS } from './limits.js'

/** A decoded extended handshake. Absent or malformed optional fields are left out. */
export interface ExtendedHandshake {
  /** Extension name → the id the sender wants to receive it with; 0 disables it. */
  readonly m: Readonly<Record<string, number>>
  /** Client name and version (`v`). */
  readonly v?: string
  /** The sender's listening port (`p`), 1..65535. */
  readonly p?: number
  /** How many outstanding requests the sender accepts (`reqq`). */
  readonly reqq?: number
  /** Our address as the sender sees it: 4 or 16 bytes. */
  readonly yourip?: Uint8Array
  /** The sender's IPv4 address: 4 bytes. */
  readonly ipv4?: Uint8Array
  /** The sender's IPv6 address: 16 bytes. */
  readonly ipv6?: Uint8Array
  /** BEP 9: size of the info dictionary in bytes. */
  readonly metadataSize?: number
  /** BEP 21: the sender only uploads. */
  readonly uploadOnly?: boolean
  /** The whole dictionary as received (decode) or extra keys to send (encode); typed fields take precedence. */
  readonly raw?: BDict
}

/** Options of {@link decodeExtendedHandshake}. */
export interface ExtendedHandshakeOptions {
  /** Largest `metadata_size` accepted. Default `EXTENSION_LIMITS.maxMetadataSize` (16 MiB). */
  readonly maxMetadataSize?: number
  /** Largest payload accepted. Default `EXTENSION_LIMITS.maxHandshakeLength` (64 KiB). */
  readonly maxLength?: number
  /** Default `EXTENSION_LIMITS.maxBencodeDepth`. */
  readonly maxBencodeDepth?: number
  /** Default `EXTENSION_LIMITS.maxBencodeTokens`. */
  readonly maxBencodeTokens?: number
}

/** Keys with a typed field in {@link ExtendedHandshake}. */
const KNOWN_KEYS = ['m', 'v', 'p', 'reqq', 'yourip', 'ipv4', 'ipv6', 'metadata_size', 'upload_only']

/** True for an extension id a handshake may carry: an integer in 0..255. */
export function isExtensionId (id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= 255
}

/**
 * Encode an extended handshake as the payload of extended message 0. Keys of
 * `raw` that have no typed field are sent too.
 * @throws UsageError `bad-extension-id` when an id in `m` is outside 0..255,
 *   BencodeEncodeError for values that cannot be bencoded
 * @see BEP 10
 */
export function encodeExtendedHandshake (h: ExtendedHandshake): Uint8Array {
  const m: Record<string, number> = Object.create(null) as Record<string, number>
  for (const [name, id] of Object.entries(h.m)) {
    if (!isExtensionId(id)) throw new UsageError('bad-extension-id', `extension "${name}" has id ${String(id)}, not 0..255`)
    m[name] = id
  }
  const dict: Record<string, BEncodable | undefined> = Object.create(null) as Record<string, BEncodable | undefined>
  if (h.raw !== undefined) {
    for (const [key, value] of Object.entries(h.raw)) if (!KNOWN_KEYS.includes(key)) dict[key] = value
  }
  dict.m = m
  dict.v = h.v
  dict.p = h.p
  dict.reqq = h.reqq
  dict.yourip = h.yourip
  dict.ipv4 = h.ipv4
  dict.ipv6 = h.ipv6
  dict.metadata_size = h.metadataSize
  dict.upload_only = h.uploadOnly === undefined ? undefined : (h.uploadOnly ? 1 : 0)
  return encode(dict)
}

/**
 * Decode the payload of extended message 0. Dictionaries may be unsorted (real
 * clients send them so). Optional fields of the wrong type or size are left
 * out rather than failing the handshake; `raw` keeps everything as received.
 * @throws ProtocolError (disposition `disconnect`): `handshake-too-long`,
 *   `bad-extended-handshake` (malformed bencode, not a dictionary, `m` not a
 *   dictionary), `bad-extension-id` (an id in `m` that is not an integer in
 *   0..255). ProtocolError `bad-metadata-size` (disposition `ignore`: drop
 *   the handshake, allocate nothing) when `metadata_size` is not a positive
 *   integer within `maxMetadataSize`.
 * @see BEP 10, BEP 9
 */
export function decodeExtendedHandshake (payload: Uint8Array, options: ExtendedHandshakeOptions = {}): ExtendedHandshake {
  const maxLength = options.maxLength ?? EXTENSION_LIMITS.maxHandshakeLength
  const maxMetadataSize = options.maxMetadataSize ?? EXTENSION_LIMITS.maxMetadataSize
  if (payload.length > maxLength) {
    throw new ProtocolError('handshake-too-long', `extended handshake of ${payload.length} bytes exceeds ${maxLength}`, { details: { length: payload.length } })
  }
  let value: BValue
  try {
    value = decode(payload, {
      strict: false,
      maxDepth: options.maxBencodeDepth ?? EXTENSION_LIMITS.maxBencodeDepth,
      maxTokens: options.maxBencodeTokens ?? EXTENSION_LIMITS.maxBencodeTokens
    })
  } catch (cause) {
    if (cause instanceof BencodeError) throw new ProtocolError('bad-extended-handshake', `extended handshake is not valid bencode: ${cause.message}`, { cause })
    throw cause
  }
  if (!isBDict(value)) throw new ProtocolError('bad-extended-handshake', 'extended handshake is not a dictionary')

  const m = readIds(value.m)
  const h: { -readonly [K in keyof ExtendedHandshake]: ExtendedHandshake[K] } = { m, raw: value }

  const size = value.metadata_size
  if (size !== undefined) {
    if (typeof size === 'bigint' || typeof size !== 'number' || size <= 0 || size > maxMetadataSize) {
      throw new ProtocolError('bad-metadata-size', `metadata_size ${describe(size)} is not in 1..${maxMetadataSize}`, {
        disposition: 'ignore',
        details: { metadataSize: describe(size) }
      })
    }
    h.metadataSize = size
  }
  if (value.v instanceof Uint8Array) h.v = utf8Lenient(value.v)
  const p = value.p
  if (typeof p === 'number' && p >= 1 && p <= 65535) h.p = p
  const reqq = value.reqq
  if (typeof reqq === 'number' && reqq >= 1) h.reqq = reqq
  const yourip = value.yourip
  if (yourip instanceof Uint8Array && (yourip.length === 4 || yourip.length === 16)) h.yourip = yourip
  if (value.ipv4 instanceof Uint8Array && value.ipv4.length === 4) h.ipv4 = value.ipv4
  if (value.ipv6 instanceof Uint8Array && value.ipv6.length === 16) h.ipv6 = value.ipv6
  if (typeof value.upload_only === 'number') h.uploadOnly = value.upload_only !== 0
  return h
}

/** Reads `m`: absent is empty (a later handshake may omit it). */
function readIds (m: BValue | undefined): Record<string, number> {
  const ids: Record<string, number> = Object.create(null) as Record<string, number>
  if (m === undefined) return ids
  if (!isBDict(m)) throw new ProtocolError('bad-extended-handshake', '"m" is not a dictionary')
  for (const [name, id] of Object.entries(m)) {
    if (!isExtensionId(id)) {
      throw new ProtocolError('bad-extension-id', `extension "${name}" has id ${describe(id)}, not 0..255`, { details: { name } })
    }
    ids[name] = id
  }
  return ids
}

function describe (v: BValue): string {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v)
  if (v instanceof Uint8Array) return 'a byte string'
  return Array.isArray(v) ? 'a list' : 'a dictionary'
}
