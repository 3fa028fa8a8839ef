/**
 * CRC32-C (Castagnoli): the checksum BEP 40 ranks peers with and BEP 42
 * derives DHT node ids from. Reflected polynomial 0x82F63B78, initial value
 * and final xor 0xFFFFFFFF (the iSCSI CRC of RFC 3720).
 * @see BEP 40
 */

/** Bit-reflected form of the Castagnoli polynomial 0x1EDC6F41. */
const POLYNOMIAL = 0x82f63b78

/** One entry per byte value: the CRC register after shifting that byte through. */
const TABLE: Uint32Array = buildTable()

function buildTable (): Uint32Array {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let bit = 0; bit < 8; bit++) c = (c & 1) !== 0 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1
    table[n] = c
  }
  return table
}

/**
 * CRC32-C of `data`, as an unsigned 32-bit number. Pass the result of an
 * earlier call as `previous` to continue over more bytes without
 * concatenating them: `crc32c(b, crc32c(a))` equals `crc32c(a ++ b)`.
 * @throws nothing
 * @see BEP 40
 */
export function crc32c (data: Uint8Array, previous = 0): number {
  let crc = ~previous
  for (let i = 0; i < data.length; i++) {
    crc = (crc >>> 8) ^ (TABLE[(crc ^ (data[i] as number)) & 0xff] as number)
  }
  return ~crc >>> 0
}
