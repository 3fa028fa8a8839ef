import { pipe } from 'it-pipe'
import { Subscription, asyncScheduler, timer, type SchedulerLike } from 'rxjs'
import { LIMITS } from '../lib/constants.js'
import { EXTENSION_LIMITS } from '../lib/extensions/limits.js'
import { RxTorrentError } from '../lib/errors.js'
import { encode } from '../lib/bencode/index.js'
import { MetadataCandidates } from '../lib/extensions/metadata-candidates.js'
import { parseInfoDict } from '../lib/metainfo/parse-info-dict.js'
import type { Torrent } from '../lib/metainfo/types.js'
import { peerIdFromRandom } from '../lib/peer-id/index.js'
import { formatAddress, type Duplex, type PeerAddress, type Transport } from '../lib/transport/types.js'
import { makeReserved } from '../lib/wire/index.js'
import { decodeFrames } from '../operators/decode-frames.js'
import { encodeFrames } from '../operators/encode-frames.js'
import { ExtensionChannel } from '../operators/extension.js'
import { requestMetadataPiece, utMetadataFetch, type MetadataPieceEvent } from '../operators/extensions/ut-metadata.js'
import { handshake } from '../operators/handshake.js'
import { OutboundQueue } from '../operators/outbound-queue.js'
import { torrentTrackerPeers } from '../operators/tracker-peers.js'
import { ANNOUNCE_TIMEOUT_MS } from './completed-announce-wait.js'
import { CLIENT_VERSION } from './peer-connection.js'
import { PeerDialer, type DialOutcome } from './peer-dialer.js'
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
  const closers = new Map<string, (err?: Error) => void>()
  const requestTimeout = options.requestTimeoutMs ?? EXTENSION_LIMITS.metadataRequestTimeoutMs
  const candidates = new MetadataCandidates({
    infoHash, sha1, requestTimeoutMs: requestTimeout,
    ...(options.maxMetadataSize === undefined ? {} : { maxSize: options.maxMetadataSize }),
    ...(options.maxMetadataCandidates === undefined ? {} : { maxCandidates: options.maxMetadataCandidates })
  })
  let lastError: string | undefined
  const askers = new Set<() => void>()

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
      for (const close of closers.values()) close()
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

    /** One dialed peer, from the connection to its end: what the dialer should do with its address. */
    const run = async (conn: Duplex, peer: PeerAddress): Promise<DialOutcome> => {
      const key = formatAddress(peer)
      known.set(key, peer)
      const out = new OutboundQueue()
      let closed = false
      const timers = new Set<Subscription>()
      const close = (err?: Error): void => {
        if (closed) return
        closed = true
        for (const t of timers) t.unsubscribe()
        out.end()
        conn.close(err)
      }
      closers.set(key, close)
      const sinkDone = conn.sink(pipe(out, encodeFrames())).catch(() => {})
      let useful = false
      let hopeless = false
      // A request unanswered for requestTimeout drops the peer (the rule is the candidates').
      const checkOverdue = (): void => {
        if (candidates.overdue(scheduler.now()).includes(key)) close(new RxTorrentError('metadata-timeout', `${key} left a metadata request unanswered for ${requestTimeout} ms`, { disposition: 'disconnect' }))
      }
      const requestMore = (): void => {
        if (closed || settled) return
        for (let piece = candidates.nextRequest(key, scheduler.now()); piece !== undefined; piece = candidates.nextRequest(key, scheduler.now())) {
          channel.send('ut_metadata', requestMetadataPiece(piece))
          const t: Subscription = timer(requestTimeout, scheduler).subscribe(() => { timers.delete(t); checkOverdue() })
          timers.add(t)
        }
      }
      askers.add(requestMore)
      const onPiece = (e: MetadataPieceEvent): void => {
        if (settled || closed) return
        if (e.type === 'metadata-reject') {
          candidates.release(key, e.piece)
          close(new RxTorrentError('metadata-rejected', `${key} rejected metadata piece ${e.piece}`, { disposition: 'disconnect' }))
          return
        }
        let result
        try {
          result = candidates.receive(key, e.piece, e.totalSize, e.data)
        } catch (err) {
          close(err instanceof Error ? err : new RxTorrentError('bad-metadata', String(err), { disposition: 'disconnect' }))
          return
        }
        useful = true
        if (result === 'more') { requestMore(); return }
        if ('done' in result) { done(result.done, result.from); return }
        lastError = result.failed.length > 0
          ? `metadata of ${result.size} bytes from ${result.failed.join(', ')} did not match the info-hash`
          : `metadata of ${result.size} bytes from ${result.suspects.join(', ')} did not match the info-hash; asking them one at a time`
        options.onWarning?.({ type: 'warning', message: lastError })
        for (const k of result.failed) closers.get(k)?.(new RxTorrentError('bad-metadata', lastError, { disposition: 'ban' }))
        requestElsewhere()
      }
      const channel = new ExtensionChannel([utMetadataFetch()], {
        key,
        send: (m) => { if (!closed) out.push(m) },
        close,
        handshake: { v: CLIENT_VERSION, ...(options.port === undefined ? {} : { p: options.port }) },
        ...(options.maxMetadataSize === undefined ? {} : { maxMetadataSize: options.maxMetadataSize }),
        onEvent: (_name, event) => { onPiece(event as MetadataPieceEvent) }
      })
      try {
        const hs = await handshake({ source: conn.source, write: (b) => { out.push(b) } }, {
          role: 'initiator', infoHash, peerId, reserved: makeReserved({ fast: true, extended: true }),
          timeoutMs: LIMITS.handshakeTimeoutMs, scheduler, signal
        })
        if (!hs.capabilities.extended) throw new RxTorrentError('no-extensions', `${key} does not speak the extension protocol`, { disposition: 'disconnect' })
        channel.start()
        for await (const batch of pipe(hs.source, decodeFrames({ borrowedChunks: conn.borrowedChunks === true }))) {
          for (const msg of batch) {
            if (msg.type !== 'extended') continue
            channel.handle(msg.id, msg.payload)
            if (msg.id === 0) {
              const remote = channel.remote
              // Each peer's stated size is its own candidate; disagreeing peers are fetched side by side.
              if (remote?.m.ut_metadata !== undefined && remote.metadataSize !== undefined) candidates.state(key, remote.metadataSize)
              requestMore()
            }
            if (closed) break
          }
          if (closed) break
          const remote = channel.remote
          if (remote !== undefined && (remote.m.ut_metadata === undefined || remote.metadataSize === undefined)) throw new RxTorrentError('no-metadata', `${key} does not offer its metadata (ut_metadata)`, { disposition: 'disconnect' })
        }
      } catch (e) {
        // A peer without the metadata (or without the extension protocol) is not asked again.
        if (e instanceof RxTorrentError && ['no-metadata', 'no-extensions', 'metadata-rejected'].includes(e.code)) hopeless = true
        lastError = `${key}: ${e instanceof Error ? e.message : String(e)}`
        if (!settled) options.onWarning?.({ type: 'warning', message: `metadata from ${key}: ${e instanceof Error ? e.message : String(e)}`, peer: key, ...(e instanceof Error ? { error: e } : {}) })
      } finally {
        candidates.removePeer(key)
        // A peer whose metadata failed the hash is not dialed again.
        if (candidates.isBanned(key)) hopeless = true
        askers.delete(requestMore)
        channel.stop()
        close()
        closers.delete(key)
        await sinkDone
        if (!settled) requestElsewhere()
      }
      return { useful, retry: !settled && !hopeless }
    }
    // Pieces freed by a peer that left (or by a failed hash) are asked of the others.
    const requestElsewhere = (): void => { for (const ask of askers) ask() }

    // Peers from the list and the trackers, dialed through the same dialer as a download's (pipelines/peer-dialer).
    const peers = new PeerDialer({
      transport: options.transport,
      scheduler,
      signal,
      connectQueue: { maxConnections: 20 },
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
