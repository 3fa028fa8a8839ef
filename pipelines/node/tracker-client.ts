/**
 * The Node tracker client: one object that announces to and scrapes
 * `http://`, `https://` and `udp://` trackers, with BEP 34 DNS preferences
 * when asked. It is the `client` of the `announceSchedule` operator.
 *
 * @example
 * ```ts
 * const client = nodeTrackerClient({ dnsPreferences: true })
 * const r = await client.announce('udp://tracker.example:6969/announce', request)
 * await client.close()
 * ```
 * @see BEP 3, BEP 15, BEP 34, BEP 48
 */
import { TrackerError } from '../../lib/tracker/tracker-error.js'
import type { AnnounceRequest, AnnounceResponse, ScrapeResponse } from '../../lib/tracker/types.js'
import { parseTrackerUrl, type LocalRedirectPolicy } from '../../lib/tracker-client/url-policy.js'
import { dnsPreferences as createDnsPreferences, type DnsPreferences } from './dns-preferences.js'
import { HTTP_TRACKER_DEFAULTS, httpAnnounce, httpScrape, type HttpTrackerOptions } from './http-tracker-client.js'
import { udpTrackerClient, type UdpTrackerOptions } from './udp-tracker-client.js'

/** A tracker client over HTTP, HTTPS and UDP (an `AnnounceClient` with scrape and close), from {@link nodeTrackerClient}. */
export interface TrackerClient {
  /**
   * Announce `req` to the tracker at `url`.
   * @throws TrackerError (`bad-url` for an unknown scheme, `refused`,
   *   `failure`, `timeout`, `too-large`, `bad-response`, `redirect-loop`,
   *   `closed`); rejects with `signal.reason` when aborted
   */
  announce: (url: string, req: AnnounceRequest, options?: { signal?: AbortSignal }) => Promise<AnnounceResponse>
  /**
   * Scrape `infoHashes` from the tracker whose announce URL is `url` (BEP 48 rule for HTTP).
   * @throws as {@link TrackerClient.announce}
   */
  scrape: (url: string, infoHashes: readonly Uint8Array[], options?: { signal?: AbortSignal }) => Promise<ScrapeResponse>
  /** Release the UDP sockets; later calls fail with TrackerError `closed`. */
  close: () => Promise<void>
}

/** Options of {@link nodeTrackerClient}. */
export interface NodeTrackerClientOptions {
  /**
   * Deadline of one request. HTTP default 15 s; for UDP the default is the
   * BEP 15 retransmission schedule (which may take an hour), and a value
   * given here caps it.
   */
  readonly timeoutMs?: number
  /** Largest HTTP body, after decompression. Default 1 MiB. */
  readonly maxResponseBytes?: number
  /** HTTP redirects followed. Default 5. */
  readonly maxRedirects?: number
  /** Look up BEP 34 TXT records before using a tracker host. Default false. */
  readonly dnsPreferences?: boolean
  /** DNS servers for the BEP 34 lookups (`host` or `host:port`). Default the system's. */
  readonly dnsServers?: readonly string[]
  /** Allow trackers on loopback hosts (see lib/tracker-client/url-policy.ts). Default true. */
  readonly allowLoopback?: boolean
  /**
   * Where an HTTP redirect from a loopback or private tracker may go (URL
   * policy rule 4): `'follow'` (default; the target still obeys rules 1–3),
   * `'same-scope'` (loopback to loopback, private to private) or `'refuse'`.
   * A public tracker's redirect to a local address is refused whatever this says.
   */
  readonly redirectsFromLocal?: LocalRedirectPolicy
  /** More UDP settings (retransmission base, timers, connection id lifetime). */
  readonly udp?: UdpTrackerOptions
  /** More HTTP settings (user agent, lookup). */
  readonly http?: Omit<HttpTrackerOptions, 'signal'>
}

/**
 * Create a tracker client. With `dnsPreferences`, each URL is first passed
 * through the host's BEP 34 record: a host that denies trackers fails with
 * TrackerError `refused` (`retryIn: 'never'`), otherwise the rewritten URLs
 * are tried in order and the first answer wins (the last error is thrown
 * when none answers).
 * @throws nothing itself; see {@link TrackerClient}
 * @see BEP 3, BEP 15, BEP 34, BEP 48
 */
export function nodeTrackerClient (options: NodeTrackerClientOptions = {}): TrackerClient {
  const allowLoopback = options.allowLoopback ?? true
  const udp = udpTrackerClient({ allowLoopback, ...options.udp })
  const dns: DnsPreferences | undefined = options.dnsPreferences === true
    ? createDnsPreferences(options.dnsServers === undefined ? {} : { servers: options.dnsServers })
    : undefined
  let closed = false

  const httpOptions = (signal: AbortSignal | undefined): HttpTrackerOptions => ({
    ...options.http,
    timeoutMs: options.timeoutMs ?? HTTP_TRACKER_DEFAULTS.timeoutMs,
    maxResponseBytes: options.maxResponseBytes ?? HTTP_TRACKER_DEFAULTS.maxResponseBytes,
    maxRedirects: options.maxRedirects ?? HTTP_TRACKER_DEFAULTS.maxRedirects,
    allowLoopback,
    ...(options.redirectsFromLocal === undefined ? {} : { redirectsFromLocal: options.redirectsFromLocal }),
    ...(signal === undefined ? {} : { signal })
  })

  /** Run `op` on each candidate URL (BEP 34) until one answers. */
  async function run<T> (url: string, signal: AbortSignal | undefined, op: (url: string, signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    if (closed) throw new TrackerError('closed', 'the tracker client was closed')
    parseTrackerUrl(url)
    const candidates = dns === undefined ? [url] : await dns.urlsFor(url, signal === undefined ? {} : { signal })
    if (candidates.length === 0) {
      throw new TrackerError('refused', 'the tracker host denies BitTorrent trackers (BEP 34 DNS record)', { retryIn: 'never', details: { url } })
    }
    let last: unknown
    for (const candidate of candidates) {
      try {
        return await withDeadline(candidate, signal, op)
      } catch (e) {
        if (signal?.aborted === true) throw e
        last = e
      }
    }
    throw last
  }

  /** UDP requests get the overall deadline when `timeoutMs` is set; HTTP enforces its own. */
  async function withDeadline<T> (url: string, signal: AbortSignal | undefined, op: (url: string, signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    if (options.timeoutMs === undefined || !url.toLowerCase().startsWith('udp:')) return await op(url, signal)
    const ac = new AbortController()
    const timeout = new TrackerError('timeout', `tracker did not answer within ${options.timeoutMs} ms`, { details: { url } })
    const timer = setTimeout(() => { ac.abort(timeout) }, options.timeoutMs)
    const onAbort = (): void => { ac.abort(signal?.reason) }
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      return await op(url, ac.signal)
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  const opts = (signal: AbortSignal | undefined): { signal?: AbortSignal } => (signal === undefined ? {} : { signal })

  return {
    async announce (url, req, o = {}) {
      return await run(url, o.signal, async (u, signal) => {
        const scheme = parseTrackerUrl(u).scheme
        return scheme === 'udp' ? await udp.announce(u, req, opts(signal)) : await httpAnnounce(u, req, httpOptions(signal))
      })
    },
    async scrape (url, infoHashes, o = {}) {
      return await run(url, o.signal, async (u, signal) => {
        const scheme = parseTrackerUrl(u).scheme
        return scheme === 'udp' ? await udp.scrape(u, infoHashes, opts(signal)) : await httpScrape(u, infoHashes, httpOptions(signal))
      })
    },
    async close () {
      closed = true
      await udp.close()
    }
  }
}
