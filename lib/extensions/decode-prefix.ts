/**
 * Decoding one bencoded value at the start of a buffer that goes on with
 * other bytes, as the `ut_metadata` data message does.
 * @see BEP 9
 */
import { decode, type BValue, type DecodeOptions } from '../bencode/index.js'
import { BencodeError } from '../errors.js'

/** A value decoded from the front of a buffer and where it ends. */
export interface PrefixResult {
  readonly value: BValue
  /** Offset of the first byte after the value; `bytes.length` when nothing follows. */
  readonly end: number
}

/**
 * Decode the bencoded value at the start of `bytes` and report where it ends.
 * Byte strings in the value are views into `bytes`. The shared decoder checks
 * the whole value before it reports trailing data, so the offset it gives for
 * `trailing-data` is exactly the end of a well-formed value; that prefix is
 * then decoded on its own.
 * @throws BencodeError as `decode` (never `trailing-data`)
 * @see BEP 3, BEP 9
 */
export function decodePrefix (bytes: Uint8Array, options: DecodeOptions = {}): PrefixResult {
  try {
    return { value: decode(bytes, options), end: bytes.length }
  } catch (e) {
    if (!(e instanceof BencodeError) || e.code !== 'trailing-data') throw e
    const end = e.offset
    return { value: decode(bytes.subarray(0, end), options), end }
  }
}
