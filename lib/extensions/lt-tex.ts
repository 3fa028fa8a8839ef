/**
 * The `lt_tex` message codec (tracker exchange) and the per-connection state
 * that sends each known tracker once, at most once a minute.
 * @see BEP 28
 */
import { decode, encode, isBDict, utf8OrUndefined, type BValue } from '../bencode/index.js'
import { BencodeError, ProtocolError } from '../errors.js'

/** Default limits of the tracker exchange. */
export const TEX_LIMITS = {
  /** Largest `lt_tex` payload accepted. */
  maxBytes: 64 * 1024,
  /** Tracker URLs kept from one message; the rest are ignored. */
  maxTrackers: 50,
  /** Longest tracker URL kept, in bytes. */
  maxUrlLength: 1024,
  /** Least time between two messages to one peer. */
  intervalMs: 60_000,
  /** Bencode nesting accepted: a dictionary holding a list. */
  maxBencodeDepth: 4,
  /** Bencode tokens accepted. */
  maxBencodeTokens: 2_000
} as const

/** A decoded or to-be-encoded `lt_tex` message. */
export interface TexMessage {
  /** Tracker URLs. */
  readonly added: readonly string[]
}

/** Options of {@link decodeTex}. */
export interface TexDecodeOptions {
  /** Largest payload accepted. Default `TEX_LIMITS.maxBytes` (64 KiB). */
  readonly maxBytes?: number
  /** URLs kept. Default `TEX_LIMITS.maxTrackers` (50). */
  readonly maxTrackers?: number
  /** Longest URL kept, in bytes. Default `TEX_LIMITS.maxUrlLength` (1024). */
  readonly maxUrlLength?: number
}

const SCHEME = /^(?:https?|udp):\/\/[^\s/?#]/i
/** Control characters, space and DEL. */
const UNSAFE = /[\u0000-\u0020\u007f]/u

/**
 * True for a URL worth exchanging: an `http`, `https` or `udp` scheme, a
 * non-empty authority, no whitespace or control characters, at most
 * `maxUrlLength` UTF-16 code units. Whether the host may be contacted (not a
 * LAN or loopback address) is the tracker client's decision, not this one's.
 * @throws nothing
 * @see BEP 28
 */
export function isExchangeableTrackerUrl (url: string, maxUrlLength: number = TEX_LIMITS.maxUrlLength): boolean {
  return url.length <= maxUrlLength && SCHEME.test(url) && !UNSAFE.test(url)
}

/**
 * Encode an `lt_tex` payload: `{ added: [url, …] }`. URLs that are not
 * exchangeable (see {@link isExchangeableTrackerUrl}) and repeats are left out.
 * @throws nothing
 * @see BEP 28
 */
export function encodeTex (m: TexMessage): Uint8Array {
  return encode({ added: [...new Set(m.added.filter(u => isExchangeableTrackerUrl(u, Infinity)))] })
}

/**
 * Decode an `lt_tex` payload. Dictionaries may be unsorted; a missing or
 * mistyped `added` is an empty list. Entries that are not valid UTF-8, longer
 * than `maxUrlLength` bytes, not exchangeable URLs, or repeats are dropped;
 * at most `maxTrackers` URLs are kept (the rest are ignored).
 * @throws ProtocolError (disposition `disconnect`): `tex-too-long` when the
 *   payload exceeds `maxBytes`; `bad-tex` when it is not bencode or not a
 *   dictionary.
 * @see BEP 28
 */
export function decodeTex (payload: Uint8Array, options: TexDecodeOptions = {}): TexMessage {
  const maxBytes = options.maxBytes ?? TEX_LIMITS.maxBytes
  const maxTrackers = options.maxTrackers ?? TEX_LIMITS.maxTrackers
  const maxUrlLength = options.maxUrlLength ?? TEX_LIMITS.maxUrlLength
  if (payload.length > maxBytes) {
    throw new ProtocolError('tex-too-long', `lt_tex message of ${payload.length} bytes exceeds ${maxBytes}`, { details: { length: payload.length } })
  }
  let value: BValue
  try {
    value = decode(payload, { strict: false, maxDepth: TEX_LIMITS.maxBencodeDepth, maxTokens: TEX_LIMITS.maxBencodeTokens })
  } catch (cause) {
    if (cause instanceof BencodeError) throw new ProtocolError('bad-tex', `lt_tex message is not valid bencode: ${cause.message}`, { cause })
    throw cause
  }
  if (!isBDict(value)) throw new ProtocolError('bad-tex', 'lt_tex message is not a dictionary')
  const list = Array.isArray(value.added) ? value.added : []
  const added = new Set<string>()
  for (const item of list) {
    if (added.size >= maxTrackers) break
    if (!(item instanceof Uint8Array) || item.length > maxUrlLength) continue
    const url = utf8OrUndefined(item)
    if (url !== undefined && isExchangeableTrackerUrl(url, maxUrlLength)) added.add(url)
  }
  return { added: [...added] }
}

/** Options of {@link TexState}. */
export interface TexStateOptions {
  /** Most URLs in one message. Default `TEX_LIMITS.maxTrackers` (50). */
  readonly maxPerMessage?: number
  /** Least time between two messages, in milliseconds. Default 60 000. */
  readonly intervalMs?: number
}

/**
 * The trackers one peer has been told about. BEP 28 has no `dropped`, so each
 * exchangeable tracker is sent once; the first message goes out on the first
 * call, later ones at most once per `intervalMs`, each with at most
 * `maxPerMessage` URLs (the rest carried over).
 * @see BEP 28
 */
export class TexState {
  readonly #maxPerMessage: number
  readonly #intervalMs: number
  readonly #sent = new Set<string>()
  #lastSentAt: number | undefined

  constructor (options: TexStateOptions = {}) {
    this.#maxPerMessage = options.maxPerMessage ?? TEX_LIMITS.maxTrackers
    this.#intervalMs = options.intervalMs ?? TEX_LIMITS.intervalMs
  }

  /**
   * The message to send now, given the trackers we know, and record it as
   * sent. Undefined (nothing recorded) when too soon or nothing is new.
   * @throws nothing
   */
  diff (current: readonly string[], now: number): TexMessage | undefined {
    if (this.#lastSentAt !== undefined && now - this.#lastSentAt < this.#intervalMs) return undefined
    const added: string[] = []
    for (const url of current) {
      if (added.length >= this.#maxPerMessage) break
      if (this.#sent.has(url) || !isExchangeableTrackerUrl(url)) continue
      this.#sent.add(url)
      added.push(url)
    }
    if (added.length === 0) return undefined
    this.#lastSentAt = now
    return { added }
  }
}
