import { MagnetError } from '../errors.js'
import { formatAddress } from '../transport/types.js'
import { toHex } from './info-hash.js'
import { formatSelectOnly } from './select-only.js'
import type { Magnet } from './types.js'

/**
 * Format a magnet as a canonical URI: `xt=urn:btih:` in lower-case hex, then
 * `xt=urn:btmh:`, `dn`, `xl`, every `tr`, `ws` and `x.pe` in order, `so` as
 * ranges and `kt` joined by `+`. Values are percent-encoded as UTF-8 (a lone
 * surrogate becomes U+FFFD). `parseMagnet` of the result gives back the same
 * magnet when its lists are already distinct, its keywords free of spaces and
 * `selectOnly` sorted, distinct and non-empty.
 * @throws MagnetError `bad-info-hash` when `infoHash` is not 20 bytes or
 *   `infoHashV2` not 32.
 * @see BEP 9, BEP 53
 */
export function formatMagnet (m: Magnet): string {
  if (m.infoHash.length !== 20) throw new MagnetError('bad-info-hash', `info-hash must be 20 bytes, got ${m.infoHash.length}`)
  const params = [`xt=urn:btih:${toHex(m.infoHash)}`]
  if (m.infoHashV2 !== undefined) {
    if (m.infoHashV2.length !== 32) throw new MagnetError('bad-info-hash', `v2 info-hash must be 32 bytes, got ${m.infoHashV2.length}`)
    params.push(`xt=urn:btmh:1220${toHex(m.infoHashV2)}`)
  }
  if (m.name !== undefined) params.push(`dn=${encode(m.name)}`)
  if (m.exactLength !== undefined) params.push(`xl=${m.exactLength}`)
  for (const t of m.trackers) params.push(`tr=${encode(t)}`)
  for (const w of m.webSeeds) params.push(`ws=${encode(w)}`)
  for (const p of m.peers) params.push(`x.pe=${encode(formatAddress(p))}`)
  if (m.selectOnly !== undefined && m.selectOnly.length > 0) params.push(`so=${formatSelectOnly(m.selectOnly)}`)
  if (m.keywords !== undefined && m.keywords.length > 0) params.push(`kt=${m.keywords.map(encode).join('+')}`)
  return `magnet:?${params.join('&')}`
}

/** Characters left as they are in a value: unreserved, and the sub-delimiters with no meaning to URLSearchParams. */
const KEEP = /[A-Za-z0-9\-._~!$'()*,;:@/?]/

const utf8 = new TextEncoder()

function encode (value: string): string {
  let out = ''
  for (const b of utf8.encode(value)) {
    const c = String.fromCharCode(b)
    out += b < 0x80 && KEEP.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}
