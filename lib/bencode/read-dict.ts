/**
 * Typed accessors for decoded dictionaries. Each takes an optional `fail`
 * factory so a caller can raise its own error class (a metainfo parser raises
 * `MetainfoError`, a KRPC parser a protocol error); the default raises
 * {@link BencodeSchemaError}.
 * @see BEP 3
 */
import { RxTorrentError } from '../errors.js'
import type { BDict, BList, BValue } from './types.js'
import { isBDict } from './types.js'

/** Well-formed bencode whose shape is wrong: a missing key, a wrong type, a string that is not UTF-8. */
export class BencodeSchemaError extends RxTorrentError {
  override name = 'BencodeSchemaError'
}

/** Builds the error thrown for `code` (`missing-key`, `wrong-type`, `bad-utf8`) at `key`. */
export type FailFn = (code: string, message: string, key: string) => Error

const defaultFail: FailFn = (code, message, key) => new BencodeSchemaError(code, message, { details: { key } })
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true })

function required (dict: BDict, key: string, fail: FailFn): BValue {
  const v = dict[key]
  if (v === undefined) throw fail('missing-key', `missing "${key}"`, key)
  return v
}

/**
 * An integer as a `number`; a `bigint` (beyond 2^53−1) is a type error.
 * @throws from `fail`: `missing-key`, `wrong-type`
 */
export function getInt (dict: BDict, key: string, fail: FailFn = defaultFail): number {
  const v = required(dict, key, fail)
  if (typeof v !== 'number') throw fail('wrong-type', `"${key}" is not a safe integer`, key)
  return v
}

/** @throws from `fail`: `missing-key`, `wrong-type` */
export function getBytes (dict: BDict, key: string, fail: FailFn = defaultFail): Uint8Array {
  const v = required(dict, key, fail)
  if (!(v instanceof Uint8Array)) throw fail('wrong-type', `"${key}" is not a byte string`, key)
  return v
}

/**
 * A byte string decoded as strict UTF-8.
 * @throws from `fail`: `missing-key`, `wrong-type`, `bad-utf8`
 */
export function getString (dict: BDict, key: string, fail: FailFn = defaultFail): string {
  const bytes = getBytes(dict, key, fail)
  const s = utf8OrUndefined(bytes)
  if (s === undefined) throw fail('bad-utf8', `"${key}" is not valid UTF-8`, key)
  return s
}

/** @throws from `fail`: `missing-key`, `wrong-type` */
export function getList (dict: BDict, key: string, fail: FailFn = defaultFail): BList {
  const v = required(dict, key, fail)
  if (!Array.isArray(v)) throw fail('wrong-type', `"${key}" is not a list`, key)
  return v
}

/** @throws from `fail`: `missing-key`, `wrong-type` */
export function getDict (dict: BDict, key: string, fail: FailFn = defaultFail): BDict {
  const v = required(dict, key, fail)
  if (!isBDict(v)) throw fail('wrong-type', `"${key}" is not a dictionary`, key)
  return v
}

/** An optional UTF-8 string: `undefined` when absent, not a byte string, or not valid UTF-8. Never throws. */
export function optionalString (dict: BDict, key: string): string | undefined {
  const v = dict[key]
  return v instanceof Uint8Array ? utf8OrUndefined(v) : undefined
}

/** An optional safe integer: `undefined` when absent or not a safe integer. Never throws. */
export function optionalInt (dict: BDict, key: string): number | undefined {
  const v = dict[key]
  return typeof v === 'number' ? v : undefined
}

/** Strict UTF-8 decoding, `undefined` when the bytes are not valid UTF-8. Never throws. */
export function utf8OrUndefined (bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes)
  } catch {
    return undefined
  }
}

/** Lenient UTF-8 decoding: invalid sequences become U+FFFD. A leading BOM is kept. Never throws. */
export function utf8Lenient (bytes: Uint8Array): string {
  return lenientUtf8.decode(bytes)
}
