/**
 * Textual IP addresses to bytes and back, for compact peer lists, `external
 * ip` and the tracker server's view of a remote address.
 * @see BEP 7, BEP 23, BEP 24
 */

/** An IP address as bytes with its family. */
export interface IpBytes {
  readonly family: 4 | 6
  /** 4 or 16 bytes. */
  readonly bytes: Uint8Array
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
const HEXGROUP = /^[0-9a-fA-F]{1,4}$/

/**
 * Parse a dotted-quad IPv4 or an IPv6 address (with `::`, an embedded IPv4
 * tail, optional brackets; no zone id). Undefined for anything else.
 * @throws nothing
 */
export function parseIp (text: string): IpBytes | undefined {
  const v4 = parseIpv4(text)
  if (v4 !== undefined) return { family: 4, bytes: v4 }
  const v6 = parseIpv6(text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text)
  return v6 === undefined ? undefined : { family: 6, bytes: v6 }
}

function parseIpv4 (text: string): Uint8Array | undefined {
  const m = V4.exec(text)
  if (m === null) return undefined
  return new Uint8Array([Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])])
}

function parseIpv6 (text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groups = (part: string): number[] | undefined => {
    if (part === '') return []
    const out: number[] = []
    const items = part.split(':')
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as string
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item)
        if (v4 === undefined) return undefined
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number))
      } else {
        if (!HEXGROUP.test(item)) return undefined
        out.push(parseInt(item, 16))
      }
    }
    return out
  }
  const head = groups(halves[0] as string)
  const tail = halves.length === 2 ? groups(halves[1] as string) : []
  if (head === undefined || tail === undefined) return undefined
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return undefined
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
  const out = new Uint8Array(16)
  all.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff })
  return out
}

/**
 * Format 4 bytes as dotted quad, 16 bytes as compressed lower-case IPv6
 * (RFC 5952: the longest run of two or more zero groups becomes `::`).
 * Undefined for any other length.
 * @throws nothing
 */
export function formatIp (bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`
  if (bytes.length !== 16) return undefined
  const g: number[] = []
  for (let i = 0; i < 8; i++) g.push(((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number))
  let bestStart = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) { bestStart = i; bestLen = j - i }
    i = j
  }
  const hex = (xs: number[]): string => xs.map(x => x.toString(16)).join(':')
  if (bestStart < 0) return hex(g)
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`
}

/**
 * The address a peer should be reached at: IPv4-mapped IPv6 (`::ffff:a.b.c.d`)
 * becomes plain IPv4, other addresses are put in canonical form. Undefined
 * when `text` is not an IP address.
 * @throws nothing
 */
export function normalizeIp (text: string): IpBytes | undefined {
  const ip = parseIp(text)
  if (ip === undefined || ip.family === 4) return ip
  const b = ip.bytes
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return ip
  if (b[10] !== 0xff || b[11] !== 0xff) return ip
  return { family: 4, bytes: b.slice(12) }
}
