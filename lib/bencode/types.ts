/**
 * The decoded bencode value model.
 * @see BEP 3 (bencoding)
 */

/**
 * A decoded bencode value: byte strings are `Uint8Array`, integers are
 * `number` when |n| ≤ 2^53−1 and `bigint` otherwise, lists are arrays and
 * dictionaries are null-prototype objects keyed by the UTF-8 decoded key.
 */
export type BValue = Uint8Array | number | bigint | BList | BDict

/** A decoded bencode list. */
export type BList = BValue[]

/** A decoded bencode dictionary: a null-prototype object, keys decoded as UTF-8. */
export interface BDict { [key: string]: BValue }

/**
 * What `encode` accepts: decoded values plus JavaScript strings (encoded as
 * UTF-8). `undefined` dictionary values are skipped, which makes optional
 * fields easy to build.
 */
export type BEncodable =
  | Uint8Array
  | string
  | number
  | bigint
  | readonly BEncodable[]
  | { readonly [key: string]: BEncodable | undefined }

/** True for a decoded dictionary (not a list, not a byte string). */
export function isBDict (v: unknown): v is BDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)
}
