import type { Choker } from '../../lib/choke/types.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import type { PiecePicker } from '../../lib/pieces/piece-picker.js'
import type { Hasher } from '../../lib/storage/types.js'
import type { InterestPolicy, PeerFilter, RequestDepthPolicy, SeedingMode } from '../../lib/torrent/strategies.js'

/** What a strategy factory is told about the peer it is made for. */
export interface SimPeerContext {
  /** The peer's name in the results. */
  readonly name: string
  readonly role: 'seed' | 'leecher'
  /** The peer's own seeded random numbers in [0, 1) (the engine draws from another stream of the same seed). */
  readonly random: () => number
}

/** A strategy given as a value shared by the peers it applies to, or made per peer by a factory. */
export type SimStrategy<T> = T | ((peer: SimPeerContext) => T)

/**
 * One simulated peer: its access link, when it joins and leaves, and the
 * strategies and settings its `download` or `seed` runs with. Every field is
 * optional; `SimulateSwarmOptions.peerDefaults` fills what a peer leaves out.
 */
export interface SimPeerOptions {
  /** Name in the results; default `seed-<i>` / `leecher-<i>`. Must be unique. */
  readonly name?: string
  /** Upload capacity of its link, bytes per second, shared by its connections; default unlimited. */
  readonly uploadRate?: number
  /** Download capacity of its link, bytes per second; default unlimited. */
  readonly downloadRate?: number
  /** One-way delay of its link in ms (a path from A to B takes both); default 0. */
  readonly latencyMs?: number
  /** Virtual time at which it starts; default 0. */
  readonly joinAtMs?: number
  /** Virtual time at which it stops and closes every connection; default never. */
  readonly leaveAtMs?: number
  /** Stops the peer as soon as this holds, checked once every virtual instant. */
  readonly leaveWhen?: (swarm: SwarmView) => boolean
  /** Piece picker (`DownloadOptions.picker`); default rarest-first on the peer's seeded randomness. */
  readonly picker?: SimStrategy<PiecePicker>
  /** Choker (`CommonOptions.choker`); default the engine's (tit-for-tat, seed rotation). */
  readonly choker?: SimStrategy<Choker>
  /** When the peer is interested in another (`CommonOptions.interest`). */
  readonly interest?: SimStrategy<InterestPolicy>
  /** Requests kept outstanding per peer (`CommonOptions.requestDepth`). */
  readonly requestDepth?: SimStrategy<RequestDepthPolicy>
  /** Which peers it refuses or drops (`CommonOptions.peerFilter`). */
  readonly peerFilter?: SimStrategy<PeerFilter>
  /** How it seeds once complete (`CommonOptions.seedingMode`, e.g. `superseeding()`). */
  readonly seedingMode?: SimStrategy<SeedingMode>
  /** Regular unchoke slots (`CommonOptions.uploadSlots`). */
  readonly uploadSlots?: number
  /** BEP 16 superseeding, for a seed (`SeedOptions.superseed`). */
  readonly superseed?: boolean
  /** Most requests outstanding to one peer, for a leecher (`DownloadOptions.requestQueueDepth`). */
  readonly requestQueueDepth?: number
  /** The engine's own upload and download limits, bytes per second (apart from the link's rates). */
  readonly uploadLimit?: number
  readonly downloadLimit?: number
  /** Peer exchange (BEP 11); default on, with its first message 2 s after the extended handshake. */
  readonly pex?: boolean
  /** Connections at most (`connectQueue.maxConnections`); default the engine's (50). */
  readonly maxConnections?: number
}

/** The torrent of a simulation: made by the simulator from a size, or given with its data. */
export type SimTorrent =
  | {
    /** Bytes of the single file. */
    readonly length: number
    /** Bytes per piece, a multiple of 16 KiB. */
    readonly pieceLength: number
    /** Default `sim.bin`. */
    readonly name?: string
  }
  | {
    readonly torrent: Torrent
    /** Every byte of the torrent, which the seeds hold and the leechers fetch. */
    readonly data: Uint8Array
  }

/** Options of {@link simulateSwarm}. */
export interface SimulateSwarmOptions {
  readonly torrent: SimTorrent
  /**
   * What runs each peer. `engine` (default): the torrent engine's `step`
   * with the peer's strategies, stepped by simulated links and timers (lib/sim
   * `EngineSwarm`): messages travel as objects, blocks carry no bytes, a
   * completed piece is verified at once, and nothing waits on the event
   * loop, so a hundred peers run in seconds. `wire`: every peer is a real
   * `download` or `seed` over an in-memory network: wire codec, handshakes,
   * storage and hashing included (`payload`, `verify`, `hasher`,
   * `resolutionMs` and `progressIntervalMs` apply to it only); slower, and
   * it exercises the pipelines themselves. Default `engine`, or `wire` when
   * one of those options is given.
   * @throws UsageError `bad-sim-model` (from `simulateSwarm`) for `engine` with one of those options
   */
  readonly model?: 'engine' | 'wire'
  /** The seeds: how many (alike) or each one; default 1. */
  readonly seeds?: number | readonly SimPeerOptions[]
  /** The leechers: how many (alike) or each one. */
  readonly leechers: number | readonly SimPeerOptions[]
  /** Settings of every peer, under each peer's own. */
  readonly peerDefaults?: SimPeerOptions
  /** The one seed of every random choice: the data, peer ids, picker ties, optimistic unchokes, who learns of whom. Default 1. */
  readonly seed?: number
  /** Virtual ms after which the simulation stops, done or not. */
  readonly timeLimitMs: number
  /**
   * How many peers already in the swarm a joining peer is told of, drawn
   * at random (a tracker's `numwant`); default 50. Peer exchange spreads
   * the rest.
   */
  readonly trackerPeers?: number
  /** Record every choke round of every peer in the result. Default false. */
  readonly traceChokes?: boolean
  /** Timer granularity of the links in ms (`PacingOptions.resolutionMs`); default 1. */
  readonly resolutionMs?: number
  /** Bytes a connection may have in flight each way (`PacingOptions.windowBytes`); default 256 KiB. */
  readonly windowBytes?: number
  /**
   * How pieces are checked. `sha1` (default): real SHA-1 of every byte, as
   * in a download. `sampled`: the simulator's torrent is hashed and checked
   * with `sampledHasher` (SHA-1 of 1/256 of the bytes: the ends of every
   * block), which catches a misplaced or missing block but not a changed byte
   * inside one; for a torrent the simulator makes only.
   */
  readonly verify?: 'sha1' | 'sampled'
  /** The hasher of every peer, overriding `verify`; it also hashes the torrent the simulator makes. */
  readonly hasher?: Hasher
  /**
   * What the links carry. `bytes`: every byte of every block, hashed by
   * `verify` or `hasher` and compared by the storage. `virtual`: blocks
   * without their bytes. Default `virtual`, or `bytes` when `verify` or
   * `hasher` is given or the piece length is not a multiple of 16 KiB. Each 16 KiB block of the data begins with
   * a tag (its number and a magic number drawn from `seed`); a link copies
   * only the tags of blocks and charges their full length, the storage
   * compares tags, and a piece whose blocks carry the right tags in order
   * hashes to the torrent's own hash of it (anything else gets its real
   * SHA-1, so a misplaced or missing block still fails). Messages,
   * handshakes, the wire codec, the engine and the byte counts are as with
   * bytes, so the two modes give the same result for the same seed; what
   * `virtual` cannot catch is a changed byte inside a block. `verify` and
   * `hasher` then only hash the torrent the simulator makes.
   * @throws UsageError `bad-sim-torrent` (from `simulateSwarm`) for `virtual` with a piece length that is not a multiple of 16 KiB
   */
  readonly payload?: 'bytes' | 'virtual'
  /** Progress emissions of each peer's engine, virtual ms; default 1000. */
  readonly progressIntervalMs?: number
  /** Stops the simulation between two virtual instants; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal
}

/** A peer as {@link SwarmView} shows it. */
export interface SwarmViewPeer {
  readonly name: string
  readonly role: 'seed' | 'leecher'
  /** Joined and not yet left. */
  readonly online: boolean
  /** Pieces it holds. */
  readonly pieces: number
  /** Whether it holds piece `index`. */
  has: (index: number) => boolean
}

/** The swarm as a `leaveWhen` condition sees it, at one virtual instant. */
export interface SwarmView {
  /** Virtual ms. */
  readonly now: number
  readonly pieceCount: number
  readonly peers: readonly SwarmViewPeer[]
}

/** One peer's figures at the end of a simulation. */
export interface SimPeerResult {
  readonly name: string
  readonly role: 'seed' | 'leecher'
  /** `host:port` it listened on. */
  readonly address: string
  /** Virtual ms at which it joined; `null` if the simulation ended first. */
  readonly joinedAt: number | null
  /** Virtual ms at which it held every piece (a seed: when it joined); `null` if never. */
  readonly completedAt: number | null
  /** Virtual ms at which it left; `null` if it stayed to the end. */
  readonly leftAt: number | null
  /** Block bytes (PIECE payload) other peers received from it. */
  readonly uploaded: number
  /** Block bytes it received, duplicates included. */
  readonly downloaded: number
  /** Every byte it sent and received (handshakes, messages, blocks). */
  readonly wireUploaded: number
  readonly wireDownloaded: number
  /** Warnings of its engine (the first 10 messages) and how many there were. */
  readonly warnings: readonly string[]
  readonly warningCount: number
  /**
   * Connections it closed at its connection limit (BEP 40): replaced by a
   * newcomer of higher priority, or refused after the handshake. Churn at
   * the limit shows here.
   */
  readonly limitCloses: number
  /** Why its engine stopped, if it stopped by itself (e.g. `strategy-failed`). */
  readonly error: string | null
}

/** One choke round of one peer, when `traceChokes` is on. */
export interface ChokeRoundTrace {
  readonly peer: string
  /** Virtual ms. */
  readonly at: number
  readonly round: number
  /** An early round (interest changed or an unchoked peer left), between the regular ones. */
  readonly early: boolean
  readonly seeding: boolean
  /** Names of the peers unchoked, sorted, the optimistic one included. */
  readonly unchoked: readonly string[]
  readonly optimistic: string | null
}

/** What {@link simulateSwarm} returns. */
export interface SwarmResult {
  readonly seed: number
  readonly pieceCount: number
  readonly length: number
  /** Virtual ms at which the simulation stopped. */
  readonly endedAt: number
  /** Every leecher completed. */
  readonly complete: boolean
  readonly peers: readonly SimPeerResult[]
  readonly totals: {
    readonly uploaded: number
    readonly downloaded: number
    readonly wireBytes: number
    /** Leechers that completed. */
    readonly completed: number
  }
  /** Every choke round in order, when `traceChokes` is on; otherwise empty. */
  readonly chokeRounds: readonly ChokeRoundTrace[]
}
