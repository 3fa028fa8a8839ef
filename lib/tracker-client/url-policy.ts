/**
 * Which tracker URLs and addresses a client may contact (ADVERSARIAL E51,
 * server-side request forgery). The rule:
 *
 * 1. Only `http:`, `https:` and `udp:` URLs are trackers; anything else
 *    (`file:`, `ftp:`, `javascript:` …) is TrackerError `bad-url`.
 * 2. Link-local (169.254.0.0/16, fe80::/10, where cloud metadata services
 *    live) and unspecified (0.0.0.0, ::) addresses are always `refused`.
 * 3. A tracker URL on a loopback host is allowed (local trackers and tests)
 *    unless `allowLoopback` is false; a loopback or private-network HTTP
 *    tracker must have a path whose last segment starts with `announce` or
 *    `scrape`, so a torrent cannot aim requests at a local web service.
 * 4. A redirect from a public host to a loopback, private or link-local
 *    address is `refused` (as libtorrent's `ssrf_mitigation`). From a
 *    loopback or private host it is the `redirectsFromLocal` option:
 *    `'follow'` (the default) keeps rules 1–3 for the target — every URL
 *    such a redirect can reach is one a torrent could list directly, so it
 *    gives a torrent nothing new, and a local tracker proxy forwarding to a
 *    public tracker keeps working (libtorrent follows these too);
 *    `'same-scope'` allows only a target of the same class (loopback to
 *    loopback, private to private); `'refuse'` refuses every redirect from
 *    a local tracker. A redirect to another scheme than http(s) is `bad-url`.
 *
 * The same checks run on the address a host name resolves to, so a public
 * name pointing at 127.0.0.1 is caught after the DNS lookup.
 * @see BEP 3, BEP 15
 */
import { parseIp } from '../tracker/ip-address.js'
import { TrackerError } from '../tracker/tracker-error.js'

/** What kind of network an address is on. */
export type AddressClass = 'loopback' | 'private' | 'link-local' | 'unspecified' | 'public'

/** A tracker URL taken apart. */
export interface TrackerUrl {
  readonly scheme: 'http' | 'https' | 'udp'
  /** Host name or IP address, IPv6 without brackets. */
  readonly host: string
  readonly port: number
  /** Path and query (BEP 41 URL data for UDP), `''` when absent. */
  readonly pathAndQuery: string
  /** The last path segment, for rule 3. */
  readonly lastSegment: string
}

/** What a redirect from a loopback or private tracker may reach (rule 4). */
export type LocalRedirectPolicy = 'follow' | 'same-scope' | 'refuse'

/** Options of {@link checkTrackerUrl} and {@link checkRedirect}. */
export interface UrlPolicyOptions {
  /** Allow trackers on loopback hosts (rule 3). Default true. */
  readonly allowLoopback?: boolean
  /** Redirects from a loopback or private tracker (rule 4). Default `'follow'`. */
  readonly redirectsFromLocal?: LocalRedirectPolicy
}

/**
 * The class of an IP address literal (IPv4-mapped IPv6 counts as its IPv4),
 * `localhost` and `*.localhost` as loopback; undefined for another host name.
 * Never throws.
 */
export function classifyHost (host: string): AddressClass | undefined {
  const h = host.toLowerCase().replace(/\.$/, '')
  if (h === 'localhost' || h.endsWith('.localhost')) return 'loopback'
  const ip = parseIp(h)
  if (ip === undefined) return undefined
  const b = ip.bytes
  if (ip.family === 6) {
    const mapped = b.subarray(0, 10).every(x => x === 0) && b[10] === 0xff && b[11] === 0xff
    if (mapped) return classifyV4(b.subarray(12))
    if (b.every(x => x === 0)) return 'unspecified'
    if (b.subarray(0, 15).every(x => x === 0) && b[15] === 1) return 'loopback'
    const b0 = b[0] as number
    const b1 = b[1] as number
    if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return 'link-local'
    if ((b0 & 0xfe) === 0xfc) return 'private'
    return 'public'
  }
  return classifyV4(b)
}

function classifyV4 (b: Uint8Array): AddressClass {
  const [a = 0, c = 0] = b
  if (a === 0) return 'unspecified'
  if (a === 127) return 'loopback'
  if (a === 169 && c === 254) return 'link-local'
  if (a === 10 || (a === 172 && c >= 16 && c <= 31) || (a === 192 && c === 168) || (a === 100 && c >= 64 && c <= 127)) return 'private'
  return 'public'
}

/**
 * Take a tracker URL apart.
 * @throws TrackerError `bad-url` for a URL that does not parse, a scheme other
 *   than http, https or udp, credentials in the URL, or a missing UDP port
 */
export function parseTrackerUrl (url: string): TrackerUrl {
  let u: URL
  try {
    u = new URL(url)
  } catch (cause) {
    throw new TrackerError('bad-url', `not a URL: ${url.slice(0, 200)}`, { cause, disposition: 'reject' })
  }
  const scheme = u.protocol.slice(0, -1).toLowerCase()
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'udp') {
    throw new TrackerError('bad-url', `unsupported tracker scheme ${scheme}:`, { disposition: 'reject', details: { scheme } })
  }
  if (u.username !== '' || u.password !== '') throw new TrackerError('bad-url', 'credentials in a tracker URL', { disposition: 'reject' })
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
  if (host === '') throw new TrackerError('bad-url', 'tracker URL without a host', { disposition: 'reject' })
  const port = u.port !== '' ? Number(u.port) : scheme === 'http' ? 80 : scheme === 'https' ? 443 : 0
  if (port < 1 || port > 65535) throw new TrackerError('bad-url', 'UDP tracker URL without a port', { disposition: 'reject' })
  const segments = u.pathname.split('/')
  return { scheme, host, port, pathAndQuery: u.pathname === '/' && u.search === '' && scheme === 'udp' ? '' : u.pathname + u.search, lastSegment: segments[segments.length - 1] ?? '' }
}

/**
 * Check a tracker URL (rules 1–3), or a resolved address of its host when
 * `address` is given.
 * @throws TrackerError `bad-url` (rule 1) or `refused` (rules 2–3)
 */
export function checkTrackerUrl (url: TrackerUrl, options: UrlPolicyOptions = {}, address?: string): void {
  const cls = classifyHost(address ?? url.host)
  if (cls === undefined || cls === 'public') return
  const where = address === undefined ? url.host : `${url.host} (${address})`
  if (cls === 'link-local' || cls === 'unspecified') throw refused(`tracker host ${where} is ${cls}`)
  if (cls === 'loopback' && options.allowLoopback === false) throw refused(`tracker host ${where} is loopback`)
  if (url.scheme !== 'udp' && !/^(announce|scrape)/.test(url.lastSegment)) {
    throw refused(`tracker on ${cls} host ${where} must have an announce or scrape path`)
  }
}

/**
 * Check one HTTP redirect hop (rule 4) and the target itself (rules 1–3).
 * `fromClass` is the class of the first host in the chain (or of its
 * address). A target given by name is checked again on its resolved
 * `address` before the connection is made.
 * @throws TrackerError `bad-url` or `refused`
 */
export function checkRedirect (fromClass: AddressClass | undefined, to: string, options: UrlPolicyOptions = {}, address?: string): TrackerUrl {
  const target = parseTrackerUrl(to)
  if (target.scheme === 'udp') throw new TrackerError('bad-url', 'redirect to a udp: URL', { disposition: 'reject' })
  checkTrackerUrl(target, options, address)
  const cls = classifyHost(address ?? target.host)
  if (isPublic(fromClass)) {
    if (cls !== undefined && cls !== 'public') throw refused(`redirect from a public tracker to ${cls} host ${address ?? target.host}`)
    return target
  }
  const policy = options.redirectsFromLocal ?? 'follow'
  if (policy === 'refuse') throw refused(`redirect from a ${fromClass as string} tracker (redirectsFromLocal: 'refuse')`)
  if (policy === 'same-scope' && cls !== undefined && cls !== fromClass) {
    throw refused(`redirect from a ${fromClass as string} tracker to ${cls} host ${address ?? target.host} (redirectsFromLocal: 'same-scope')`)
  }
  return target
}

/** Public host, or a name not yet resolved (treated as public). */
function isPublic (cls: AddressClass | undefined): boolean {
  return cls === undefined || cls === 'public'
}

function refused (message: string): TrackerError {
  return new TrackerError('refused', message, { disposition: 'reject' })
}
