import { BEP10, BEP6, DHT_RESERVED } from '../constants.js'
import type { Capabilities } from './types.js'

/** Bytes of the handshake's reserved field. @see BEP 3 */
export const RESERVED_BYTES = 8

/** Which extensions to announce in our reserved bytes. */
export interface ReservedOptions {
  /** BEP 6 Fast extension (byte 7, bit 0x04). */
  readonly fast?: boolean
  /** BEP 10 extension protocol (byte 5, bit 0x10). */
  readonly extended?: boolean
  /** BEP 5 DHT (byte 7, bit 0x01). */
  readonly dht?: boolean
}

/**
 * Build the 8 reserved bytes announcing the given extensions; every other bit
 * is zero.
 * @throws nothing
 * @see BEP 4 (reserved bit allocations), BEP 5, BEP 6, BEP 10
 */
export function makeReserved (options: ReservedOptions = {}): Uint8Array {
  const reserved = new Uint8Array(RESERVED_BYTES)
  if (options.fast === true) reserved[BEP6.RESERVED_BYTE] = (reserved[BEP6.RESERVED_BYTE] as number) | BEP6.RESERVED_MASK
  if (options.extended === true) reserved[BEP10.RESERVED_BYTE] = (reserved[BEP10.RESERVED_BYTE] as number) | BEP10.RESERVED_MASK
  if (options.dht === true) reserved[DHT_RESERVED.RESERVED_BYTE] = (reserved[DHT_RESERVED.RESERVED_BYTE] as number) | DHT_RESERVED.RESERVED_MASK
  return reserved
}

/**
 * True when bit `mask` of byte `byte` is set in `reserved`. Out-of-range
 * bytes (a short array) read as unset.
 * @throws nothing
 * @see BEP 4
 */
export function hasReservedBit (reserved: Uint8Array, byte: number, mask: number): boolean {
  return ((reserved[byte] ?? 0) & mask) !== 0
}

/**
 * The extensions both sides announced: a capability is on only when our
 * reserved bytes and theirs both set its bit.
 * @throws nothing
 * @see BEP 4, BEP 5, BEP 6, BEP 10
 */
export function capabilities (ours: Uint8Array, theirs: Uint8Array): Capabilities {
  const both = (byte: number, mask: number): boolean => hasReservedBit(ours, byte, mask) && hasReservedBit(theirs, byte, mask)
  return {
    fast: both(BEP6.RESERVED_BYTE, BEP6.RESERVED_MASK),
    extended: both(BEP10.RESERVED_BYTE, BEP10.RESERVED_MASK),
    dht: both(DHT_RESERVED.RESERVED_BYTE, DHT_RESERVED.RESERVED_MASK)
  }
}
