/**
 * A BitTorrent tracker: HTTP and UDP front ends over one in-memory swarm
 * registry, with peers expired on a timer.
 * @see BEP 3, BEP 7, BEP 15, BEP 23, BEP 24, BEP 41, BEP 48
 */
import { asyncScheduler, interval as every, type SchedulerLike, type Subscription } from 'rxjs'
import { formatAddress } from '../lib/transport/types.js'
import { TRACKER_LIMITS } from '../lib/tracker/limits.js'
import { serveHttpRequest } from '../lib/tracker/serve-http.js'
import { serveUdpPacket } from '../lib/tracker/serve-udp.js'
import { SwarmRegistry, type SwarmRegistryStats } from '../lib/tracker/swarm-registry.js'
import { listenHttpTracker, type HttpTrackerListener } from './node/tracker-http-server.js'
import { hmacConnectionIds, listenUdpTracker, type UdpTrackerListener } from './node/tracker-udp-server.js'

/** Options of {@link startTracker}. */
export interface TrackerServerOptions {
  /** Address to bind; default `127.0.0.1`. */
  readonly host?: string
  /** HTTP port (0: any free port); no HTTP front end when absent. */
  readonly httpPort?: number
  /** UDP port (0: any free port); no UDP front end when absent. */
  readonly udpPort?: number
  /** Announce interval told to clients, in seconds; default 1800. */
  readonly interval?: number
  /** `min interval` told to HTTP clients, in seconds. */
  readonly minInterval?: number
  /** Peers silent this long are dropped; default `TRACKER_LIMITS.peerTimeoutMs`. */
  readonly peerTimeoutMs?: number
  /** Only these info-hashes are tracked, when given. */
  readonly allowList?: readonly Uint8Array[]
  readonly maxTorrents?: number
  readonly maxPeersPerTorrent?: number
  /** Most peers over all torrents (see `SwarmRegistryOptions.maxPeers`); default `TRACKER_LIMITS.maxPeers`. */
  readonly maxPeers?: number
  /** Most peer entries per source IPv4 address or IPv6 /64; default `TRACKER_LIMITS.maxPeersPerAddress`. */
  readonly maxPeersPerAddress?: number
  /** Clock and timers (expiry); default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike
  /** Aborting closes the tracker. */
  readonly signal?: AbortSignal
}

/** Counters of a running tracker. */
export interface TrackerServerStats extends SwarmRegistryStats {
  readonly httpRequests: number
  readonly udpPackets: number
}

/** A running tracker. */
export interface TrackerServer {
  /** `http://host:port/announce`, when HTTP is served. */
  readonly httpUrl?: string
  /** `udp://host:port/announce`, when UDP is served. */
  readonly udpUrl?: string
  /** Stop serving and the expiry timer. Idempotent. */
  close: () => Promise<void>
  /** Counters: swarms, peers, HTTP requests and UDP packets served. */
  stats: () => TrackerServerStats
}

/**
 * Start a tracker on `host` with an HTTP front end on `httpPort` and/or a UDP
 * front end on `udpPort`. Bad requests are answered with a `failure reason`
 * (HTTP) or dropped or answered with an error (UDP); the server keeps
 * serving. Peers not re-announcing within `peerTimeoutMs` are expired by a
 * timer on `scheduler`. Memory is bounded: torrents, peers per torrent,
 * peers overall and peer entries per source address (IPv4, or IPv6 /64) are
 * capped, new entries over a cap refused with a failure reason (see
 * `SwarmRegistry`). Aborting `signal` closes it.
 * @throws the bind error (e.g. port in use) as a rejection, after closing what was opened
 * @see BEP 3, BEP 15, BEP 48
 */
export async function startTracker (options: TrackerServerOptions = {}): Promise<TrackerServer> {
  const host = options.host ?? '127.0.0.1'
  const scheduler = options.scheduler ?? asyncScheduler
  const peerTimeoutMs = options.peerTimeoutMs ?? TRACKER_LIMITS.peerTimeoutMs
  const registry = new SwarmRegistry({
    peerTimeoutMs,
    ...(options.allowList === undefined ? {} : { allowList: options.allowList }),
    ...(options.maxTorrents === undefined ? {} : { maxTorrents: options.maxTorrents }),
    ...(options.maxPeersPerTorrent === undefined ? {} : { maxPeersPerTorrent: options.maxPeersPerTorrent }),
    ...(options.maxPeers === undefined ? {} : { maxPeers: options.maxPeers }),
    ...(options.maxPeersPerAddress === undefined ? {} : { maxPeersPerAddress: options.maxPeersPerAddress })
  })
  const intervals = {
    interval: options.interval ?? TRACKER_LIMITS.defaultInterval,
    ...(options.minInterval === undefined ? {} : { minInterval: options.minInterval })
  }
  let httpRequests = 0
  let udpPackets = 0
  let http: HttpTrackerListener | undefined
  let udp: UdpTrackerListener | undefined
  let timer: Subscription | undefined
  let closed: Promise<void> | undefined
  const close = async (): Promise<void> => {
    closed ??= (async () => {
      timer?.unsubscribe()
      options.signal?.removeEventListener('abort', onAbort)
      await Promise.all([http?.close(), udp?.close()])
    })()
    await closed
  }
  const onAbort = (): void => { void close() }

  try {
    if (options.httpPort !== undefined) {
      http = await listenHttpTracker({
        host,
        port: options.httpPort,
        handle: (request, remote) => { httpRequests++; return serveHttpRequest(registry, request, remote, scheduler.now(), intervals) }
      })
    }
    if (options.udpPort !== undefined) {
      const connectionIds = hmacConnectionIds()
      udp = await listenUdpTracker({
        host,
        port: options.udpPort,
        handle: (packet, remote) => { udpPackets++; return serveUdpPacket(registry, packet, remote, scheduler.now(), { ...intervals, connectionIds }) }
      })
    }
  } catch (e) {
    await close()
    throw e
  }
  timer = every(Math.max(1000, Math.min(60_000, Math.floor(peerTimeoutMs / 4))), scheduler).subscribe(() => { registry.expire(scheduler.now()) })
  if (options.signal?.aborted === true) await close()
  else options.signal?.addEventListener('abort', onAbort, { once: true })

  return {
    ...(http === undefined ? {} : { httpUrl: `http://${formatAddress(http.address)}/announce` }),
    ...(udp === undefined ? {} : { udpUrl: `udp://${formatAddress(udp.address)}/announce` }),
    close,
    stats: () => ({ ...registry.stats(), httpRequests, udpPackets })
  }
}
