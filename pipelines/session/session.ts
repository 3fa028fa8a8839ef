import { Subject, asyncScheduler, from, switchMap, type Observable, type SchedulerLike, type Subscription } from 'rxjs'
import { LIMITS } from '../../lib/constants.js'
import { UsageError } from '../../lib/errors.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import type { Magnet } from '../../lib/magnet/types.js'
import { parseMagnet } from '../../lib/magnet/parse-magnet.js'
import type { FetchedMetadata } from '../fetch-metadata.js'
import type { Listener, PeerAddress, Transport } from '../../lib/transport/types.js'
import { InboundGate, type InboundLimits } from '../inbound-gate.js'
import { handshakeConnection, type HandshakenConnection } from '../peer-handshake.js'
import type { Progress, TorrentWarning } from '../progress-types.js'
import type { CheckResume } from '../runtime-status.js'
import { ResumeKeeper, type ResumeStore } from './resume-keeper.js'
import { ReadCacheBudget } from '../../operators/read-cache-budget.js'
import { CheckSlots } from '../check-slots.js'
import { checkCount } from '../../lib/session/connection-budget.js'
import { runTorrent, type RunOptions } from '../run-torrent.js'
import type { DownloadOptions } from '../types.js'
import type { SharedListener } from './shared-listener.js'
import { SessionEntry, type SessionTorrent } from './session-entry.js'
import { AnnouncesInFlight, listenPortPair, type BindUdp } from './session-udp.js'
import type { DatagramDemux } from '../../lib/transport/datagram-demux.js'
import type { TransactionDatagrams } from '../../lib/transport/datagram.js'
import type { DialBudget } from '../peer-dialer.js'
import { SessionLimits, type SessionLimitOptions } from './session-limits.js'
import { checkRateLimits, type RateLimits, type TorrentBandwidth } from '../../lib/session/session-bandwidth.js'
import { sessionTotals, type SessionProgress } from './session-progress.js'

/**
 * Options of {@link createSession}. The limits (`maxConnections`,
 * `maxHalfOpen`, `uploadLimit`, `downloadLimit`) hold for all torrents
 * together; each torrent's own (`AddTorrentOptions`) apply beneath them.
 */
export interface SessionOptions extends SessionLimitOptions {
  /** The one port every torrent listens on; default 6881, 0 for any free port. */
  readonly port?: number
  /** Address to listen on; default `0.0.0.0`. */
  readonly host?: string
  /** Default TCP. */
  readonly transport?: Transport
  /** The session's peer id, used by every torrent; default a fresh `-RX…-` id. */
  readonly peerId?: Uint8Array
  /** Timers; default the async scheduler. */
  readonly scheduler?: SchedulerLike
  /** Uniform numbers in [0, 1) for every torrent's picker ties, chokers and tracker shuffles; default `Math.random`. */
  readonly random?: () => number
  /** Incoming connections before their handshake, for the whole session (see `CommonOptions.inbound`). */
  readonly inbound?: InboundLimits
  /** How often each running torrent's resume data is written; default 30 s (it is also written on pause, remove and close). */
  readonly resumeIntervalMs?: number
  /**
   * Bytes of pieces cached for uploads, every torrent together; default
   * 64 MiB (each torrent's cache also stays within its own 16 MiB).
   */
  readonly readCacheBytes?: number
  /** Torrents reading and hashing their data at once (libtorrent's `active_checking`); default 2. The others wait their turn. */
  readonly activeChecks?: number
  /** Something worth knowing that stops nothing; `infoHash` names the torrent, when one is concerned. */
  readonly onWarning?: (w: TorrentWarning & { readonly infoHash?: string }) => void
}

/** Options of {@link Session.add}: a download's, without what the session decides (port, transport, peer id, clock). */
export type AddTorrentOptions = Omit<DownloadOptions, 'port' | 'host' | 'transport' | 'peerId' | 'scheduler' | 'onListening' | 'signal'>

/** Many torrents on one port: see {@link createSession}. */
export interface Session {
  /** Resolves once the listener (and the UDP socket) is bound, with its address. */
  readonly listening: Promise<PeerAddress>
  /**
   * The demultiplexer of the session's UDP socket, bound on the listener's
   * port: UDP trackers use it, and the DHT and uTP attach to it. Resolves
   * once bound; undefined when the platform has no UDP or the port was taken.
   */
  readonly datagrams: Promise<DatagramDemux | undefined>
  /**
   * Start a torrent: checked, then downloaded or seeded from `options.out`.
   * A magnet link (parsed, or its `magnet:?` text) is started as by
   * `addMagnet`, and the result is then a promise.
   * @throws UsageError `duplicate-torrent`, `session-closed`; MagnetError for magnet text that does not parse
   */
  add: SessionAdd
  /**
   * Start a magnet link: its metadata is fetched (BEP 9) from its peers,
   * `options.peers` and its trackers, then the torrent is added as by `add`.
   * @throws UsageError `duplicate-torrent`, `session-closed`, `no-metadata` (the platform cannot fetch metadata); rejects with `no-peers` when no peer gave the metadata
   */
  addMagnet: (magnet: Magnet, options: AddTorrentOptions) => Promise<SessionTorrent>
  /** Stop a torrent (its trackers hear `stopped`); with `deleteData`, its files go too. */
  remove: (id: string, options?: { readonly deleteData?: boolean }) => Promise<void>
  /** Stop a torrent's connections and announces, keeping it; `resume` starts it again. */
  pause: (id: string) => Promise<void>
  /** Start a paused torrent again (its data is checked again). */
  resume: (id: string) => void
  /** The torrents, in the order they were added. */
  torrents: () => SessionTorrent[]
  /**
   * Change the session's limits from now on (those left out stay), as
   * libtorrent's `apply_settings`: a lower connection limit closes nothing,
   * it stops dials and admissions until connections end.
   * @throws UsageError `bad-limit`, `bad-rate` (nothing is changed then)
   */
  setLimits: (limits: SessionLimitOptions) => void
  /**
   * Change a torrent's own rate limits (beneath the session's) from now on,
   * for its running connections too; an unknown id does nothing.
   * @throws UsageError `bad-rate` (nothing is changed then)
   */
  setTorrentLimits: (id: string, limits: RateLimits) => void
  /** Every torrent's progress as it changes, with the session's totals: at most once per turn of the scheduler (changes in one turn make one emission). */
  readonly progress$: Observable<SessionProgress>
  /** Stop every torrent and the listener. */
  close: () => Promise<void>
}

/** {@link Session.add}: a torrent at once; a magnet link once its metadata has come. */
export interface SessionAdd {
  (torrent: Torrent, options: AddTorrentOptions): SessionTorrent
  (magnet: Magnet | string, options: AddTorrentOptions): Promise<SessionTorrent>
}

/** What a session hands its platform's metadata fetch for a magnet link. */
export interface MagnetFetchOptions {
  readonly peers: readonly PeerAddress[]
  readonly trackers: readonly (readonly string[])[]
  readonly peerId: Uint8Array
  readonly transport: Transport
  readonly scheduler: SchedulerLike
  readonly signal: AbortSignal
  /** The session's connection budget: the fetch's dials count against it. */
  readonly budget?: DialBudget
  /** The port the session listens on, announced to the magnet's trackers. */
  readonly port?: number
  /** The session's UDP socket, for the magnet's UDP trackers. */
  readonly datagrams?: TransactionDatagrams
}

/** What the session runs on (Node's: `createSession` in `rxtorrent`). */
export interface SessionPlatform {
  readonly transport: Transport
  readonly peerId: Uint8Array
  /**
   * The engine's platform for a torrent saved under `out` (storage, hasher,
   * tracker client, web seeds); its UDP tracker client sends through
   * `datagrams`, the session's socket, when there is one.
   */
  readonly torrentPlatform: (torrent: Torrent, out: string, options: AddTorrentOptions, datagrams?: TransactionDatagrams) => Pick<RunOptions, 'storage' | 'hasher' | 'closeStorage' | 'makeTrackerClient' | 'webSeedFetch'>
  /** Delete a removed torrent's data under `out`. */
  readonly deleteData: (torrent: Torrent, out: string) => Promise<void>
  /** Binds the session's UDP socket on the listener's port; none: no shared UDP socket. */
  readonly bindUdp?: BindUdp
  /** Where resume data is kept; none: every start checks every piece. */
  readonly store?: ResumeStore
  /** BEP 9: a magnet's metadata from its peers and trackers (Node's: `fetchMetadata`). */
  readonly fetchMetadata?: (infoHash: Uint8Array, options: MagnetFetchOptions) => Promise<FetchedMetadata>
}

/**
 * A session: one TCP listener for many torrents. Every incoming handshake
 * is routed by its info-hash to the torrent that has it (an unknown
 * info-hash is closed quietly); connections still in their handshake pass
 * one session-wide gate (half-open budget, per-address cap, idle timeout).
 * Every torrent uses the session's peer id and announces the session's port.
 * The platform is injected; `createSession` (`rxtorrent`) runs it on Node's.
 */
export function sessionWith (options: SessionOptions, platform: SessionPlatform): Session {
  const scheduler = options.scheduler ?? asyncScheduler
  const { transport, peerId } = platform
  const ac = new AbortController()
  const routes = new Map<string, (hs: HandshakenConnection) => Promise<void>>()
  const entries = new Map<string, SessionEntry>()
  const keepers = new Map<string, ResumeKeeper>()
  const progress$ = new Subject<SessionProgress>()
  const gate = new InboundGate({ scheduler, ...options.inbound })
  const announces = new AnnouncesInFlight()
  let udp: DatagramDemux | undefined
  const limits = new SessionLimits(options, scheduler)
  const bandwidths = new Map<string, TorrentBandwidth>()
  checkCount('readCacheBytes', options.readCacheBytes)
  checkCount('activeChecks', options.activeChecks)
  const readCacheBudget = new ReadCacheBudget({ maxBytes: options.readCacheBytes ?? 64 * 1024 * 1024 })
  const checkSlots = new CheckSlots(options.activeChecks ?? 2)
  let closed = false

  const onConnection = (accepted: Parameters<InboundGate['accept']>[0]): void => {
    const g = gate.accept(accepted)
    if (g === undefined) return
    handshakeConnection(g.conn, {
      role: 'responder',
      infoHash: (ih) => routes.has(hex(ih)),
      peerId,
      scheduler,
      maxQueued: LIMITS.maxOutboundQueue + LIMITS.requestQueueDepth,
      // Its torrent's upload buckets, once routed (`TorrentRuntime.acceptHandshaken`).
      uploadBuckets: [],
      signal: ac.signal
    }).then(async (hs) => {
      g.handshaken()
      await routes.get(hex(hs.infoHash))?.(hs)
    }, () => { /* a bad or unknown handshake: closed quietly */ }).finally(() => { g.closed() })
  }

  const pair = listenPortPair({ transport, bindUdp: platform.bindUdp, host: options.host ?? '0.0.0.0', port: options.port ?? 6881, signal: ac.signal, onConnection, warn: (message) => { options.onWarning?.({ type: 'warning', message }) } })
  const listenerReady: Promise<Listener> = pair.then((p) => { udp = p.udp; return p.listener })
  listenerReady.catch(() => {})
  let address: PeerAddress | undefined
  const listening = listenerReady.then((l) => {
    address = l.address
    // Torrents added before the listener was bound start now.
    for (const e of entries.values()) e.start()
    return l.address
  })
  listening.catch((err: unknown) => { options.onWarning?.({ type: 'warning', message: `the session could not listen: ${err instanceof Error ? err.message : String(err)}` }) })

  const shared = (address: PeerAddress): SharedListener => ({
    address,
    route: (infoHash, accept) => {
      const key = hex(infoHash)
      routes.set(key, accept)
      return () => { if (routes.get(key) === accept) routes.delete(key) }
    }
  })

  // One emission per turn of the scheduler, however many torrents changed in
  // it (each costs a pass over every torrent), and none without a subscriber.
  let emitting = false
  const emit = (): void => {
    if (emitting || !progress$.observed) return
    emitting = true
    scheduler.schedule(() => {
      emitting = false
      const all = [...entries.values()].flatMap((e) => e.progress === undefined ? [] : [e.progress])
      progress$.next({ torrents: all, totals: sessionTotals(all) })
    })
  }

  const add = (torrent: Torrent, addOptions: AddTorrentOptions): SessionTorrent => {
    if (closed) throw new UsageError('session-closed', 'the session is closed')
    const id = torrent.infoHashHex
    if (entries.has(id)) throw new UsageError('duplicate-torrent', `torrent ${id} (${torrent.name}) is already in the session`, { details: { infoHash: id } })
    const sessionLimits = limits.torrent(addOptions)
    bandwidths.set(id, sessionLimits.bandwidth)
    const warn = (w: TorrentWarning): void => { options.onWarning?.({ ...w, infoHash: id }) }
    const store = platform.store
    const keeper = store === undefined ? undefined : new ResumeKeeper(store, torrent, addOptions.out, { warn, now: () => scheduler.now(), ...(options.resumeIntervalMs === undefined ? {} : { intervalMs: options.resumeIntervalMs }) })
    if (keeper !== undefined) keepers.set(id, keeper)
    const run = (resume: CheckResume | undefined): Observable<Progress> => runTorrent(torrent, {
      ...addOptions,
      ...announces.platform(platform.torrentPlatform(torrent, addOptions.out, addOptions, udp?.tracker)),
      transport,
      peerId,
      scheduler,
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(resume === undefined ? {} : { resume }),
      readCacheBudget,
      checkSlots,
      listener: shared(address as PeerAddress),
      sessionLimits,
      onWarning: warn,
      onRuntime: (rt) => {
        keeper?.attach(rt, scheduler)
        addOptions.onRuntime?.(rt)
      },
      stopWhenComplete: addOptions.seed !== true
    })
    const entry = new SessionEntry(torrent, addOptions.out, () => keeper === undefined ? run(undefined) : from(keeper.plan()).pipe(switchMap(run)), {
      changed: emit,
      warn,
      ...(keeper === undefined ? {} : { stopping: async () => { await keeper.detach() } })
    })
    entries.set(id, entry)
    if (address !== undefined) entry.start()
    return entry
  }

  const addMagnet = async (magnet: Magnet, addOptions: AddTorrentOptions): Promise<SessionTorrent> => {
    if (closed) throw new UsageError('session-closed', 'the session is closed')
    if (entries.has(magnet.infoHashHex)) throw new UsageError('duplicate-torrent', `torrent ${magnet.infoHashHex} is already in the session`, { details: { infoHash: magnet.infoHashHex } })
    const fetch = platform.fetchMetadata
    if (fetch === undefined) throw new UsageError('no-metadata', 'this session cannot fetch metadata for magnet links')
    const peers = [...magnet.peers, ...(addOptions.peers ?? [])]
    // The session's UDP socket, port and connection budget serve the fetch too, once the pair is bound.
    await listening.catch(() => undefined)
    const fetched = await fetch(magnet.infoHash, {
      peers,
      trackers: magnet.trackers.map((t) => [t]),
      peerId,
      transport,
      scheduler,
      signal: ac.signal,
      budget: limits.dialBudget(),
      ...(address === undefined ? {} : { port: address.port }),
      ...(udp === undefined ? {} : { datagrams: udp.tracker })
    })
    return add(fetched.torrent, { ...addOptions, peers: [...peers, ...fetched.peers] })
  }

  const remove = async (id: string, removeOptions: { readonly deleteData?: boolean } = {}): Promise<void> => {
    const entry = entries.get(id)
    if (entry === undefined) return
    entries.delete(id)
    bandwidths.delete(id)
    await entry.stop()
    // Removed: its state goes too, so a restart does not bring it back.
    await keepers.get(id)?.forget()
    keepers.delete(id)
    if (removeOptions.deleteData === true) await platform.deleteData(entry.torrent, entry.out)
    emit()
  }

  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    const stops = [...entries.values()].map(async (e) => { await e.stop() })
    entries.clear()
    // Resume data is written before the listener goes; a stuck disk does not hold the close past 5 s.
    await Promise.race([Promise.all(stops), new Promise((resolve) => { setTimeout(resolve, 5000).unref() })])
    ac.abort()
    progress$.complete()
    await listenerReady.then(async (l) => { await l.close() }, () => {})
    // The `stopped` announces go out through the UDP socket: it closes once they are answered (5 s at most).
    await announces.settled(5000)
    await udp?.close()
  }

  const addAny = ((item: Torrent | Magnet | string, addOptions: AddTorrentOptions): SessionTorrent | Promise<SessionTorrent> => {
    if (typeof item === 'string') return addMagnet(parseMagnet(item), addOptions)
    if (!('pieceCount' in item)) return addMagnet(item, addOptions)
    return add(item, addOptions)
  }) as SessionAdd

  return {
    listening,
    datagrams: pair.then((p) => p.udp, () => undefined),
    add: addAny,
    addMagnet,
    remove,
    pause: async (id) => { await entries.get(id)?.pause() },
    resume: (id) => { if (!closed) entries.get(id)?.resume() },
    torrents: () => [...entries.values()],
    setLimits: (l) => { limits.setLimits(l) },
    setTorrentLimits: (id, l) => {
      checkRateLimits(l)
      bandwidths.get(id)?.setLimits(l, scheduler.now())
    },
    progress$: progress$.asObservable(),
    close
  }
}

function hex (b: Uint8Array): string {
  return Buffer.from(b).toString('hex')
}
