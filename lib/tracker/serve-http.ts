/**
 * What a tracker answers to one HTTP request: the pure part of an HTTP
 * tracker server. The platform shell only reads the request and writes the
 * returned status and body.
 * @see BEP 3, BEP 7, BEP 23, BEP 24, BEP 48
 */
import { isLoopback } from './address-scope.js'
import { encodeAnnounceResponse, encodeFailure, encodeScrapeResponse, parseAnnounceQuery, parseScrapeQuery } from './http-server-codec.js'
import { formatIp, normalizeIp } from './ip-address.js'
import type { SwarmRegistry } from './swarm-registry.js'
import { TrackerError } from './tracker-error.js'

/** Intervals a tracker tells its clients, in seconds. */
export interface TrackerIntervals {
  readonly interval: number
  readonly minInterval?: number
}

/** An HTTP answer: always a bencoded body. */
export interface HttpTrackerReply {
  readonly status: number
  readonly body: Uint8Array
}

/**
 * Answer `GET <path>?<rawQuery>` from `remote`. `/announce` and `/scrape`
 * (also as the last path segment, e.g. `/x/announce`) are served; anything
 * else is a 404 with a `failure reason`. Every bad request gets a 200 with a
 * `failure reason`, never an exception. The peer's address is the remote
 * address; the `ip` parameter is honoured only when the remote is loopback
 * (a local test swarm or a reverse proxy on the same host), for the address
 * listed to other peers; the entry still counts against the remote address
 * in the per-source cap, so one local host cannot fill the tracker by
 * naming other addresses. A scrape must name
 * its info-hashes (no full scrape).
 * @throws nothing
 * @see BEP 3, BEP 48
 */
export function serveHttpRequest (
  registry: SwarmRegistry,
  request: { readonly path: string, readonly rawQuery: string },
  remote: { readonly host: string },
  now: number,
  intervals: TrackerIntervals
): HttpTrackerReply {
  const last = request.path.slice(request.path.lastIndexOf('/') + 1)
  try {
    if (last === 'announce') {
      const q = parseAnnounceQuery(request.rawQuery)
      const host = q.ip !== undefined && isLoopback(remote.host) ? q.ip : remote.host
      const r = registry.announce(q, { host, sender: remote.host }, now)
      const external = normalizeIp(remote.host)
      const body = encodeAnnounceResponse({
        interval: intervals.interval,
        ...(intervals.minInterval === undefined ? {} : { minInterval: intervals.minInterval }),
        complete: r.complete,
        incomplete: r.incomplete,
        peers: r.peers,
        ...(external === undefined ? {} : { externalIp: formatIp(external.bytes) as string })
      }, { compact: q.compact, noPeerId: q.noPeerId })
      return { status: 200, body }
    }
    if (last === 'scrape') {
      const hashes = parseScrapeQuery(request.rawQuery)
      if (hashes.length === 0) throw new TrackerError('bad-request', 'scrape needs at least one info_hash')
      return { status: 200, body: encodeScrapeResponse(registry.scrape(hashes)) }
    }
    return { status: 404, body: encodeFailure('not a tracker path (use /announce or /scrape)', 'never') }
  } catch (e) {
    if (e instanceof TrackerError) return { status: 200, body: encodeFailure(e.message, e.retryIn) }
    return { status: 200, body: encodeFailure('internal tracker error', 60) }
  }
}
