/**
 * Bencode: a strict, limit-enforcing decoder of our own and a canonical
 * encoder over the `bencode` package.
 *
 * @example
 * ```ts
 * import { decode, encode, getInt, type BDict } from './index.js'
 * const bytes = encode({ answer: 42, list: ['a', new Uint8Array([1])] })
 * const dict = decode(bytes) as BDict
 * getInt(dict, 'answer') // 42
 * ```
 * @see BEP 3
 */
export type { BValue, BList, BDict, BEncodable } from './types.js'
export { isBDict } from './types.js'
export type { DecodeOptions, DecodeResult, ByteRange, ToleratedInput } from './decode.js'
export { decode, decodeWithInfo, MAX_TOLERATED_RECORDS } from './decode.js'
export type { EncodeOptions } from './encode.js'
export { encode, compareBytes, BencodeEncodeError } from './encode.js'
export type { FailFn } from './read-dict.js'
export {
  BencodeSchemaError, getInt, getBytes, getString, getList, getDict,
  optionalString, optionalInt, utf8OrUndefined, utf8Lenient
} from './read-dict.js'
