/**
 * Info-hash formatting.
 * @see BEP 3 (info-hash), BEP 9 (magnet `xt=urn:btih:`)
 */
import { MetainfoError } from '../errors.js'

const HEX = '0123456789abcdef'

/** Lower-case hex of a hash (any length). Never throws. */
export function formatInfoHash (hash: Uint8Array): string {
  let out = ''
  for (const b of hash) out += (HEX[b >> 4] as string) + (HEX[b & 15] as string)
  return out
}

/**
 * Parse a 40-character hex v1 info-hash (either case) into 20 bytes.
 * @throws MetainfoError `bad-info-hash`
 * @see BEP 9
 */
export function parseInfoHashHex (hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{40}$/.test(hex)) throw new MetainfoError('bad-info-hash', 'an info-hash is 40 hex digits')
  const out = new Uint8Array(20)
  for (let i = 0; i < 20; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}
