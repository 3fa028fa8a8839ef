import { setMaxListeners } from 'node:events'
import { Observable, asyncScheduler, filter, firstValueFrom, interval, take, type SchedulerLike } from 'rxjs'
import { RxTorrentError } from '../lib/errors.js'
import type { Torrent } from '../lib/metainfo/types.js'
import { peerIdFromRandom } from '../lib/peer-id/index.js'
import type { PeerSource } from '../lib/swarm/connect-queue.js'
import { isConnectedAt } from '../lib/swarm/swarm-selectors.js'
import { replacedByPriorityError, selfAddress } from '../lib/swarm/connection-limit.js'
import { closeReason, dialVetoed } from '../lib/swarm/dial-rules.js'
import type { Hasher, Storage } from '../lib/storage/types.js'
import { formatAddress, type Duplex, type Listener, type PeerAddress, type Transport } from '../lib/transport/types.js'
import { PeerDialer } from './peer-dialer.js'
import type { HandshakenConnection } from './peer-handshake.js'
import type { SharedListener } from './session/shared-listener.js'
import type { CheckResume } from './runtime-status.js'
import type { TorrentSessionLimits } from './session/session-limits.js'
import { torrentTrackerPeers } from '../operators/tracker-peers.js'
import type { AnnounceClient } from '../operators/announce-schedule.js'
import { ANNOUNCE_TIMEOUT_MS, CompletedAnnounceWait } from './completed-announce-wait.js'
import { utMetadataServe } from '../operators/extensions/ut-metadata.js'
import { utPex } from '../operators/extensions/ut-pex.js'
import { ltTex } from '../operators/extensions/lt-tex.js'
import { ltDonthave, uploadOnly } from '../operators/extensions/peer-state.js'
import { TorrentRuntime } from './torrent-runtime.js'
import { superseeding } from '../lib/torrent/strategies.js'
import { sharingFor } from '../lib/torrent/sharing.js'
import { startWebSeeds, type WebSeedFetch } from './web-seed-sources.js'
import type { Bitfield } from '../lib/pieces/bitfield.js'
import type { CommonOptions, Progress } from './types.js'
import type { ReadCacheBudget } from '../operators/read-cache-budget.js'
import type { CheckSlots } from './check-slots.js'

/** A tracker client the engine made (see {@link RunOptions.makeTrackerClient}) and closes. */
export type OwnedTrackerClient = AnnounceClient & {
  /** Release the client's sockets; called 5 s after the torrent stops, once `stopped` had its chance. */
  close?: () => Promise<void>
}

/**
 * Options of {@link runTorrent}: those of `download` and `seed`, with the
 * platform injected. The engine imports nothing from `pipelines/node/`:
 * `download`, `seed` and the other entry points fill these in with the Node
 * defaults (`nodeRunDefaults` in `pipelines/node/defaults.ts`).
 */
export interface RunOptions extends CommonOptions {
  /** Where pieces are read and written. */
  readonly storage: Storage
  /**
   * Close `storage` when the torrent stops; default false (a storage the
   * caller made stays open).
   */
  readonly closeStorage?: boolean
  /** SHA-1 of pieces. */
  readonly hasher: Hasher
  /** Dials peers and listens for them. */
  readonly transport: Transport
  /**
   * Makes the tracker client on the first announce when `trackerClient` is
   * not given; the engine closes it 5 s after the torrent stops. With
   * neither, the torrent's trackers are not used.
   */
  readonly makeTrackerClient?: () => OwnedTrackerClient
  /** Fetches from BEP 19 web seeds (the torrent's `url-list` and `webSeeds`); without it they are not used. */
  readonly webSeedFetch?: WebSeedFetch
  /** Stop (complete) once every piece is verified. */
  readonly stopWhenComplete: boolean
  readonly requestQueueDepth?: number
  /** BEP 16 superseeding once the data is verified complete. */
  readonly superseed?: boolean
  /** Pieces to fetch (default all); see `DownloadOptions.only`. */
  readonly wanted?: Bitfield
  /**
   * A listener shared with other torrents (a session's) instead of one of
   * our own: once the data is checked, connections whose handshake names
   * this torrent are routed here; `port` is then ignored.
   */
  readonly listener?: SharedListener
  /** A session's limits (pipelines/session `SessionLimits.torrent`): rate buckets and a connection budget shared with its other torrents. */
  readonly sessionLimits?: TorrentSessionLimits
  /** A bound on upload read caches shared with other torrents (a session's); default none. */
  readonly readCacheBudget?: ReadCacheBudget
  /** Checks at once across torrents (a session's): the check waits for a slot before it reads; default none (at once). */
  readonly checkSlots?: CheckSlots
}

/**
 * The engine behind `download` and `seed`: check existing data, listen and
 * dial (one {@link PeerDialer} for the manual peers, the trackers, PEX and
 * every peer source, and for accepted connections), run every connection
 * through a shared `TorrentRuntime`, and emit progress on the scheduler.
 * It uses only the storage, hasher, transport, tracker client and web seed
 * fetcher it is given (`nodeRunDefaults` gives Node's). Completes after the last piece is written when
 * `stopWhenComplete`; errors with a typed error when no peer is left to
 * finish the download; unsubscribing closes every connection and the storage.
 */
export function runTorrent (torrent: Torrent, options: RunOptions): Observable<Progress> {
  return new Observable<Progress>((subscriber) => {
    const ac = new AbortController()
    const signal = ac.signal
    // One abort listener per connection and dial: a busy torrent has many.
    setMaxListeners(0, signal)
    const onOuterAbort = (): void => { ac.abort() }
    options.signal?.addEventListener('abort', onOuterAbort, { once: true })
    const scheduler: SchedulerLike = options.scheduler ?? asyncScheduler
    const random = options.random ?? Math.random
    const storage: Storage = options.storage
    const transport: Transport = options.transport
    // Extension callbacks run only once the runtime exists.
    let rtRef: TorrentRuntime | undefined
    const sharing = sharingFor(torrent, { ...(options.pex === false ? { pex: false } : {}), ...(options.trackers === false ? { trackers: false } : {}) })
    const rt = new TorrentRuntime({
      torrent,
      storage,
      hasher: options.hasher,
      peerId: options.peerId ?? peerIdFromRandom(random),
      scheduler,
      random,
      ...(options.requestQueueDepth === undefined ? {} : { requestQueueDepth: options.requestQueueDepth }),
      ...(options.picker === undefined ? {} : { picker: options.picker }),
      ...(options.uploadSlots === undefined ? {} : { uploadSlots: options.uploadSlots }),
      ...(options.uploadLimit === undefined ? {} : { uploadLimit: options.uploadLimit }),
      ...(options.downloadLimit === undefined ? {} : { downloadLimit: options.downloadLimit }),
      ...(options.sessionLimits === undefined ? {} : { bandwidth: options.sessionLimits.bandwidth }),
      ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
      ...(options.readCacheBudget === undefined ? {} : { readCacheBudget: options.readCacheBudget }),
      onFatal: (err) => { settleFatal?.(err) },
      // The engine's strategies (lib/torrent): the choker decides every unchoke, rounds every 10 s and early ones on interest changes.
      strategies: {
        ...(options.choker === undefined ? {} : { choker: options.choker }),
        ...(options.interest === undefined ? {} : { interest: options.interest }),
        ...(options.requestDepth === undefined ? {} : { requestDepth: options.requestDepth }),
        ...(options.peerFilter === undefined ? {} : { peerFilter: options.peerFilter }),
        ...(options.seedingMode !== undefined ? { seeding: options.seedingMode } : options.superseed === true ? { seeding: superseeding() } : {})
      },
      ...(options.wanted === undefined ? {} : { wanted: options.wanted }),
      extensions: [
        // BEP 27 (lib/torrent/sharing): a private torrent's metadata is not offered at all.
        ...(sharing.serveMetadata ? [utMetadataServe({ metadata: () => torrent.infoBytes })] : []),
        uploadOnly(() => rtRef?.complete === true),
        ltDonthave(() => torrent.pieceCount),
        // BEP 27: a private torrent's peers come from its trackers only.
        ...(!sharing.peerExchange ? [] : [
          utPex({
            peers: () => rtRef?.pexPeers() ?? [],
            self: () => rtRef?.listenAddress === undefined ? [] : [rtRef.listenAddress],
            addressOf: (key) => rtRef?.peers.get(key)?.reachableAddress,
            scheduler,
            ...(typeof options.pex === 'object' && options.pex.firstDelayMs !== undefined ? { firstDelayMs: options.pex.firstDelayMs } : {})
          }),
          ltTex({ trackers: () => knownTrackers(), scheduler, ...(typeof options.pex === 'object' && options.pex.firstDelayMs !== undefined ? { firstDelayMs: options.pex.firstDelayMs } : {}) })
        ]),
        ...(options.extensions ?? [])
      ],
      onExtensionEvent: (peer, name, event) => {
        const e = event as { type?: string, peers?: ReadonlyArray<{ host: string, port: number }>, trackers?: readonly string[] }
        if (e.type === 'pex-peers' && e.peers !== undefined) for (const p of e.peers) addPeer({ host: p.host, port: p.port }, 'pex')
        if (e.type === 'tex-trackers' && e.trackers !== undefined) learnTrackers(e.trackers)
        options.onExtensionEvent?.(peer.key, name, event)
      },
      signal
    })
    rtRef = rt
    options.onRuntime?.(rt)
    let listener: Listener | undefined
    let settleFatal: ((err: Error) => void) | undefined
    const fatal = new Promise<never>((_resolve, reject) => { settleFatal = reject })
    fatal.catch(() => {})
    const ticker = interval(options.progressIntervalMs ?? 1000, scheduler).subscribe(() => { subscriber.next(rt.progress()) })
    const finish = async (): Promise<void> => {
      // Every piece is written (handed to the OS) before it counts as verified.
      // fsync only on request: a crash of the machine loses at most what the
      // re-check at the next start then fetches again.
      if (options.syncOnComplete === true) await storage.flush()
      // Files no piece touches (empty ones, their folders) are the storage's to make.
      await storage.finalize?.()
    }

    // Peers to dial: the manual list and every peer source, through one
    // connect queue with limits and backoff; inbound ones through the gate
    // and the connection limit with BEP 40 replacement (pipelines/peer-dialer).
    let lastDialError: string | undefined
    let settleExhausted: (() => void) | undefined
    const exhausted = new Promise<void>((resolve) => { settleExhausted = resolve })
    // BEP 40 (lib/swarm/connection-limit): our address as peers see it, once known.
    let externalIp: string | undefined
    // Not dialed: banned addresses, ourselves, and peers already connected by another route (lib/swarm/dial-rules).
    const blocked = (key: string): boolean => dialVetoed(key, { isBanned: (k) => rt.policy.isBanned(k), listen: rt.listenAddress, isConnectedAt: (k) => isConnectedAt(rt.swarm, k) })
    const dialer = new PeerDialer({
      transport,
      scheduler,
      signal,
      ...(options.connectQueue === undefined ? {} : { connectQueue: options.connectQueue }),
      ...(options.inbound === undefined ? {} : { inbound: options.inbound }),
      ...(options.sessionLimits === undefined ? {} : { budget: options.sessionLimits.budget }),
      blocked,
      self: () => selfAddress(rt.listenAddress, externalIp),
      seeding: () => rt.complete,
      paused: () => rt.complete && options.stopWhenComplete,
      limitPeers: (except) => {
        const now = scheduler.now()
        return [...rt.peers.values()].flatMap((p) => p.closed || p.conn === except || p.conn.remote === undefined ? [] : [{
          key: p.key, address: p.conn.remote, downloadRate: p.downRate?.rate(now) ?? 0, seed: p.session?.peerHas.complete === true || rt.swarm.peers.get(p.key)?.uploadOnly === true
        }])
      },
      replace: (key, newcomer) => {
        rt.peers.get(key)?.close(replacedByPriorityError(newcomer))
      },
      run: async (conn, peer) => {
        const before = rt.have.count
        const err = await rt.addConnection(conn, 'initiator')
        if (err !== undefined) lastDialError = `${formatAddress(peer)}: ${err.message}`
        const banned = blocked(formatAddress(peer))
        return { useful: rt.have.count > before, retry: !banned && !rt.complete, reason: closeReason(err) }
      },
      onDialFailed: (peer, reason, error) => {
        lastDialError = `${formatAddress(peer)}: ${reason}`
        if (!signal.aborted) options.onWarning?.({ type: 'warning', message: `cannot connect to ${formatAddress(peer)}: ${reason}`, peer: formatAddress(peer), error })
      },
      onExhausted: () => { settleExhausted?.() }
    })
    const acceptRouted = async (hs: HandshakenConnection): Promise<void> => {
      try {
        await dialer.acceptHandshaken(hs.conn, async () => await rt.acceptHandshaken(hs))
      } catch {
        hs.out.end() // refused at the connection limit: already closed
      }
    }
    let unroute: (() => void) | undefined
    const acceptInbound = (accepted: Duplex): void => {
      dialer.accept(accepted, async (conn, handshaken) => await rt.addConnection(conn, 'responder', { onHandshake: handshaken }))
    }

    // Trackers (BEP 3/12/15): announces on the scheduler, their peers into the queue.
    const makeClient = options.trackerClient === undefined ? options.makeTrackerClient : undefined
    const canAnnounce = options.trackers !== false && (options.trackerClient !== undefined || makeClient !== undefined)
    const trackersOn = canAnnounce && torrent.announce.some((tier) => tier.length > 0)
    let completedWait: CompletedAnnounceWait | undefined
    // One tracker client for the torrent's trackers and those learned by TEX.
    let client: AnnounceClient | undefined
    const trackerClient = (): AnnounceClient => {
      if (client === undefined) {
        if (options.trackerClient !== undefined) client = options.trackerClient
        else if (makeClient !== undefined) {
          const own = makeClient()
          client = own
          closeClient = async () => { await own.close?.() }
        }
      }
      return client as AnnounceClient
    }
    const announceKey = Math.floor(random() * 0x1_0000_0000) >>> 0
    /** Announces to `tiers` on the scheduler; their peers go into the connect queue. */
    const announceTo = (tiers: readonly (readonly string[])[], extra: { completed$?: Observable<unknown>, onCompletedSettled?: () => void, label: string }): void => {
      const found$ = torrentTrackerPeers({
        torrent: { infoHash: torrent.infoHash, announce: tiers },
        client: trackerClient(),
        peerId: rt.peerId,
        port: rt.listenAddress?.port ?? 0,
        key: announceKey,
        stats: () => {
          const p = rt.progress()
          return { uploaded: p.uploaded, downloaded: p.downloaded, left: p.length - p.bytesVerified }
        },
        ...(extra.completed$ === undefined ? {} : { completed$: extra.completed$ }),
        ...(extra.onCompletedSettled === undefined ? {} : { onCompletedSettled: extra.onCompletedSettled }),
        scheduler,
        random,
        timeoutMs: ANNOUNCE_TIMEOUT_MS,
        onOutcome: (o) => {
          if (o.response?.externalIp !== undefined) externalIp = o.response.externalIp
          if (o.error !== undefined && !signal.aborted) options.onWarning?.({ type: 'warning', message: `tracker ${o.url}${extra.label}: ${o.error.message}`, error: o.error })
          else if (o.response?.warning !== undefined) options.onWarning?.({ type: 'warning', message: `tracker ${o.url} warns: ${o.response.warning}` })
        }
      })
      dialer.addSource(found$, {
        onEnd: () => { extra.onCompletedSettled?.() },
        onError: (e) => { options.onWarning?.({ type: 'warning', message: `trackers failed: ${e.message}` }) }
      })
    }

    const startTrackers = (): void => {
      const wait = rt.complete ? undefined : new CompletedAnnounceWait()
      completedWait = wait
      announceTo(torrent.announce, {
        completed$: rt.verified$.pipe(filter(() => rt.complete), take(1)),
        onCompletedSettled: () => { wait?.settle() },
        label: ''
      })
    }
    let closeClient: (() => Promise<void>) | undefined

    // BEP 28: trackers learned from peers get their own announces (at most 10).
    const extraTrackers = new Set<string>()
    const knownTrackers = (): string[] => [...torrent.announce.flat(), ...extraTrackers]
    const learnTrackers = (urls: readonly string[]): void => {
      if (!sharing.trackerExchange || !canAnnounce) return
      for (const url of urls) {
        if (extraTrackers.size >= 10 || knownTrackers().includes(url)) continue
        extraTrackers.add(url)
        announceTo([[url]], { label: ' (learned from a peer)' })
      }
    }

    const addPeer = (address: PeerAddress, source: PeerSource): void => { dialer.add(address, source) }

    const main = async (): Promise<void> => {
      // The port is bound before the data is checked, so a port in use fails
      // at once; peers that connect while the check runs are closed (the
      // torrent has nothing to offer yet), as libtorrent does.
      let checked = false
      const listenPort = options.listener !== undefined ? undefined : options.port ?? (trackersOn ? 0 : undefined)
      if (listenPort !== undefined) {
        listener = await transport.listen({ host: options.host ?? '0.0.0.0', port: listenPort, signal }, (conn) => {
          if (checked) acceptInbound(conn)
          else conn.close()
        })
      }
      await rt.check(signal, options.resume, options.checkSlots)
      checked = true
      subscriber.next(rt.progress())
      if (rt.complete) await finish()
      if (rt.complete && options.stopWhenComplete) return
      // Unsubscribed while checking: nothing more may start (no route, no dial).
      if (signal.aborted) return
      const shared = options.listener
      if (shared !== undefined) unroute = shared.route(torrent.infoHash, acceptRouted)
      const address = listener?.address ?? shared?.address
      if (address !== undefined) {
        // Incoming peers may still come, unless the caller gives up once the known ones fail.
        dialer.listening = options.waitForIncoming !== false
        rt.listenAddress = address
        options.onListening?.(address)
      }
      for (const p of options.peers ?? []) addPeer(p, 'manual')
      if (trackersOn) startTrackers()
      // BEP 19 web seeds: the torrent's url-list and any given, each a block
      // source through the same planner, assembly and verification as peers.
      const webSeeds = options.webSeedFetch === undefined ? [] : startWebSeeds(rt, options.webSeeds ?? [], options.webSeedFetch, signal, options.onWarning)
      for (const seeding of webSeeds) dialer.hold(seeding)
      for (const source$ of options.peerSources ?? []) {
        dialer.addSource(source$, { onError: (e) => { options.onWarning?.({ type: 'warning', message: `peer source failed: ${e.message}` }) } })
      }
      dialer.pump()
      const done = firstValueFrom(rt.verified$.pipe(filter(() => rt.complete)))
      const first = await Promise.race([done.then(() => 'complete' as const), exhausted.then(() => 'exhausted' as const)])
      if (first === 'exhausted' && !rt.complete) {
        throw new RxTorrentError('no-peers', lastDialError === undefined ? 'no peers to download from' : `no peer could complete the download (last: ${lastDialError})`, { disposition: 'fatal' })
      }
      await finish()
      subscriber.next(rt.progress())
      if (options.stopWhenComplete) {
        // The trackers hear `completed` before `stopped`; a dead one is not waited for.
        await completedWait?.wait(scheduler)
        return
      }
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => { resolve() }, { once: true }))
    }

    Promise.race([main(), fatal]).then(() => {
      subscriber.next(rt.progress())
      subscriber.complete()
    }, (err: unknown) => {
      if (signal.aborted) return
      subscriber.error(err)
    })

    return () => {
      ticker.unsubscribe()
      dialer.stop()
      // The `stopped` announce goes out on unsubscribe; close the client after it had its chance.
      if (closeClient !== undefined) { const close = closeClient; setTimeout(() => { void close() }, 5000).unref() }
      ac.abort()
      options.signal?.removeEventListener('abort', onOuterAbort)
      rt.closeAll()
      void listener?.close()
      unroute?.()
      if (options.closeStorage === true) void storage.close()
    }
  })
}

