/**
 * A strict, iterative bencode decoder with explicit limits.
 *
 * Decoding is our own code rather than the `bencode` package's: the package
 * cannot enforce depth, token or string-length limits, does not reject
 * non-canonical input, and cannot report the byte range of the `info`
 * dictionary that the info-hash is computed over.
 *
 * @see BEP 3 (bencoding)
 */
import { LIMITS } from '../constants.js'
import { BencodeError } from '../errors.js'
import type { BDict, BList, BValue } from './types.js'

/** Options of {@link decode}: limits and whether bytes may follow the value. */
export interface DecodeOptions {
  /** Deepest nesting of lists and dictionaries. Default `LIMITS.maxBencodeDepth` (100). */
  readonly maxDepth?: number
  /** Most tokens (integers, strings and keys, container starts and ends). Default `LIMITS.maxBencodeTokens`. */
  readonly maxTokens?: number
  /** Longest byte string. Default `LIMITS.maxBencodeStringLength`. */
  readonly maxStringLength?: number
  /**
   * `true` (default): dictionary keys must be strictly ascending by raw bytes
   * and valid UTF-8. `false` tolerates unsorted and duplicate keys (the last
   * duplicate wins) and decodes keys leniently; every limit and every other
   * rule still applies.
   */
  readonly strict?: boolean
  /**
   * Decode dictionary keys that are not valid UTF-8 with U+FFFD replacements
   * instead of rejecting them (key order is still checked on the raw bytes).
   * Needed for BEP 52 `piece layers`, whose keys are raw hashes. Such keys
   * can never equal a valid UTF-8 key. Default `false`; implied by `strict: false`.
   */
  readonly lenientKeys?: boolean
  /**
   * With `strict: false`, which of two equal keys in one dictionary is kept:
   * `'last'` (default) or `'first'`, as libtorrent's `bdecode` lookups do.
   */
  readonly duplicateKeys?: 'first' | 'last'
  /**
   * Accept bytes after the top-level value instead of raising `trailing-data`
   * (libtorrent reads a .torrent up to the end of its root dictionary).
   * The result's `end` says where the value ended. Default `false`.
   */
  readonly allowTrailing?: boolean
  /**
   * Accept integers with leading zeros (`i0100e`, `i00e`), negative zero
   * (`i-0e`, `i-00e`) and string lengths with leading zeros (`05:a.txt`), as
   * libtorrent 2.0.8 does, each listed in `tolerated`. The limits stay: at
   * most 20 digits in an integer (zeros included) and 16 in a string length.
   * For .torrent files and metadata only; wire data keeps the strict rules.
   * Default `false`.
   */
  readonly lenientNumbers?: boolean
}

/** Something a non-strict decode accepted that the strict rules refuse. */
export interface ToleratedInput {
  readonly code: 'unsorted-keys' | 'duplicate-key' | 'trailing-data' | 'int-leading-zero' | 'int-negative-zero' | 'string-leading-zero'
  /** Byte offset of the key, integer or string, or of the first trailing byte. */
  readonly offset: number
}

/** At most this many tolerated cases are recorded (the count of the rest is not kept). */
export const MAX_TOLERATED_RECORDS = 32

/** A range of the input: first byte and the byte after the last. */
export interface ByteRange { readonly start: number, readonly end: number }

/** What {@link decode} returns: the value, where it ends, and where `info` is. */
export interface DecodeResult {
  readonly value: BValue
  /** Byte range of the top-level dictionary's `info` value, when there is one. */
  readonly infoRange?: ByteRange
  /** Offset of the first byte after the value (`bytes.length` unless `allowTrailing`). */
  readonly end: number
  /** What was accepted against the strict rules (only with `strict: false` or `allowTrailing`); at most {@link MAX_TOLERATED_RECORDS}. */
  readonly tolerated: readonly ToleratedInput[]
}

const E = 0x65
const I = 0x69
const L = 0x6c
const D = 0x64
const COLON = 0x3a
const MINUS = 0x2d
const ZERO = 0x30
const NINE = 0x39
/** Digits of the longest accepted integer (2^63 has 19; a sign is not a digit). */
const MAX_INT_DIGITS = 20
/** Digits of the longest accepted string length, leading zeros included (libtorrent's limit). */
const MAX_STRING_LENGTH_DIGITS = 16
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * An empty dictionary without a prototype. `Object.create(null)` makes a
 * hash-table object (~200 bytes with two keys); a literal given a null
 * prototype before any key is set keeps V8's compact layout (~65 bytes),
 * which matters for a torrent of 100,000 files. Keys such as `__proto__`
 * are still plain own properties.
 */
function emptyDict (): BDict {
  const dict = {}
  Object.setPrototypeOf(dict, null)
  return dict as BDict
}

interface ListFrame { readonly list: BList, readonly dict?: undefined }
interface DictFrame {
  readonly list?: undefined
  readonly dict: BDict
  /** Key awaiting its value, or undefined when a key comes next. */
  key: string | undefined
  /** False while reading the value of a duplicate key that loses to the first. */
  keep: boolean
  prevKeyStart: number
  prevKeyEnd: number
  valueStart: number
}
type Frame = ListFrame | DictFrame

/**
 * Decode one bencoded value that must span all of `bytes`.
 *
 * Byte strings in the result are views into `bytes` (no copies): they change if
 * `bytes` is mutated and keep it alive; copy them (`slice()`) to keep a value
 * longer than its input. Runs in a loop with an explicit stack, so hostile
 * nesting cannot overflow the call stack.
 *
 * @throws BencodeError with the byte offset and one of the codes `truncated`,
 *   `trailing-data`, `unexpected-byte`, `depth-limit`, `token-limit`,
 *   `int-empty`, `int-leading-zero`, `int-negative-zero`, `int-too-long`,
 *   `int-overflow`, `bad-int`, `string-leading-zero`, `bad-string-length`,
 *   `string-too-long`, `bad-key`, `unsorted-keys`, `duplicate-key`, `missing-value`
 *   (`unsorted-keys` and `duplicate-key` only when strict, `trailing-data` unless `allowTrailing`,
 *   the leading-zero and negative-zero codes unless `lenientNumbers`).
 * @see BEP 3
 */
export function decode (bytes: Uint8Array, options: DecodeOptions = {}): BValue {
  return decodeWithInfo(bytes, options).value
}

/**
 * Decode like {@link decode} and also report the exact byte range of the
 * top-level dictionary's `info` value, so the info-hash is SHA-1 of
 * `bytes.subarray(infoRange.start, infoRange.end)`, the bytes as received.
 * @throws BencodeError as {@link decode}
 * @see BEP 3, BEP 9
 */
export function decodeWithInfo (bytes: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  const maxDepth = options.maxDepth ?? LIMITS.maxBencodeDepth
  const maxTokens = options.maxTokens ?? LIMITS.maxBencodeTokens
  const maxStringLength = options.maxStringLength ?? LIMITS.maxBencodeStringLength
  const strict = options.strict ?? true
  const strictKeys = strict && options.lenientKeys !== true
  const firstWins = !strict && options.duplicateKeys === 'first'
  const lenientNumbers = options.lenientNumbers === true && !strict
  const tolerated: ToleratedInput[] = []
  const tolerate = (code: ToleratedInput['code'], offset: number): void => {
    if (tolerated.length < MAX_TOLERATED_RECORDS) tolerated.push({ code, offset })
  }
  const len = bytes.length
  const stack: Frame[] = []
  let pos = 0
  let tokens = 0
  let infoRange: ByteRange | undefined

  const token = (at: number): void => {
    if (++tokens > maxTokens) throw new BencodeError('token-limit', `more than ${maxTokens} tokens`, at)
  }

  /** Reads a string header at `pos`; returns the content start and sets `pos` past the content. */
  const readString = (): number => {
    const start = pos
    let p = pos
    let n = 0
    if (bytes[p] === ZERO && p + 1 < len && isDigit(bytes[p + 1] as number)) {
      if (!lenientNumbers) throw new BencodeError('string-leading-zero', 'string length with a leading zero', start)
      tolerate('string-leading-zero', start)
    }
    while (p < len) {
      const c = bytes[p] as number
      if (!isDigit(c)) break
      // only a length padded with zeros gets here: any other is over the limits first
      if (p - start >= MAX_STRING_LENGTH_DIGITS) throw new BencodeError('bad-string-length', `string length longer than ${MAX_STRING_LENGTH_DIGITS} digits`, start)
      n = n * 10 + (c - ZERO)
      if (n > maxStringLength) throw new BencodeError('string-too-long', `string longer than ${maxStringLength} bytes`, start)
      if (n > len) throw new BencodeError('truncated', `string of ${n} bytes is longer than the input`, start)
      p++
    }
    if (p >= len) throw new BencodeError('truncated', 'input ends inside a string length', p)
    if (bytes[p] !== COLON) throw new BencodeError('bad-string-length', 'string length not followed by ":"', p)
    p++
    if (n > len - p) throw new BencodeError('truncated', `string of ${n} bytes is longer than the input`, start)
    token(start)
    pos = p + n
    return p
  }

  const readInt = (): number | bigint => {
    const start = pos
    let p = pos + 1
    const negative = bytes[p] === MINUS
    if (negative) p++
    const digitsStart = p
    while (p < len && isDigit(bytes[p] as number)) {
      p++
      if (p - digitsStart > MAX_INT_DIGITS) throw new BencodeError('int-too-long', `integer longer than ${MAX_INT_DIGITS} digits`, start)
    }
    if (p >= len) throw new BencodeError('truncated', 'input ends inside an integer', p)
    if (bytes[p] !== E) throw new BencodeError('bad-int', 'unexpected byte in an integer', p)
    const digits = p - digitsStart
    if (digits === 0) throw new BencodeError('int-empty', 'integer without digits', start)
    if (bytes[digitsStart] === ZERO && (negative || digits > 1)) {
      // lenient: i-0e and i-00e are negative zero, i-03e and i00e leading zeros
      const code = negative && allZeros(bytes, digitsStart, p) ? 'int-negative-zero' : 'int-leading-zero'
      if (!lenientNumbers) {
        if (negative) throw new BencodeError('int-negative-zero', 'negative zero or leading zero', start)
        throw new BencodeError('int-leading-zero', 'integer with a leading zero', start)
      }
      tolerate(code, start)
    }
    token(start)
    pos = p + 1
    if (digits <= 15) {
      let n = 0
      for (let q = digitsStart; q < p; q++) n = n * 10 + ((bytes[q] as number) - ZERO)
      // 0 - n: negative zero (i-0e) is 0, never -0
      return negative ? 0 - n : n
    }
    let text = negative ? '-' : ''
    for (let q = digitsStart; q < p; q++) text += String.fromCharCode(bytes[q] as number)
    const big = BigInt(text)
    if (big < INT64_MIN || big > INT64_MAX) throw new BencodeError('int-overflow', 'integer outside the signed 64-bit range', start)
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big
  }

  const push = (frame: Frame, at: number): void => {
    if (stack.length >= maxDepth) throw new BencodeError('depth-limit', `nesting deeper than ${maxDepth}`, at)
    token(at)
    stack.push(frame)
    pos++
  }

  for (;;) {
    if (pos >= len) throw new BencodeError('truncated', 'input ends before the value is complete', pos)
    const top = stack[stack.length - 1]
    const c = bytes[pos] as number
    let value: BValue

    if (top !== undefined && c === E) {
      if (top.dict !== undefined && top.key !== undefined) throw new BencodeError('missing-value', `key "${top.key}" has no value`, pos)
      token(pos)
      pos++
      stack.pop()
      value = top.dict ?? top.list
    } else if (top?.dict !== undefined && top.key === undefined) {
      if (!isDigit(c)) throw new BencodeError('bad-key', 'dictionary key is not a byte string', pos)
      const keyHeader = pos
      const keyStart = readString()
      if (top.prevKeyEnd >= 0) {
        const order = compareRanges(bytes, top.prevKeyStart, top.prevKeyEnd, keyStart, pos)
        if (order === 0 && strict) throw new BencodeError('duplicate-key', 'duplicate dictionary key', keyHeader)
        if (order > 0 && strict) throw new BencodeError('unsorted-keys', 'dictionary keys out of order', keyHeader)
        if (order > 0) tolerate('unsorted-keys', keyHeader)
      }
      top.prevKeyStart = keyStart
      top.prevKeyEnd = pos
      top.key = decodeKey(bytes.subarray(keyStart, pos), strictKeys, keyHeader)
      if (!strict && top.dict[top.key] !== undefined) {
        tolerate('duplicate-key', keyHeader)
        top.keep = !firstWins
      } else {
        top.keep = true
      }
      top.valueStart = pos
      continue
    } else if (c === I) {
      value = readInt()
    } else if (isDigit(c)) {
      const start = readString()
      value = bytes.subarray(start, pos)
    } else if (c === L) {
      push({ list: [] }, pos)
      continue
    } else if (c === D) {
      push({ dict: emptyDict(), key: undefined, keep: true, prevKeyStart: -1, prevKeyEnd: -1, valueStart: -1 }, pos)
      continue
    } else {
      throw new BencodeError('unexpected-byte', `unexpected byte 0x${c.toString(16).padStart(2, '0')}`, pos)
    }

    const parent = stack[stack.length - 1]
    if (parent === undefined) {
      if (pos !== len) {
        if (options.allowTrailing !== true) throw new BencodeError('trailing-data', `${len - pos} bytes after the value`, pos)
        tolerate('trailing-data', pos)
      }
      return infoRange === undefined ? { value, end: pos, tolerated } : { value, infoRange, end: pos, tolerated }
    }
    if (parent.dict === undefined) {
      parent.list.push(value)
    } else {
      const key = parent.key as string
      if (parent.keep) {
        parent.dict[key] = value
        if (stack.length === 1 && key === 'info') infoRange = { start: parent.valueStart, end: pos }
      }
      parent.key = undefined
    }
  }
}

function allZeros (b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] !== ZERO) return false
  return true
}

function isDigit (c: number): boolean {
  return c >= ZERO && c <= NINE
}

function decodeKey (raw: Uint8Array, strict: boolean, at: number): string {
  if (!strict) return lenientUtf8.decode(raw)
  try {
    return strictUtf8.decode(raw)
  } catch (cause) {
    throw new BencodeError('bad-key', 'dictionary key is not valid UTF-8', at, { cause })
  }
}

/** Bytewise comparison of two ranges of the same buffer. */
function compareRanges (b: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart)
  for (let i = 0; i < n; i++) {
    const d = (b[aStart + i] as number) - (b[bStart + i] as number)
    if (d !== 0) return d
  }
  return (aEnd - aStart) - (bEnd - bStart)
}
