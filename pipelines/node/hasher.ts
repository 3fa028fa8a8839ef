import { createHash } from 'node:crypto'
import type { Hasher } from '../../lib/storage/types.js'

/**
 * SHA-1 of one buffer with `node:crypto`, as a plain 20-byte Uint8Array.
 * Suits `parseTorrent(bytes, { sha1 })`.
 * @see BEP 3 (info-hash and piece hashes are SHA-1)
 */
export function sha1 (data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(data).digest())
}

/**
 * The Node {@link Hasher}: SHA-1 over several chunks, fed to one hash object
 * chunk by chunk, never concatenated. Synchronous (runs on the calling thread).
 * @see BEP 3
 */
export const nodeHasher: Hasher = {
  sha1 (chunks: readonly Uint8Array[]): Uint8Array {
    const h = createHash('sha1')
    for (const c of chunks) h.update(c)
    return new Uint8Array(h.digest())
  }
}
