/**
 * BEP 34 DNS tracker preferences, the pure part: read a host's TXT records
 * (`BITTORRENT DENY ALL`, `BITTORRENT UDP:6969 TCP:80`) and turn one tracker
 * URL into the URLs to try, in the host's order of preference.
 * @see BEP 34
 */

/** One service a host says it runs: `UDP:port` (UDP tracker) or `TCP:port` (HTTP tracker). */
export interface TrackerService {
  readonly protocol: 'udp' | 'tcp'
  readonly port: number
}

/** What a host's `BITTORRENT` TXT record says. */
export type TrackerDnsPolicy =
  /** No tracker runs on this host (`BITTORRENT DENY ALL`, or `BITTORRENT` alone). */
  | { readonly kind: 'deny' }
  /** Trackers run on these services, most preferred first. */
  | { readonly kind: 'services', readonly services: readonly TrackerService[] }

/** Most services read from one record; the rest are ignored. */
export const MAX_TXT_SERVICES = 16
/** Longest record considered; longer ones are ignored. */
export const MAX_TXT_LENGTH = 1024

/**
 * The policy in a host's TXT records, each given as its character strings
 * (as `node:dns` `resolveTxt` returns them; the strings of one record are
 * joined). The first record whose first word is `BITTORRENT` (case-sensitive)
 * decides; undefined when there is none, meaning "use the URL as is".
 * `UDP:p`/`TCP:p` with p in 1–65535 are kept in order, duplicates and unknown
 * words skipped; `DENY`, or no usable service at all, means deny. Never throws.
 * @see BEP 34
 */
export function parseTrackerTxt (records: readonly (readonly string[])[]): TrackerDnsPolicy | undefined {
  for (const chunks of records) {
    const text = chunks.join('')
    if (text.length > MAX_TXT_LENGTH) continue
    const words = text.split(/[ \t]+/).filter(w => w !== '')
    if (words[0] !== 'BITTORRENT') continue
    if (words.includes('DENY')) return { kind: 'deny' }
    const services: TrackerService[] = []
    for (const word of words.slice(1)) {
      const m = /^(UDP|TCP):(\d{1,5})$/.exec(word)
      if (m === null) continue
      const port = Number(m[2])
      const protocol = m[1] === 'UDP' ? 'udp' : 'tcp'
      if (port < 1 || port > 65535) continue
      if (services.some(s => s.protocol === protocol && s.port === port)) continue
      services.push({ protocol, port })
      if (services.length >= MAX_TXT_SERVICES) break
    }
    return services.length === 0 ? { kind: 'deny' } : { kind: 'services', services }
  }
  return undefined
}

/**
 * The URLs to try instead of `url` under `policy`: none for `deny`; one per
 * service otherwise, in order, same host, path and query, with the scheme
 * and port of the service (`TCP` keeps `https` when the URL had it and is
 * `http` otherwise; a UDP URL without a path becomes `/announce` over HTTP).
 * A URL that is not http(s) or udp, or cannot be parsed, is returned alone.
 * Never throws.
 * @see BEP 34
 */
export function applyTrackerTxt (url: string, policy: TrackerDnsPolicy | undefined): string[] {
  if (policy === undefined) return [url]
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return [url]
  }
  const scheme = parsed.protocol.slice(0, -1).toLowerCase()
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'udp') return [url]
  if (policy.kind === 'deny') return []
  const host = parsed.hostname
  const rest = parsed.pathname + parsed.search
  const out: string[] = []
  for (const s of policy.services) {
    let candidate: string
    if (s.protocol === 'udp') {
      candidate = `udp://${host}:${s.port}${rest}`
    } else {
      const httpScheme = scheme === 'https' ? 'https' : 'http'
      const path = parsed.pathname === '' || parsed.pathname === '/' ? (scheme === 'udp' ? '/announce' : parsed.pathname) : parsed.pathname
      candidate = `${httpScheme}://${host}:${s.port}${path}${parsed.search}`
    }
    if (!out.includes(candidate)) out.push(candidate)
  }
  return out
}
