/**
 * BEP 34 DNS tracker preferences over `node:dns`: before a tracker host is
 * used, its TXT records say whether it runs a tracker and on which services;
 * the answer rewrites or filters the URLs to try. A failed lookup (no record,
 * no server, timeout) leaves the URL as it is.
 * @see BEP 34
 */
import { Resolver } from 'node:dns/promises'
import { applyTrackerTxt, parseTrackerTxt, type TrackerDnsPolicy } from '../../lib/tracker-client/dns-txt.js'
import { classifyHost } from '../../lib/tracker-client/url-policy.js'

/** Options of {@link dnsPreferences}. */
export interface DnsPreferencesOptions {
  /** DNS servers (`'1.1.1.1'`, `'127.0.0.1:5353'`); default the system's. */
  readonly servers?: readonly string[]
  /** Per-query timeout of the resolver. Default 2000 ms. */
  readonly timeoutMs?: number
  /** How long an answer (or a failure) is remembered per host. Default 10 min. */
  readonly cacheMs?: number
  /** Most hosts remembered. Default 1000. */
  readonly maxCachedHosts?: number
  /** Clock for the cache. Default `Date.now`. */
  readonly now?: () => number
}

/** The BEP 34 lookup of one client. */
export interface DnsPreferences {
  /**
   * The URLs to try for `url`, in preference order: `[url]` when the host has
   * no `BITTORRENT` record, is an IP address or `localhost`, or the lookup
   * fails; `[]` when it denies all trackers. Never rejects, except with
   * `signal.reason` when aborted.
   */
  urlsFor: (url: string, options?: { signal?: AbortSignal }) => Promise<string[]>
  /** The policy of `host` (cached), undefined when there is none. */
  policyOf: (host: string, options?: { signal?: AbortSignal }) => Promise<TrackerDnsPolicy | undefined>
}

/**
 * Create a BEP 34 lookup with its own `Resolver` (and servers) and cache.
 * @see BEP 34
 */
export function dnsPreferences (options: DnsPreferencesOptions = {}): DnsPreferences {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: 1 })
  if (options.servers !== undefined) resolver.setServers([...options.servers])
  const cacheMs = options.cacheMs ?? 10 * 60_000
  const maxHosts = options.maxCachedHosts ?? 1000
  const now = options.now ?? Date.now
  const cache = new Map<string, { at: number, policy: Promise<TrackerDnsPolicy | undefined> }>()

  async function lookup (host: string): Promise<TrackerDnsPolicy | undefined> {
    try {
      return parseTrackerTxt(await resolver.resolveTxt(host))
    } catch {
      return undefined
    }
  }

  async function policyOf (host: string, opts: { signal?: AbortSignal } = {}): Promise<TrackerDnsPolicy | undefined> {
    const signal = opts.signal
    if (signal?.aborted === true) throw signal.reason
    const key = host.toLowerCase()
    let entry = cache.get(key)
    if (entry === undefined || now() - entry.at >= cacheMs) {
      if (cache.size >= maxHosts) cache.delete(cache.keys().next().value as string)
      entry = { at: now(), policy: lookup(key) }
      cache.set(key, entry)
    }
    const pending = entry.policy
    if (signal === undefined) return await pending
    return await new Promise<TrackerDnsPolicy | undefined>((resolve, reject) => {
      const onAbort = (): void => { reject(signal.reason) }
      signal.addEventListener('abort', onAbort, { once: true })
      void pending.then(p => { signal.removeEventListener('abort', onAbort); resolve(p) })
    })
  }

  return {
    policyOf,
    async urlsFor (url, opts = {}) {
      let host: string
      try {
        host = new URL(url).hostname
      } catch {
        return [url]
      }
      if (host === '' || host.startsWith('[') || classifyHost(host) !== undefined) return [url]
      return applyTrackerTxt(url, await policyOf(host, opts))
    }
  }
}
