import { Subscription, asyncScheduler, type SchedulerLike } from 'rxjs'
import { EXTENSION_LIMITS } from '../lib/extensions/limits.js'
import { RxTorrentError } from '../lib/errors.js'
import { encode } from '../lib/bencode/index.js'
import { MetadataCandidates } from '../lib/extensions/metadata-candidates.js'
import { parseInfoDict } from '../lib/metainfo/parse-info-dict.js'
import type { Torrent } from '../lib/metainfo/types.js'
import { peerIdFromRandom } from '../lib/peer-id/index.js'
import { formatAddress, type Duplex, type PeerAddress, type Transport } from '../lib/transport/types.js'
import { torrentTrackerPeers } from '../operators/tracker-peers.js'
import { ANNOUNCE_TIMEOUT_MS } from './completed-announce-wait.js'
import { MetadataPeer, type MetadataFetchContext } from './metadata-peer.js'
import { PeerDialer, type DialBudget, type DialOutcome } from './peer-dialer.js'
import type { OwnedTrackerClient } from './run-torrent.js'
import type { TorrentWarning } from './types.js'

/** Options of {@link fetchMetadata}. */
export interface FetchMetadataOptions {
  /** Peers to ask (a magnet's `x.pe`, `--peer`). */
  readonly peers?: readonly PeerAddress[]
  /** Tracker tiers to find more peers (a magnet's `tr`). */
  readonly trackers?: readonly (readonly string[])[]
  /** The port we announce to trackers (the one the download will listen on). */
  readonly port?: number
  readonly transport?: Transport
  readonly scheduler?: SchedulerLike
  readonly peerId?: Uint8Array
  /** Largest metadata accepted; default 16 MiB. */
  readonly maxMetadataSize?: number
  /** Distinct metadata sizes tracked at once (peers may disagree); default 8. */
  readonly maxMetadataCandidates?: number
  /** A peer that leaves a request unanswered this long is dropped; default 15 s. */
  readonly requestTimeoutMs?: number
  /** Called for each peer or tracker that fails. */
  readonly onWarning?: (w: TorrentWarning) => void
  readonly signal?: AbortSignal
}

/**
 * Options of {@link fetchMetadataWith}: those of `fetchMetadata`, with the
 * platform injected (`nodeMetadataDefaults` in `pipelines/node/defaults.ts`
 * gives Node's).
 */
export interface FetchMetadataWithOptions extends FetchMetadataOptions {
  /** Dials the peers. */
  readonly transport: Transport
  /** SHA-1, to check the metadata against the info-hash. */
  readonly sha1: (data: Uint8Array) => Uint8Array
  /** Makes the tracker client when `trackers` are given; closed 5 s after the fetch ends. Without it, trackers are not asked. */
  readonly makeTrackerClient?: () => OwnedTrackerClient
  /** Sanitise file names with Windows' rules as well; default false. */
  readonly windowsPaths?: boolean
  /** Uniform numbers in [0, 1): tracker shuffles, and the peer id when none is given; default `Math.random`. */
  readonly random?: () => number
  /** A connection budget shared with other torrents (a session's): the fetch's dials count against it, beneath its own limit of 20; default none. */
  readonly budget?: DialBudget
}

/** What {@link fetchMetadata} resolves with. */
export interface FetchedMetadata {
  /** The torrent, with the magnet's trackers as its announce list. */
  readonly torrent: Torrent
  /** A .torrent file of it: the info dictionary exactly as received, plus the trackers. */
  readonly torrentFile: Uint8Array
  /** Peers that gave the verified metadata or stated its size: worth dialing again for the data. */
  readonly peers: readonly PeerAddress[]
  /** Peers whose metadata failed the info-hash check: not worth dialing. */
  readonly banned: readonly PeerAddress[]
}

/**
 * The engine behind `fetchMetadata`, on the platform it is given
 * (transport, SHA-1, tracker client): fetch a torrent's metadata (its info
 * dictionary) from peers by BEP 9 `ut_metadata`, given only its info-hash.
 * Peers from the list and from the trackers are dialed through the same
 * {@link PeerDialer} as a download's (connect queue, limits, backoff); each that offers the metadata
 * states its size, and is asked (two pieces at a time) for pieces of that
 * size only: peers that disagree are fetched side by side
 * ({@link MetadataCandidates}), so one that states a huge size and then
 * stalls or sends garbage delays nobody. Assembled bytes are checked against
 * the info-hash and parsed with the same limits and path sanitising as a
 * .torrent file. A peer that rejects or stalls is dropped and its pieces are
 * asked elsewhere; a peer whose bytes fail the hash is banned.
 *
 * Resolves with the torrent; rejects with `RxTorrentError` `no-peers` when
 * every peer was tried and none could give it (and no tracker is left), or
 * with the signal's reason.
 * @see BEP 9, BEP 10
 */
export async function fetchMetadataWith (infoHash: Uint8Array, options: FetchMetadataWithOptions): Promise<FetchedMetadata> {
  const scheduler = options.scheduler ?? asyncScheduler
  const random = options.random ?? Math.random
  const sha1 = options.sha1
  const peerId = options.peerId ?? peerIdFromRandom(random)
  const ac = new AbortController()
  const signal = ac.signal
  const onOuterAbort = (): void => { ac.abort(options.signal?.reason) }
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  const subs: Subscription[] = []
  const known = new Map<string, PeerAddress>()
  // The peers connected now, by address key.
  const live = new Map<string, MetadataPeer>()
  const requestTimeout = options.requestTimeoutMs ?? EXTENSION_LIMITS.metadataRequestTimeoutMs
  const candidates = new MetadataCandidates({
    infoHash, sha1, requestTimeoutMs: requestTimeout,
    ...(options.maxMetadataSize === undefined ? {} : { maxSize: options.maxMetadataSize }),
    ...(options.maxMetadataCandidates === undefined ? {} : { maxCandidates: options.maxMetadataCandidates })
  })
  let lastError: string | undefined

  return await new Promise<FetchedMetadata>((resolve, reject) => {
    let settled = false
    let dialer: PeerDialer | undefined
    const finish = (err: Error | undefined, result?: FetchedMetadata): void => {
      if (settled) return
      settled = true
      ac.abort()
      options.signal?.removeEventListener('abort', onOuterAbort)
      dialer?.stop()
      for (const s of subs) s.unsubscribe()
      for (const p of live.values()) p.close()
      if (err !== undefined) reject(err)
      else resolve(result as FetchedMetadata)
    }
    if (options.signal?.aborted === true) { finish(options.signal.reason instanceof Error ? options.signal.reason : new RxTorrentError('aborted', 'aborted', { disposition: 'ignore' })); return }
    options.signal?.addEventListener('abort', () => { finish(options.signal?.reason instanceof Error ? options.signal.reason : new RxTorrentError('aborted', 'aborted', { disposition: 'ignore' })) }, { once: true })

    const done = (bytes: Uint8Array, from: readonly string[]): void => {
      let torrent: Torrent
      try {
        // Names are sanitised as a .torrent's are, with Windows' rules on Windows.
        torrent = parseInfoDict(bytes, sha1, { windowsPaths: options.windowsPaths === true })
      } catch (err) {
        finish(err instanceof Error ? err : new RxTorrentError('bad-metadata', String(err)))
        return
      }
      const announce = (options.trackers ?? []).map((t) => [...t]).filter((t) => t.length > 0)
      torrent = { ...torrent, announce }
      const agreed = candidates.candidates.find((c) => c.size === bytes.length)?.peers ?? []
      const peersOf = (keys: Iterable<string>): PeerAddress[] => [...new Set(keys)].flatMap((k) => known.get(k) ?? [])
      const banned = peersOf([...known.keys()].filter((k) => candidates.isBanned(k)))
      finish(undefined, { torrent, torrentFile: torrentFileOf(bytes, announce), peers: peersOf([...from, ...agreed]), banned })
    }

    /** Assembled metadata failed the info-hash: blame who the candidates blame, ask the rest one at a time. */
    const hashFailed = (result: { readonly failed: readonly string[], readonly suspects: readonly string[], readonly size: number }): void => {
      lastError = result.failed.length > 0
        ? `metadata of ${result.size} bytes from ${result.failed.join(', ')} did not match the info-hash`
        : `metadata of ${result.size} bytes from ${result.suspects.join(', ')} did not match the info-hash; asking them one at a time`
      options.onWarning?.({ type: 'warning', message: lastError })
      for (const k of result.failed) live.get(k)?.close(new RxTorrentError('bad-metadata', lastError, { disposition: 'ban' }))
      requestElsewhere()
    }
    // Pieces freed by a peer that left (or by a failed hash) are asked of the others.
    const requestElsewhere = (): void => { for (const p of live.values()) p.requestMore() }
    const context: MetadataFetchContext = {
      infoHash, peerId, scheduler, signal, candidates, requestTimeoutMs: requestTimeout,
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.maxMetadataSize === undefined ? {} : { maxMetadataSize: options.maxMetadataSize }),
      settled: () => settled,
      done,
      hashFailed
    }

    /** One dialed peer, from the connection to its end (pipelines/metadata-peer): what the dialer should do with its address. */
    const run = async (conn: Duplex, address: PeerAddress): Promise<DialOutcome> => {
      const key = formatAddress(address)
      known.set(key, address)
      const peer = new MetadataPeer(conn, key, context)
      live.set(key, peer)
      const end = await peer.run()
      live.delete(key)
      if (end.error !== undefined) {
        lastError = `${key}: ${end.error.message}`
        if (!settled) options.onWarning?.({ type: 'warning', message: `metadata from ${key}: ${end.error.message}`, peer: key, error: end.error })
      }
      if (!settled) requestElsewhere()
      return { useful: end.useful, retry: !settled && !end.hopeless }
    }

    // Peers from the list and the trackers, dialed through the same dialer as a download's (pipelines/peer-dialer).
    const peers = new PeerDialer({
      transport: options.transport,
      scheduler,
      signal,
      connectQueue: { maxConnections: 20 },
      ...(options.budget === undefined ? {} : { budget: options.budget }),
      run,
      paused: () => settled,
      onDialFailed: (peer, reason) => { lastError = `${formatAddress(peer)}: ${reason}` },
      onExhausted: () => { finish(new RxTorrentError('no-peers', lastError === undefined ? 'no peer to fetch the metadata from' : `no peer gave the metadata (last: ${lastError})`, { disposition: 'fatal' })) }
    })
    dialer = peers
    for (const p of options.peers ?? []) peers.add(p, 'manual')
    if ((options.trackers ?? []).some((t) => t.length > 0) && options.makeTrackerClient !== undefined) {
      const client = options.makeTrackerClient()
      peers.addSource(torrentTrackerPeers({
        torrent: { infoHash, announce: options.trackers ?? [] },
        client,
        peerId,
        port: options.port ?? 6881,
        stats: () => ({ uploaded: 0, downloaded: 0, left: 1 }),
        scheduler,
        random,
        timeoutMs: ANNOUNCE_TIMEOUT_MS,
        onOutcome: (o) => { if (o.error !== undefined && !settled) options.onWarning?.({ type: 'warning', message: `tracker ${o.url}: ${o.error.message}`, error: o.error }) }
      }))
      // Close the client once the `stopped` announce had its chance.
      subs.push(new Subscription(() => { setTimeout(() => { void client.close?.() }, 5000).unref() }))
    }
    peers.pump()
  })
}

/** A .torrent file around metadata bytes received: the info dictionary is kept byte for byte. */
export function torrentFileOf (infoBytes: Uint8Array, announce: readonly (readonly string[])[]): Uint8Array {
  const flat = announce.flat()
  const head = encode({
    ...(flat[0] === undefined ? {} : { announce: flat[0] }),
    ...(flat.length > 1 ? { 'announce-list': announce.map((t) => [...t]) } : {})
  })
  const infoKey = new TextEncoder().encode('4:info')
  const out = new Uint8Array(head.length - 1 + infoKey.length + infoBytes.length + 1)
  out.set(head.subarray(0, head.length - 1), 0)
  out.set(infoKey, head.length - 1)
  out.set(infoBytes, head.length - 1 + infoKey.length)
  out[out.length - 1] = 0x65 // 'e'
  return out
}
