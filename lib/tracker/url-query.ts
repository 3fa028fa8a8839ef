import { TrackerError } from './tracker-error.js'

const HEX = '0123456789ABCDEF'
const utf8 = new TextEncoder()

function unreserved (b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
    b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e
}

/**
 * Percent-encode bytes one by one (RFC 3986 unreserved characters kept, every
 * other byte as `%XX`), as `info_hash` and `peer_id` need.
 * @throws nothing
 * @see BEP 3
 */
export function percentEncodeBytes (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += unreserved(b) ? String.fromCharCode(b) : '%' + HEX[b >> 4] + HEX[b & 15]
  return s
}

/** Percent-encode a text parameter: its UTF-8 bytes, bytewise. */
export function percentEncodeText (text: string): string {
  return percentEncodeBytes(utf8.encode(text))
}

function hexValue (c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  return -1
}

/**
 * Percent-decode to bytes. `+` is kept as the byte 0x2B (binary parameters
 * are not form-encoded); characters above U+007F are taken as their UTF-8
 * bytes.
 * @throws TrackerError `bad-request` for a `%` not followed by two hex digits
 */
export function percentDecodeBytes (text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3)
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x25) {
      const hi = hexValue(text.charCodeAt(i + 1))
      const lo = hexValue(text.charCodeAt(i + 2))
      if (hi < 0 || lo < 0) throw new TrackerError('bad-request', 'malformed percent-encoding in the query')
      out[n++] = (hi << 4) | lo
      i += 2
    } else if (c < 0x80) {
      out[n++] = c
    } else {
      const cp = text.codePointAt(i) as number
      const enc = utf8.encode(String.fromCodePoint(cp))
      out.set(enc, n)
      n += enc.length
      if (cp > 0xffff) i++
    }
  }
  return out.slice(0, n)
}

/**
 * Split a raw query string (without `?`) into decoded names and the raw
 * bytes of each value, in order; a name may repeat (`info_hash` in a scrape).
 * @throws TrackerError `bad-request` for malformed percent-encoding or more than `maxParams` parameters
 */
export function parseQueryBytes (rawQuery: string, maxParams: number = 256): Map<string, Uint8Array[]> {
  const params = new Map<string, Uint8Array[]>()
  if (rawQuery === '') return params
  const parts = rawQuery.split('&')
  if (parts.length > maxParams) throw new TrackerError('bad-request', `more than ${maxParams} query parameters`)
  for (const part of parts) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const name = bytesToLatin1(percentDecodeBytes(eq < 0 ? part : part.slice(0, eq)))
    const value = percentDecodeBytes(eq < 0 ? '' : part.slice(eq + 1))
    const list = params.get(name)
    if (list === undefined) params.set(name, [value])
    else list.push(value)
  }
  return params
}

/** One character per byte (ISO 8859-1), so any bytes survive as a string. */
export function bytesToLatin1 (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return s
}
