import { createHash } from 'node:crypto'
import { encode } from '../../../lib/bencode/index.js'

export const sha1 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(d).digest())
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
export const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

/** A valid single-file info dictionary of `pieces` pieces of 16 KiB: 20 bytes of hash per piece. */
export function infoDict (pieces: number, extra: Record<string, unknown> = {}): Uint8Array {
  const hashes = new Uint8Array(20 * pieces)
  for (let i = 0; i < hashes.length; i++) hashes[i] = (i * 31 + 7) & 0xff
  return encode({ length: pieces * 16384, name: 'file.bin', 'piece length': 16384, pieces: hashes, ...extra } as never)
}
