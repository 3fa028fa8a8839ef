/**
 * The state of one running torrent, owned by the engine: what we have and
 * what is in flight (planner), every admitted connection's protocol state
 * (its `PeerSession`, rates, counters), the swarm's facts, the ban ledger,
 * the choking round and the strategies. `step` (./step.ts) is the only
 * writer; readers (progress, PEX, the interpreter) only look.
 *
 * The state is a value owned by the engine: `step` updates it in place and
 * returns it, so a block costs no copy of thousands of entries. Keep the
 * state a step returns, not an older one.
 */
import { LIMITS } from '../constants.js'
import type { Choker } from '../choke/types.js'
import { Bitfield } from '../pieces/bitfield.js'
import type { PieceGeometry } from '../pieces/geometry.js'
import type { PiecePicker } from '../pieces/piece-picker.js'
import { rarestFirst } from '../pieces/rarest-first.js'
import { RequestPlanner } from '../pieces/request-planner.js'
import type { PeerSession } from '../peer/peer-session.js'
import { RateMeter } from '../stats/rate-meter.js'
import { emptySwarm, type SwarmState } from '../swarm/swarm-state.js'
import { formatAddress, type PeerAddress } from '../transport/types.js'
import { keepAllPeers, normalSeeding, rateRequestDepth, wantedPiecesInterest, type InterestPolicy, type PeerFilter, type RequestDepthPolicy, type SeedingMode, type SeedingRun } from './strategies.js'
import { chokerByRole } from '../choke/choker-by-role.js'
import { guardPicker, type GuardedPicker } from './guarded-picker.js'
import { leecherChoker } from '../choke/leecher-choker.js'
import { seedChoker } from '../choke/seed-choker.js'

/** The window of the torrent-wide rates (what `Progress` shows): the last second. */
export const TORRENT_RATE_WINDOW_MS = 1000

/** The strategies a torrent runs with; every one has a default. */
export interface TorrentStrategies {
  readonly choker: Choker
  readonly interest: InterestPolicy
  readonly requestDepth: RequestDepthPolicy
  readonly seeding: SeedingMode
  readonly peerFilter: PeerFilter
}

/** One connection as the engine knows it. */
export interface EnginePeer {
  readonly key: string
  /** What a ban applies to: the host, or host:port on loopback (local swarms share an address). */
  readonly banKey: string
  readonly address?: PeerAddress
  readonly outgoing: boolean
  /** The handshake offered BEP 6 and BEP 10 (known from `peer-handshaken`). */
  fast: boolean
  extended: boolean
  /** Set once the handshake is done and the connection may send (`peer-open`). */
  session?: PeerSession
  /** The peer's request limit from its extended handshake (`reqq`). */
  reqq?: number
  /** Payload rates from and to this peer (for the choker and the request depth). */
  readonly downRate: RateMeter
  readonly upRate: RateMeter
  /** Bytes and last block time not yet reported to `swarm` (one `transfer` at a time). */
  pendingDown: number
  pendingUp: number
  pendingBlockAt: number
  /** The peer's piece count changed since the swarm state last heard it (reported with the bytes). */
  piecesPending: boolean
}

/** The choking round's memory. */
export interface ChokeMemory {
  readonly slots: number
  /** Regular rounds so far. */
  round: number
  optimistic?: string
  /** An early round was asked for and has not run yet. */
  earlyPending: boolean
}

/** Everything the engine keeps for one torrent. */
export interface TorrentState {
  readonly geometry: PieceGeometry
  readonly infoHash: Uint8Array
  /** Our peer id, lowercase hex. */
  readonly ourPeerId: string
  readonly have: Bitfield
  readonly planner: RequestPlanner
  /** The piece picker the planner runs, guarded (lib/torrent/guarded-picker). */
  readonly picker: GuardedPicker
  readonly peers: Map<string, EnginePeer>
  /** Connections closed whose in-flight work is not yet released (`peer-released`). */
  readonly closing: Set<string>
  swarm: SwarmState
  readonly strategies: TorrentStrategies
  readonly choke: ChokeMemory
  /** Set while a complete torrent seeds (`checked` when complete, or on completion). */
  seedingRun?: SeedingRun
  /** Most requests outstanding to one peer. */
  readonly maxDepth: number
  /** SHA-1 for the BEP 6 allowed-fast set; without it none is offered. */
  readonly digest?: (data: Uint8Array) => Uint8Array
  readonly bans: Set<string>
  readonly hashStrikes: Map<string, number>
  readonly maxHashFailures: number
  /** Payload bytes per second over the last second, and their totals. */
  readonly down: RateMeter
  readonly up: RateMeter
  hashFailures: number
  /** Bytes received that were not wanted (duplicates, late blocks). */
  wasted: number
  /** The data was checked and the torrent runs. */
  started: boolean
  /** `complete` was announced. */
  completed: boolean
  /** Set when the torrent stopped (strategy failure). */
  stopped?: Error
}

/** Options of {@link createTorrentState}. */
export interface TorrentStateOptions {
  readonly geometry: PieceGeometry
  readonly infoHash: Uint8Array
  readonly peerId: Uint8Array
  /** Default rarest-first with `random` for ties. */
  readonly picker?: PiecePicker
  /** Randomness of the default picker's ties; default lib's seeded generator. */
  readonly random?: () => number
  readonly strategies?: Partial<TorrentStrategies>
  /** Regular unchoke slots (the optimistic one comes on top); default 4. */
  readonly uploadSlots?: number
  /** Default `LIMITS.requestQueueDepth`. */
  readonly requestQueueDepth?: number
  /** SHA-1 for the BEP 6 allowed-fast set; without it none is offered. */
  readonly digest?: (data: Uint8Array) => Uint8Array
  /** Hash failures of a sole source before its address is banned; default `LIMITS.maxHashFailuresPerPeer`. */
  readonly maxHashFailures?: number
  /** Pieces to fetch; default all. */
  readonly wanted?: Bitfield
}

/** The default choker: tit-for-tat while leeching, rotation while seeding (lib/choke). */
export const defaultChoker = (): Choker => chokerByRole(leecherChoker(), seedChoker())

/** A torrent that has nothing yet and knows no peer. */
export function createTorrentState (options: TorrentStateOptions): TorrentState {
  const have = new Bitfield(options.geometry.pieceCount)
  const picker = guardPicker(options.picker ?? rarestFirst(options.random === undefined ? {} : { random: options.random }))
  const planner = new RequestPlanner(options.geometry, { have, picker })
  if (options.wanted !== undefined) planner.setWanted(options.wanted)
  const s = options.strategies ?? {}
  return {
    geometry: options.geometry,
    infoHash: options.infoHash,
    ourPeerId: hex(options.peerId),
    have,
    planner,
    picker,
    peers: new Map(),
    closing: new Set(),
    swarm: emptySwarm(),
    strategies: {
      choker: s.choker ?? defaultChoker(),
      interest: s.interest ?? wantedPiecesInterest,
      requestDepth: s.requestDepth ?? rateRequestDepth,
      seeding: s.seeding ?? normalSeeding,
      peerFilter: s.peerFilter ?? keepAllPeers
    },
    choke: { slots: options.uploadSlots ?? 4, round: 0, earlyPending: false },
    maxDepth: options.requestQueueDepth ?? LIMITS.requestQueueDepth,
    ...(options.digest === undefined ? {} : { digest: options.digest }),
    bans: new Set(),
    hashStrikes: new Map(),
    maxHashFailures: options.maxHashFailures ?? LIMITS.maxHashFailuresPerPeer,
    down: new RateMeter({ windowMs: TORRENT_RATE_WINDOW_MS }),
    up: new RateMeter({ windowMs: TORRENT_RATE_WINDOW_MS }),
    hashFailures: 0,
    wasted: 0,
    started: false,
    completed: false
  }
}

/** Every wanted piece is verified. */
export const isComplete = (state: TorrentState): boolean => state.planner.wantedComplete

/** Lowercase hex of `b` ('' when absent). */
export function hex (b: Uint8Array | undefined): string {
  return b === undefined ? '' : Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

/**
 * The address a ban applies to: the host, except on loopback where local
 * swarms share one address and the port tells peers apart.
 */
export function banKeyOf (address: PeerAddress | undefined, key: string): string {
  if (address === undefined) return key
  const h = address.host
  if (h === '::1' || h.startsWith('127.') || h === '::ffff:127.0.0.1') return formatAddress(address)
  return h
}
