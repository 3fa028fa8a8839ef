import type { Observable, SchedulerLike } from 'rxjs'
import type { ConnectQueueOptions, PeerSource } from '../lib/swarm/connect-queue.js'
import type { AnnounceClient } from '../operators/announce-schedule.js'
import type { Extension } from '../operators/extension.js'
import type { TorrentRuntime } from './torrent-runtime.js'
import type { CheckResume } from './runtime-status.js'
import type { InboundLimits } from './inbound-gate.js'
import type { PeerAddress, Transport } from '../lib/transport/types.js'
import type { Hasher, Storage } from '../lib/storage/types.js'
import type { PiecePicker } from '../lib/pieces/piece-picker.js'
import type { Choker } from '../lib/choke/types.js'
import type { Progress, TorrentWarning } from './progress-types.js'
import type { InterestPolicy, PeerFilter, RequestDepthPolicy, SeedingMode } from '../lib/torrent/strategies.js'

/** A peer address found by a source (tracker, PEX, DHT…). */
export interface FoundPeer {
  readonly address: PeerAddress
  readonly source: PeerSource
}

export type { Progress, PeerStats, TorrentWarning } from './progress-types.js'

/** Options shared by {@link download}, {@link seed} and the pipelines built on them. */
export interface CommonOptions {
  /** Listen for incoming peers on this port (0: any free port). Omit to not listen. */
  readonly port?: number
  /** Address to listen on; default `0.0.0.0`. */
  readonly host?: string
  /** Peers to dial (retried with backoff). */
  readonly peers?: readonly PeerAddress[]
  /**
   * While listening, a download whose known peers have all failed waits for
   * incoming ones (default true); false: it fails with `no-peers` as one that
   * does not listen (the CLI's several-torrent download without `--port`
   * and without trackers, as its single-torrent download behaves).
   */
  readonly waitForIncoming?: boolean
  /** More peers as they are found (trackers, PEX, DHT…), merged with `peers`. */
  readonly peerSources?: ReadonlyArray<Observable<FoundPeer>>
  /**
   * Announce to the torrent's trackers (BEP 3, 12, 15) and dial the peers they
   * return; default true. When on and `port` is omitted, the pipeline listens
   * on any free port so the tracker can hand our address to others.
   */
  readonly trackers?: boolean
  /** More BEP 19 web seeds (HTTP/HTTPS), beside the torrent's `url-list`. */
  readonly webSeeds?: readonly string[]
  /** The tracker client; default `nodeTrackerClient()` (HTTP, HTTPS, UDP). */
  readonly trackerClient?: AnnounceClient & {
    /** Called once the torrent stops, to release the client's sockets. */
    close?: () => Promise<void>
  }
  /**
   * BEP 11 peer exchange (and BEP 28 tracker exchange); default on, always off
   * for private torrents. `firstDelayMs`: the first message after the
   * extended handshake (default 2 s); later ones every minute.
   */
  readonly pex?: boolean | { readonly firstDelayMs?: number }
  /** More BEP 10 extensions, beside the built-in ones (`ut_metadata`…). */
  readonly extensions?: ReadonlyArray<Extension>
  /** Events from extensions, by peer and extension name. */
  readonly onExtensionEvent?: (peer: string, name: string, event: unknown) => void
  /** Connection limits and dial backoff. */
  readonly connectQueue?: ConnectQueueOptions
  /**
   * Inbound connections before their handshake: their own budget
   * (`maxHalfOpen`, default 100, apart from `connectQueue.maxConnections`),
   * a cap per source address (`maxPerAddress`, default 8) and a close after
   * `idleTimeoutMs` (default 3 s) without a byte.
   */
  readonly inbound?: InboundLimits
  /** Custom storage; default files under the directory, laid out as libtorrent's save path. */
  readonly storage?: Storage
  /**
   * For the default file storage: write around the page cache where the file
   * system allows it (`FileStorageOptions.directIo`). Default true on Linux.
   */
  readonly directIo?: boolean
  readonly hasher?: Hasher
  /** Which pieces to request next; default rarest-first (lib/pieces/rarest-first). */
  readonly picker?: PiecePicker
  /** Upload and download limits for this torrent, bytes per second (0 or absent: none). */
  readonly uploadLimit?: number
  readonly downloadLimit?: number
  /** Regular unchoke slots (an optimistic one comes on top); default 4. */
  readonly uploadSlots?: number
  /**
   * The choking strategy; default tit-for-tat while leeching and rotation
   * while seeding (lib/choke). It alone decides who is unchoked: every 10 s,
   * and in an early round (`ChokeContext.early`) when a peer's interest
   * changes or an unchoked peer leaves.
   */
  readonly choker?: Choker
  /** When we are interested in a peer; default: it has a piece we want (lib/torrent `wantedPiecesInterest`). */
  readonly interest?: InterestPolicy
  /** How many requests to keep outstanding to a peer; default 3 s of its rate (lib/torrent `rateRequestDepth`). */
  readonly requestDepth?: RequestDepthPolicy
  /** Which peers to refuse or drop, by address, client or behaviour; default every peer is kept. */
  readonly peerFilter?: PeerFilter
  /** How a complete torrent seeds: `normalSeeding` (default) or `superseeding()` (BEP 16). */
  readonly seedingMode?: SeedingMode
  readonly transport?: Transport
  /** Timers; default the async scheduler. */
  readonly scheduler?: SchedulerLike
  /**
   * Uniform numbers in [0, 1) for rarest-first ties (default picker),
   * optimistic unchokes, superseeding offers and tracker shuffles; default
   * `Math.random`. A seeded generator makes a run under a virtual scheduler repeatable.
   */
  readonly random?: () => number
  /** Our 20-byte peer id; default a random Azureus-style `-RX0100-…` id. */
  readonly peerId?: Uint8Array
  /** Called once the listener is bound, with its real address (useful with port 0). */
  readonly onListening?: (address: PeerAddress) => void
  /** Called for each non-fatal problem (a bad peer, a refused connection). */
  readonly onWarning?: (w: TorrentWarning) => void
  /** fsync the storage once every piece is verified; default false (data is written to the OS as each piece verifies). */
  readonly syncOnComplete?: boolean
  /**
   * Called once with the torrent's runtime (have bitfield, verified$,
   * storage, planner, peers) when it is built: for pipelines built on top,
   * such as streaming, that need to read verified data as it arrives.
   */
  readonly onRuntime?: (runtime: TorrentRuntime) => void
  /** Milliseconds between progress emissions; default 1000. */
  readonly progressIntervalMs?: number
  /**
   * Resume data's verdict (lib/session `resumePlan`, e.g. from a session's
   * `ResumeKeeper.plan()`): `trusted` pieces count as verified without a
   * read, only `recheck` is read and hashed. Default: every piece is checked.
   */
  readonly resume?: CheckResume
  readonly signal?: AbortSignal
}

/** Options of {@link download}. */
export interface DownloadOptions extends CommonOptions {
  /** Save directory: a single-file torrent is `<out>/<name>`, a multi-file one `<out>/<name>/<path…>`. */
  readonly out: string
  /**
   * Download only these files: indices (`0`, `2-4`) or globs on the path
   * (`*.mkv`, `extras/**`). Pieces shared with a skipped file are fetched
   * too; the download completes when every wanted piece is verified.
   */
  readonly only?: readonly string[]
  /** Keep serving after every piece is verified; the observable then never completes on its own. */
  readonly seed?: boolean
  /**
   * Most block requests outstanding to one peer (default 250). Below that the
   * depth follows the peer's rate: 3 s of it, at least 16, never above the
   * peer's `reqq`.
   */
  readonly requestQueueDepth?: number
}

/** Options of {@link seed}. */
export interface SeedOptions extends CommonOptions {
  /** Data directory, laid out as libtorrent's save path. */
  readonly data: string
  /** BEP 16 superseeding: look empty and offer each peer one piece at a time, the next once it has passed the last one on. */
  readonly superseed?: boolean
}
