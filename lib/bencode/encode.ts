/**
 * Canonical bencode encoding.
 *
 * The `bencode` package does the byte work. It is wrapped because, on its
 * own, it sorts dictionary keys by UTF-16 code units (not by UTF-8 bytes as
 * BEP 3 requires, which differs for keys with characters at or above U+D800),
 * silently drops `bigint`, `null` and `undefined` list items, and truncates
 * non-integer numbers with a console warning. Values are checked first; a
 * value the package cannot encode canonically goes through a small walker that
 * orders keys bytewise and writes `bigint`s itself.
 *
 * @see BEP 3 (bencoding)
 */
import bencode from 'bencode'
import { LIMITS } from '../constants.js'
import { RxTorrentError } from '../errors.js'
import type { BEncodable } from './types.js'

/** A value that cannot be bencoded (a float, a lone surrogate, a cycle, a Map…). A local bug, so `fatal`. */
export class BencodeEncodeError extends RxTorrentError {
  override name = 'BencodeEncodeError'
  constructor (code: string, message: string) {
    super(code, message, { disposition: 'fatal' })
  }
}

/** Options of {@link encode}. */
export interface EncodeOptions {
  /** Deepest nesting accepted (also stops cycles). Default `LIMITS.maxBencodeDepth`. */
  readonly maxDepth?: number
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const LONE_SURROGATE = /[\uD800-\uDFFF]/u
/** Code units where UTF-16 order and UTF-8 byte order can disagree. */
const HIGH_UNITS = /[\uD800-\uFFFF]/
const utf8 = new TextEncoder()

/**
 * Encode a value canonically: dictionary keys in ascending bytewise (UTF-8)
 * order, strings as UTF-8, integers in signed 64-bit range. `undefined`
 * dictionary values are skipped.
 * @throws BencodeEncodeError `bad-integer` (not a safe integer), `int-overflow`
 *   (bigint outside 64 bits), `bad-string` (lone surrogate), `bad-value`
 *   (null, boolean, Map, class instance, undefined in a list), `depth-limit`.
 * @see BEP 3
 */
export function encode (value: BEncodable, options: EncodeOptions = {}): Uint8Array {
  const maxDepth = options.maxDepth ?? LIMITS.maxBencodeDepth
  if (packageSafe(value, 0, maxDepth)) return bencode.encode(value)
  const out: Uint8Array[] = []
  walk(value, out)
  return concat(out)
}

/** Validates `value`; returns true when the `bencode` package encodes it canonically as is. */
function packageSafe (value: unknown, depth: number, maxDepth: number): boolean {
  if (value instanceof Uint8Array) return true
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new BencodeEncodeError('bad-string', 'string with a lone surrogate cannot be UTF-8 encoded')
      return true
    case 'number':
      if (!Number.isSafeInteger(value)) throw new BencodeEncodeError('bad-integer', `${value} is not a safe integer`)
      return true
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) throw new BencodeEncodeError('int-overflow', 'bigint outside the signed 64-bit range')
      return false
  }
  if (typeof value !== 'object' || value === null) throw new BencodeEncodeError('bad-value', `cannot bencode ${value === null ? 'null' : typeof value}`)
  if (depth >= maxDepth) throw new BencodeEncodeError('depth-limit', `nesting deeper than ${maxDepth}`)
  let safe = true
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item === undefined) throw new BencodeEncodeError('bad-value', 'undefined in a list')
      if (!packageSafe(item, depth + 1, maxDepth)) safe = false
    }
    return safe
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== null && proto !== Object.prototype) throw new BencodeEncodeError('bad-value', 'only plain objects encode as dictionaries')
  for (const [key, item] of Object.entries(value)) {
    if (LONE_SURROGATE.test(key)) throw new BencodeEncodeError('bad-string', 'dictionary key with a lone surrogate')
    if (HIGH_UNITS.test(key)) safe = false
    if (item !== undefined && !packageSafe(item, depth + 1, maxDepth)) safe = false
  }
  return safe
}

/** Encodes an already validated value, keys in UTF-8 byte order. */
function walk (value: BEncodable, out: Uint8Array[]): void {
  if (value instanceof Uint8Array) {
    out.push(utf8.encode(`${value.length}:`), value)
  } else if (typeof value === 'string') {
    const bytes = utf8.encode(value)
    out.push(utf8.encode(`${bytes.length}:`), bytes)
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    out.push(utf8.encode(`i${value}e`))
  } else if (Array.isArray(value)) {
    out.push(utf8.encode('l'))
    for (const item of value as readonly BEncodable[]) walk(item, out)
    out.push(utf8.encode('e'))
  } else {
    const entries: Array<[Uint8Array, BEncodable]> = []
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) entries.push([utf8.encode(key), item])
    }
    entries.sort((a, b) => compareBytes(a[0], b[0]))
    out.push(utf8.encode('d'))
    for (const [key, item] of entries) {
      out.push(utf8.encode(`${key.length}:`), key)
      walk(item, out)
    }
    out.push(utf8.encode('e'))
  }
}

/** Bytewise comparison, as BEP 3 orders dictionary keys. */
export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

function concat (parts: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const p of parts) size += p.length
  const out = new Uint8Array(size)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
