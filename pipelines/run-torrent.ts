import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { Observable, asyncScheduler, filter, firstValueFrom, interval, take, timer, type SchedulerLike, type Subscription } from 'rxjs'
import { RxTorrentError } from '../lib/errors.js'
import type { Torrent } from '../lib/metainfo/types.js'
import { generatePeerId } from '../lib/peer-id/index.js'
import { ConnectQueue, type PeerSource } from '../lib/swarm/connect-queue.js'
import { isConnectedAt } from '../lib/swarm/swarm-selectors.js'
import { connectionLimitDecision, priorityOrLowest, selfAddress } from '../lib/swarm/connection-limit.js'
import type { Storage } from '../lib/storage/types.js'
import { formatAddress, type Duplex, type Listener, type PeerAddress, type Transport } from '../lib/transport/types.js'
import { FileStorage, ensureFiles } from './node/file-storage.js'
import { InboundGate } from './inbound-gate.js'
import { nodeHasher } from './node/hasher.js'
import { tcpTransport } from './node/tcp.js'
import { torrentTrackerPeers } from '../operators/tracker-peers.js'
import type { AnnounceClient } from '../operators/announce-schedule.js'
import { CompletedAnnounceWait } from './completed-announce-wait.js'
import { ANNOUNCE_TIMEOUT_MS } from './node/tracker-client.js'
import { utMetadataServe } from '../operators/extensions/ut-metadata.js'
import { utPex } from '../operators/extensions/ut-pex.js'
import { ltTex } from '../operators/extensions/lt-tex.js'
import { ltDonthave, uploadOnly } from '../operators/extensions/peer-state.js'
import { nodeTrackerClient } from './node/tracker-client.js'
import { TorrentRuntime } from './torrent-runtime.js'
import { superseeding } from '../lib/torrent/strategies.js'
import { sharingFor } from '../lib/torrent/sharing.js'
import { startWebSeeds } from './web-seed-sources.js'
import type { Bitfield } from '../lib/pieces/bitfield.js'
import type { CommonOptions, Progress } from './types.js'

/** Options of {@link runTorrent}. */
export interface RunOptions extends CommonOptions {
  /** The save directory, laid out as libtorrent's save path. */
  readonly dir: string
  /** Stop (complete) once every piece is verified. */
  readonly stopWhenComplete: boolean
  readonly requestQueueDepth?: number
  /** BEP 16 superseeding once the data is verified complete. */
  readonly superseed?: boolean
  /** Pieces to fetch (default all); see `DownloadOptions.only`. */
  readonly wanted?: Bitfield
}

/**
 * The engine behind `download` and `seed`: check existing data, listen and
 * dial, run every connection through a shared `TorrentRuntime`, and emit
 * progress on the scheduler. Completes after the last piece is written when
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
    const ownStorage = options.storage === undefined
    const storage: Storage = options.storage ?? new FileStorage(torrent, options.dir, options.directIo === undefined ? {} : { directIo: options.directIo })
    // Dialed connections read into reused buffers; PeerConnection copies
    // what it keeps (borrowed chunks).
    const transport: Transport = options.transport ?? tcpTransport({ ringReads: true })
    // Extension callbacks run only once the runtime exists.
    let rtRef: TorrentRuntime | undefined
    const sharing = sharingFor(torrent, { ...(options.pex === false ? { pex: false } : {}), ...(options.trackers === false ? { trackers: false } : {}) })
    const rt = new TorrentRuntime({
      torrent,
      storage,
      hasher: options.hasher ?? nodeHasher,
      peerId: options.peerId ?? generatePeerId(randomBytes(12)),
      scheduler,
      random,
      ...(options.requestQueueDepth === undefined ? {} : { requestQueueDepth: options.requestQueueDepth }),
      ...(options.picker === undefined ? {} : { picker: options.picker }),
      ...(options.uploadSlots === undefined ? {} : { uploadSlots: options.uploadSlots }),
      ...(options.uploadLimit === undefined ? {} : { uploadLimit: options.uploadLimit }),
      ...(options.downloadLimit === undefined ? {} : { downloadLimit: options.downloadLimit }),
      ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
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
    const sourceSubs: Subscription[] = []
    const ticker = interval(options.progressIntervalMs ?? 1000, scheduler).subscribe(() => { subscriber.next(rt.progress()) })
    const finish = async (): Promise<void> => {
      // Every piece is written (handed to the OS) before it counts as verified.
      // fsync only on request: a crash of the machine loses at most what the
      // re-check at the next start then fetches again.
      if (options.syncOnComplete === true) await storage.flush()
      if (storage instanceof FileStorage) await ensureFiles(torrent, options.dir)
    }

    // Peers to dial: the manual list and every peer source, through one queue
    // with connection limits and backoff (lib/swarm/connect-queue).
    const queue = new ConnectQueue(options.connectQueue)
    const maxConnections = options.connectQueue?.maxConnections ?? 50
    let sourcesLive = 0
    let listening = false
    let lastDialError: string | undefined
    let wake: Subscription | undefined
    let settleExhausted: (() => void) | undefined
    const exhausted = new Promise<void>((resolve) => { settleExhausted = resolve })

    const isSelf = (key: string): boolean => rt.listenAddress !== undefined && (key === formatAddress(rt.listenAddress) || key === `127.0.0.1:${rt.listenAddress.port}`)
    const hostOf = (key: string): string => key.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
    // Not dialed: banned addresses, ourselves, and peers already connected by another route (lib/swarm isConnectedAt).
    const blocked = (key: string): boolean => rt.policy.isBanned(key) || rt.policy.isBanned(hostOf(key)) || isSelf(key) || isConnectedAt(rt.swarm, key)
    // BEP 40 (lib/swarm/connection-limit): our address as peers see it, once known.
    let externalIp: string | undefined
    const self = (): PeerAddress | undefined => selfAddress(rt.listenAddress, externalIp)
    const dialPriority = (): ((a: PeerAddress) => number) | undefined => {
      const me = self()
      return me === undefined ? undefined : (a) => priorityOrLowest(me, a)
    }
    /** At the connection limit: true when a newcomer of higher BEP 40 priority replaces a peer (closed here). */
    const replaceForPriority = (conn: Duplex): boolean => {
      const newcomer = conn.remote
      if (newcomer === undefined) return false
      const now = scheduler.now()
      const peers = [...rt.peers.values()].flatMap((p) => p.closed || p.conn === conn || p.conn.remote === undefined ? [] : [{
        key: p.key, address: p.conn.remote, downloadRate: p.downRate?.rate(now) ?? 0, seed: p.session?.peerHas.complete === true || rt.swarm.peers.get(p.key)?.uploadOnly === true
      }])
      const d = connectionLimitDecision({ self: self(), newcomer, peers, used: queue.connectedCount + queue.dialing, limit: maxConnections, seeding: rt.complete })
      if (typeof d !== 'object') return d === 'accept'
      rt.peers.get(d.replace)?.close(new RxTorrentError('replaced-by-priority', `replaced by ${formatAddress(newcomer)}, of higher BEP 40 priority, at the connection limit`, { disposition: 'ignore', details: { by: formatAddress(newcomer) } }))
      return true
    }

    // Inbound connections (pipelines/inbound-gate): their own budget until the
    // handshake, a cap per source address, idle ones closed; the connection
    // limit (with BEP 40 replacement) applies once the handshake completes.
    const gate = new InboundGate({ scheduler, ...options.inbound })
    const acceptInbound = (accepted: Duplex): void => {
      const g = gate.accept(accepted)
      if (g === undefined) return
      let counted = false
      void rt.addConnection(g.conn, 'responder', {
        onHandshake: () => {
          g.handshaken()
          if (queue.connectedCount + queue.dialing >= maxConnections && !replaceForPriority(g.conn)) {
            throw new RxTorrentError('connection-limit', `refused at the connection limit (${maxConnections})`, { disposition: 'ignore', details: { limit: maxConnections } })
          }
          queue.incoming()
          counted = true
        }
      }).finally(() => { g.closed(); if (counted) queue.incomingClosed(); pump() })
    }

    const pump = (): void => {
      if (signal.aborted || (rt.complete && options.stopWhenComplete)) return
      const now = scheduler.now()
      for (const peer of queue.due(now, blocked, dialPriority())) void dial(peer)
      wake?.unsubscribe()
      // An address already due waits for a free slot: the next dial or close pumps again.
      const at = queue.nextRetryAt()
      if (at !== undefined && at > now) wake = timer(at - now, scheduler).subscribe(pump)
      if (queue.exhausted && sourcesLive === 0 && !listening) settleExhausted?.()
    }

    const dial = async (peer: PeerAddress): Promise<void> => {
      let conn
      try {
        conn = await transport.dial(peer, { signal })
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e))
        // A transport's message may already name the dial (`cannot connect to X: …`): say it once.
        const prefix = `cannot connect to ${formatAddress(peer)}: `
        const reason = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message
        lastDialError = `${formatAddress(peer)}: ${reason}`
        if (!signal.aborted) options.onWarning?.({ type: 'warning', message: prefix + reason, peer: formatAddress(peer), error: err })
        queue.failed(peer, scheduler.now())
        pump()
        return
      }
      queue.connected(peer)
      pump()
      const before = rt.have.count
      const err = await rt.addConnection(conn, 'initiator')
      if (err !== undefined) lastDialError = `${formatAddress(peer)}: ${err.message}`
      const banned = blocked(formatAddress(peer))
      queue.closed(peer, scheduler.now(), { useful: rt.have.count > before, retry: !banned && !rt.complete })
      pump()
    }

    // Trackers (BEP 3/12/15): announces on the scheduler, their peers into the queue.
    const trackersOn = options.trackers !== false && torrent.announce.some((tier) => tier.length > 0)
    let completedWait: CompletedAnnounceWait | undefined
    // One tracker client for the torrent's trackers and those learned by TEX.
    let client: (AnnounceClient & { close?: () => Promise<void> }) | undefined
    const trackerClient = (): AnnounceClient => {
      if (client === undefined) {
        client = options.trackerClient ?? nodeTrackerClient({ dnsPreferences: true })
        if (options.trackerClient === undefined) { const own = client; closeClient = async () => { await own.close?.() } }
      }
      return client
    }
    const announceKey = randomBytes(4).readUInt32BE(0)
    /** Announces to `tiers` on the scheduler; their peers go into the connect queue. */
    const announceTo = (tiers: readonly (readonly string[])[], extra: { completed$?: Observable<unknown>, onCompletedSettled?: () => void, label: string }): Subscription =>
      torrentTrackerPeers({
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
      }).subscribe({
        next: (found) => { addPeer(found.address, found.source) },
        error: (e: unknown) => { sourcesLive--; extra.onCompletedSettled?.(); options.onWarning?.({ type: 'warning', message: `trackers failed: ${e instanceof Error ? e.message : String(e)}` }); pump() },
        complete: () => { sourcesLive--; extra.onCompletedSettled?.(); pump() }
      })

    const startTrackers = (): void => {
      const wait = rt.complete ? undefined : new CompletedAnnounceWait()
      completedWait = wait
      sourcesLive++
      sourceSubs.push(announceTo(torrent.announce, {
        completed$: rt.verified$.pipe(filter(() => rt.complete), take(1)),
        onCompletedSettled: () => { wait?.settle() },
        label: ''
      }))
    }
    let closeClient: (() => Promise<void>) | undefined

    // BEP 28: trackers learned from peers get their own announces (at most 10).
    const extraTrackers = new Set<string>()
    const knownTrackers = (): string[] => [...torrent.announce.flat(), ...extraTrackers]
    const learnTrackers = (urls: readonly string[]): void => {
      if (!sharing.trackerExchange) return
      for (const url of urls) {
        if (extraTrackers.size >= 10 || knownTrackers().includes(url)) continue
        extraTrackers.add(url)
        sourcesLive++
        sourceSubs.push(announceTo([[url]], { label: ' (learned from a peer)' }))
      }
    }

    // BEP 19 web seeds: the torrent's url-list and any given, each a block
    // source through the same planner, assembly and verification as peers.
    const addPeer = (address: PeerAddress, source: PeerSource): void => {
      if (queue.add(address, source, scheduler.now())) pump()
    }

    const main = async (): Promise<void> => {
      // The port is bound before the data is checked, so a port in use fails
      // at once; peers that connect while the check runs are closed (the
      // torrent has nothing to offer yet), as libtorrent does.
      let checked = false
      const listenPort = options.port ?? (trackersOn ? 0 : undefined)
      if (listenPort !== undefined) {
        listener = await transport.listen({ host: options.host ?? '0.0.0.0', port: listenPort, signal }, (conn) => {
          if (checked) acceptInbound(conn)
          else conn.close()
        })
      }
      await rt.check(signal)
      checked = true
      subscriber.next(rt.progress())
      if (rt.complete) await finish()
      if (rt.complete && options.stopWhenComplete) return
      if (listener !== undefined) {
        listening = true
        rt.listenAddress = listener.address
        options.onListening?.(listener.address)
      }
      for (const p of options.peers ?? []) addPeer(p, 'manual')
      if (trackersOn) startTrackers()
      for (const seeding of startWebSeeds(rt, options.webSeeds ?? [], signal, options.onWarning)) {
        sourcesLive++
        void seeding.finally(() => { sourcesLive--; pump() })
      }
      for (const source$ of options.peerSources ?? []) {
        sourcesLive++
        sourceSubs.push(source$.subscribe({
          next: (found) => { addPeer(found.address, found.source) },
          error: (e: unknown) => {
            sourcesLive--
            options.onWarning?.({ type: 'warning', message: `peer source failed: ${e instanceof Error ? e.message : String(e)}` })
            pump()
          },
          complete: () => { sourcesLive--; pump() }
        }))
      }
      pump()
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
      wake?.unsubscribe()
      for (const sub of sourceSubs) sub.unsubscribe()
      // The `stopped` announce goes out on unsubscribe; close the client after it had its chance.
      if (closeClient !== undefined) { const close = closeClient; setTimeout(() => { void close() }, 5000).unref() }
      ac.abort()
      options.signal?.removeEventListener('abort', onOuterAbort)
      rt.closeAll()
      void listener?.close()
      if (ownStorage) void storage.close()
    }
  })
}
