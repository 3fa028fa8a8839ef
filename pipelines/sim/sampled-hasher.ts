import { createHash } from 'node:crypto'
import type { Hasher } from '../../lib/storage/types.js'

/** Bytes sampled at each end of every 16 KiB block. */
export const SAMPLE_BYTES = 32
const BLOCK = 16 * 1024

/**
 * A cheap stand-in for SHA-1, for simulations only: the SHA-1 of a piece's
 * length and of the first and last {@link SAMPLE_BYTES} bytes of each 16 KiB
 * block in it (1/256 of the bytes), instead of every byte. With random data
 * each sample is unique, so a block of another piece, another offset or
 * another torrent, a missing or a shifted block still fails the check; a
 * byte changed inside a block does not. A torrent must be hashed with it to
 * be checked with it (its piece hashes are not SHA-1 of the data, so no
 * other client would accept it).
 */
export const sampledHasher: Hasher = {
  sha1 (chunks: readonly Uint8Array[]): Uint8Array {
    let length = 0
    for (const c of chunks) length += c.length
    const h = createHash('sha1')
    const len = new Uint8Array(8)
    new DataView(len.buffer).setFloat64(0, length)
    h.update(len)
    for (let block = 0; block < length; block += BLOCK) {
      const end = Math.min(block + BLOCK, length)
      sample(chunks, block, Math.min(block + SAMPLE_BYTES, end), h)
      sample(chunks, Math.max(block + SAMPLE_BYTES, end - SAMPLE_BYTES), end, h)
    }
    return new Uint8Array(h.digest())
  }
}

/** Feeds bytes [from, to) of the concatenation of `chunks` to `h`. */
function sample (chunks: readonly Uint8Array[], from: number, to: number, h: { update: (d: Uint8Array) => unknown }): void {
  let base = 0
  for (const c of chunks) {
    const start = Math.max(from, base)
    const end = Math.min(to, base + c.length)
    if (start < end) h.update(c.subarray(start - base, end - base))
    base += c.length
    if (base >= to) return
  }
}
