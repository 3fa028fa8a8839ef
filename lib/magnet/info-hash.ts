import { MagnetError } from '../errors.js'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/**
 * Lower-case hex of `bytes`.
 * @throws nothing
 */
export function toHex (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

/**
 * Bytes of a hex string of even length (either case); undefined when the
 * text is not hex or has an odd length. Never throws and never rounds.
 */
export function fromHex (text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined
  const out = new Uint8Array(text.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16)
  return out
}

/**
 * Bytes of unpadded RFC 4648 base32 (either case) whose length is a multiple
 * of 8 characters; undefined for anything else.
 */
export function fromBase32 (text: string): Uint8Array | undefined {
  if (text.length % 8 !== 0) return undefined
  const out = new Uint8Array(text.length / 8 * 5)
  let bits = 0
  let value = 0
  let at = 0
  for (const c of text.toUpperCase()) {
    const digit = BASE32.indexOf(c)
    if (digit < 0) return undefined
    value = ((value << 5) | digit) & 0xffff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[at++] = (value >> bits) & 0xff
    }
  }
  return out
}

/**
 * Unpadded RFC 4648 base32 (upper case) of `bytes`, whose length must be a
 * multiple of 5.
 * @throws nothing; trailing bits of other lengths are dropped.
 */
export function toBase32 (bytes: Uint8Array): string {
  let s = ''
  let bits = 0
  let value = 0
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      s += BASE32[(value >> bits) & 31] as string
    }
  }
  return s
}

/**
 * The 20-byte v1 info-hash from a `urn:btih:` value: 40 hex characters or 32
 * base32 characters (RFC 4648), case-insensitive.
 * @throws MagnetError `bad-info-hash` (reject) for any other length or an
 *   invalid character (odd-length hex included).
 * @see BEP 9, ADVERSARIAL E52
 */
export function parseInfoHash (text: string): Uint8Array {
  const bytes = text.length === 40 ? fromHex(text) : text.length === 32 ? fromBase32(text) : undefined
  if (bytes === undefined) {
    throw new MagnetError('bad-info-hash', `info-hash must be 40 hex or 32 base32 characters, got ${text.length} characters "${text.slice(0, 80)}"`, {
      details: { length: text.length }
    })
  }
  return bytes
}
