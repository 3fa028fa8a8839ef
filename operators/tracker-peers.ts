import { concatMap, from, map, tap, type Observable, type SchedulerLike } from 'rxjs'
import type { Torrent } from '../lib/metainfo/types.js'
import type { AnnounceEvent, AnnounceRequest, TrackerPeer } from '../lib/tracker/types.js'
import type { BackoffOptions } from '../lib/tracker-client/backoff.js'
import type { PeerAddress } from '../lib/transport/types.js'
import { announceSchedule, type AnnounceClient, type AnnounceOutcome, type CompletedSettlement } from './announce-schedule.js'

/**
 * The peers of every successful announce, in the tracker's order; duplicates
 * within one response (same host and port) and entries without a usable
 * port are dropped. Failed outcomes emit nothing.
 *
 * ```
 * outcomes: --a-----x---b--     (a: peers p,q,p; x: a failure; b: peers q)
 * result:   --(pq)-------q--
 * ```
 * Completes and errors with `outcomes$`; unsubscribing unsubscribes from it
 * (which, for {@link announceSchedule}, sends `stopped`).
 * @see BEP 3, BEP 23
 */
export function trackerPeers (outcomes$: Observable<AnnounceOutcome>): Observable<TrackerPeer> {
  return outcomes$.pipe(concatMap(outcome => from(distinctPeers(outcome.response?.peers ?? []))))
}

function distinctPeers (peers: readonly TrackerPeer[]): TrackerPeer[] {
  const seen = new Set<string>()
  const out: TrackerPeer[] = []
  for (const p of peers) {
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535 || p.host === '') continue
    const key = `${p.host.toLowerCase()}|${p.port}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push(p)
  }
  return out
}

/** Transfer statistics read at each announce. */
export interface AnnounceStats {
  readonly uploaded: number
  readonly downloaded: number
  readonly left: number
}

/** Options of {@link torrentTrackerPeers}. */
export interface TorrentTrackerPeersOptions {
  /** The torrent (or, for a magnet link, `{ infoHash, announce: trackers.map(t => [t]) }`). */
  readonly torrent: Pick<Torrent, 'infoHash' | 'announce'>
  readonly client: AnnounceClient
  /** Our 20-byte peer id. */
  readonly peerId: Uint8Array
  /** The port we accept peers on. */
  readonly port: number
  /** Current statistics; called for each announce. */
  readonly stats: () => AnnounceStats
  /** A random uint32 identifying this client to trackers across IP changes (from `node:crypto` in a pipeline). */
  readonly key?: number
  /** Emits once when the download finishes. */
  readonly completed$?: Observable<unknown>
  readonly scheduler?: SchedulerLike
  /** Tier shuffling; pipelines pass `Math.random`. */
  readonly random?: () => number
  /** Peers asked for per announce. */
  readonly numwant?: number
  readonly backoff?: BackoffOptions
  /** Also told every outcome, e.g. to report tracker errors as warnings. */
  readonly onOutcome?: (outcome: AnnounceOutcome) => void
  /** An announce unanswered this long counts as failed and the next tracker is tried. */
  readonly timeoutMs?: number
  /** Told once when the wait for the `completed` announce is over (see `announceSchedule`). */
  readonly onCompletedSettled?: (how: CompletedSettlement) => void
}

/**
 * The peers the trackers of a torrent hand out, for the `peerSources` of the
 * download and seed pipelines: the value is shaped like their `FoundPeer`.
 *
 * ```ts
 * const client = nodeTrackerClient()
 * const peers$ = torrentTrackerPeers({
 *   torrent, client, peerId, port: listenPort, key: randomInt(2 ** 32),
 *   stats: () => ({ uploaded: meter.up, downloaded: meter.down, left: bytesLeft() }),
 *   completed$: progress$.pipe(filter(p => p.state === 'seeding'), take(1)),
 *   random: Math.random
 * })
 * download({ …, peerSources: [peers$] })   // close the client when the torrent stops
 * ```
 * A private torrent (BEP 27) must use this as its only peer source: no DHT,
 * PEX or LSD. Subscribing announces `started`; unsubscribing sends `stopped`.
 * @see BEP 3, BEP 12, BEP 27
 */
export function torrentTrackerPeers (options: TorrentTrackerPeersOptions): Observable<{ readonly address: PeerAddress, readonly source: 'tracker' }> {
  const request = (event: AnnounceEvent): AnnounceRequest => {
    const s = options.stats()
    return {
      infoHash: options.torrent.infoHash,
      peerId: options.peerId,
      port: options.port,
      uploaded: s.uploaded,
      downloaded: s.downloaded,
      left: s.left,
      event,
      ...(options.key === undefined ? {} : { key: options.key })
    }
  }
  const outcomes$ = announceSchedule({
    tiers: options.torrent.announce,
    client: options.client,
    request,
    ...(options.completed$ === undefined ? {} : { completed$: options.completed$ }),
    ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.numwant === undefined ? {} : { numwant: options.numwant }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.onCompletedSettled === undefined ? {} : { onCompletedSettled: options.onCompletedSettled })
  })
  const observed = options.onOutcome === undefined
    ? outcomes$
    : outcomes$.pipe(tap(options.onOutcome))
  return trackerPeers(observed).pipe(map(p => ({ address: { host: p.host, port: p.port }, source: 'tracker' as const })))
}
