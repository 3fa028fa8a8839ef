import type { SchedulerLike, Subscription } from 'rxjs'
import type { ChokeContext, ChokePeer, Choker } from '../../lib/choke/types.js'
import { chokerByRole } from '../../lib/choke/choker-by-role.js'
import { leecherChoker } from '../../lib/choke/leecher-choker.js'
import { seedChoker } from '../../lib/choke/seed-choker.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { generatePeerId } from '../../lib/peer-id/generate-peer-id.js'
import { xorshift32 } from '../../lib/pieces/xorshift32.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { Duplex, PeerAddress, Transport } from '../../lib/transport/types.js'
import type { MemoryNetwork } from '../../operators/memory-network.js'
import type { VirtualClock } from '../../operators/virtual-clock.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { seed } from '../../pipelines/seed.js'
import type { TorrentRuntime } from '../../pipelines/torrent-runtime.js'
import type { Progress, TorrentWarning } from '../../pipelines/types.js'
import { filledStorage } from '../pipelines/swarm-helpers.js'

/** One member of a simulated swarm: its address, storage, runtime and a way to leave. */
export interface SwarmNode {
  readonly name: string
  readonly address: PeerAddress
  readonly storage: MemoryStorage
  readonly runtime: TorrentRuntime
  /** Resolves with the first progress that has every piece verified. */
  readonly complete: Promise<Progress>
  /** Scheduler time at which every piece was verified, once it was. */
  readonly completedAt: () => number | undefined
  readonly warnings: TorrentWarning[]
  /** Every choke round's decision, when the node runs a {@link recordingChoker}. */
  readonly rounds: ChokeRecord[]
  /** Unsubscribes: closes its listener and every connection. */
  stop: () => void
}

/** Options shared by every member of a simulated swarm. */
export interface NodeOptions {
  /** Wraps the node's memory transport, e.g. with {@link gatedTransport}. */
  readonly wrapTransport?: (t: Transport) => Transport
  readonly uploadSlots?: number
  readonly requestQueueDepth?: number
  readonly pexFirstDelayMs?: number
  /** Peer exchange; default on. */
  readonly pex?: boolean
  /**
   * Seed of this node's randomness (rarest-first ties, optimistic unchokes,
   * superseeding) and of its peer id; default the pipelines' own
   * (`Math.random`, random peer id).
   */
  readonly randomSeed?: number
  /** Timers and clock, e.g. a `VirtualClock`; default the async scheduler. */
  readonly scheduler?: SchedulerLike
  /** Upload limit of the node, bytes per second. */
  readonly uploadLimit?: number
  readonly progressIntervalMs?: number
  /** Record every choke round into `rounds` (wrapping the default choker). */
  readonly recordRounds?: boolean
  readonly superseed?: boolean
}

/** One choke round as the node decided it. */
export interface ChokeRecord {
  readonly now: number
  readonly round: number
  readonly seeding: boolean
  readonly unchoke: readonly string[]
  readonly optimistic: string | undefined
}

/** `inner` (default: the pipelines' default choker), logging each decision into `log`. */
export function recordingChoker (log: ChokeRecord[], inner: Choker = chokerByRole(leecherChoker(), seedChoker())): Choker {
  return {
    name: `recorded ${inner.name}`,
    decide (peers: readonly ChokePeer[], ctx: ChokeContext) {
      const d = inner.decide(peers, ctx)
      log.push({ now: ctx.now, round: ctx.round, seeding: ctx.seeding, unchoke: [...d.unchoke].sort(), optimistic: d.optimistic })
      return d
    }
  }
}

/** A peer id derived from `seed`: the same node gets the same id in every run. */
function peerIdOf (seed: number): Uint8Array {
  const random = xorshift32(seed)
  return generatePeerId(Uint8Array.from({ length: 12 }, () => Math.floor(random() * 256)))
}

/**
 * Starts one member on the memory network, listening on port 0: a seed
 * (`data` given) or a leecher that keeps serving after it completes.
 * Resolves once it listens; `complete` settles later.
 */
export async function startNode (net: MemoryNetwork, host: string, torrent: Torrent, role: { data: Uint8Array } | { peers: readonly PeerAddress[] }, options: NodeOptions = {}): Promise<SwarmNode> {
  const isSeed = 'data' in role
  const storage = isSeed ? await filledStorage(role.data) : new MemoryStorage(torrent.length)
  const warnings: TorrentWarning[] = []
  const rounds: ChokeRecord[] = []
  let runtime: TorrentRuntime | undefined
  let onListening!: (a: PeerAddress) => void
  const listening = new Promise<PeerAddress>((resolve) => { onListening = resolve })
  const common = {
    storage,
    transport: options.wrapTransport?.(net.transport(host)) ?? net.transport(host),
    port: 0,
    hasher: nodeHasher,
    trackers: false,
    progressIntervalMs: options.progressIntervalMs ?? 50,
    pex: options.pex === false ? false : { firstDelayMs: options.pexFirstDelayMs ?? 100 },
    onListening,
    onRuntime: (rt: TorrentRuntime) => { runtime = rt },
    onWarning: (w: TorrentWarning) => { warnings.push(w) },
    ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
    ...(options.uploadSlots === undefined ? {} : { uploadSlots: options.uploadSlots }),
    ...(options.uploadLimit === undefined ? {} : { uploadLimit: options.uploadLimit }),
    ...(options.recordRounds === true ? { choker: recordingChoker(rounds) } : {}),
    ...(options.randomSeed === undefined ? {} : { random: xorshift32(options.randomSeed), peerId: peerIdOf(options.randomSeed ^ 0x5f3759df) })
  }
  const progress$ = isSeed
    ? seed(torrent, { ...common, data: '/unused', ...(options.superseed === undefined ? {} : { superseed: options.superseed }) })
    : download(torrent, {
      ...common,
      out: '/unused',
      seed: true,
      peers: role.peers,
      ...(options.requestQueueDepth === undefined ? {} : { requestQueueDepth: options.requestQueueDepth })
    })
  let failed: ((e: unknown) => void) | undefined
  const errored = new Promise<never>((_resolve, reject) => { failed = reject })
  errored.catch(() => {})
  // One subscription drives the node; `complete` resolves from its progress.
  let latest: Progress | undefined
  let completedAt: number | undefined
  const waiters: Array<(p: Progress) => void> = []
  const sub: Subscription = progress$.subscribe({
    next: (p) => {
      latest = p
      if (p.piecesVerified === p.pieceCount) while (waiters.length > 0) waiters.shift()?.(p)
    },
    error: (e: unknown) => { failed?.(e) }
  })
  const complete = Promise.race([
    new Promise<Progress>((resolve) => {
      if (latest !== undefined && latest.piecesVerified === latest.pieceCount) resolve(latest)
      else waiters.push(resolve)
    }),
    errored
  ])
  const address = await Promise.race([listening, errored])
  const rt = runtime
  if (rt === undefined) throw new Error(`${host}: no runtime`)
  const watch = rt.verified$.subscribe(() => { if (completedAt === undefined && rt.complete) completedAt = rt.scheduler.now() })
  return {
    name: host,
    address,
    storage,
    runtime: rt,
    complete,
    completedAt: () => completedAt,
    warnings,
    rounds,
    stop: () => { watch.unsubscribe(); sub.unsubscribe() }
  }
}

/** Whether the pieces held by `nodes` together cover the whole torrent. */
export function covered (nodes: readonly SwarmNode[], pieceCount: number): boolean {
  for (let i = 0; i < pieceCount; i++) if (!nodes.some((n) => n.runtime.have.has(i))) return false
  return true
}

/** One macrotask turn: every pending promise continuation (storage, async iterators) runs first. */
export const settle = (): Promise<void> => new Promise<void>((resolve) => { setImmediate(resolve) })

/**
 * Advances `clock` (settling pending async work at every instant) until
 * `until()` holds; throws when `forMs` of virtual time pass first.
 */
export async function runUntil (clock: VirtualClock, until: () => boolean, forMs: number, what = 'condition'): Promise<void> {
  const start = clock.now()
  if (!await clock.run({ until, forMs, settle })) throw new Error(`${what} not reached after ${clock.now() - start} ms of virtual time`)
}

/** The `n`-th address of the simulated subnet: 10.0.0.n. */
export const hostOf = (n: number): string => `10.0.0.${n}`

/**
 * A transport whose listener holds incoming connections until `open()`:
 * a seed started first stays silent until the whole swarm is up, so every
 * leecher starts from the same point instead of the first ones finishing
 * before the last ones join.
 */
export function gatedTransport (inner: Transport): { transport: Transport, open: () => void } {
  let isOpen = false
  const held: Array<() => void> = []
  return {
    transport: {
      dial: async (address, options) => await inner.dial(address, options),
      listen: async (options, onConnection) => await inner.listen(options, (conn: Duplex) => {
        if (isOpen) onConnection(conn)
        else held.push(() => { onConnection(conn) })
      })
    },
    open: () => {
      isOpen = true
      while (held.length > 0) held.shift()?.()
    }
  }
}
