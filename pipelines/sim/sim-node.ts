import { of, type SchedulerLike, type Subscription } from 'rxjs'
import type { Choker } from '../../lib/choke/types.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { generatePeerId } from '../../lib/peer-id/generate-peer-id.js'
import { xorshift32 } from '../../lib/pieces/xorshift32.js'
import type { Hasher } from '../../lib/storage/types.js'
import { defaultChoker } from '../../lib/torrent/state.js'
import type { PeerAddress, Transport } from '../../lib/transport/types.js'
import { download } from '../download.js'
import { seed } from '../seed.js'
import type { TorrentWarning } from '../types.js'
import { SharedDataStorage } from './shared-data-storage.js'
import type { ChokeRoundTrace, SimPeerContext, SimPeerOptions, SimPeerResult, SimStrategy } from './types.js'

/** Port every simulated peer listens on (each has its own host). */
export const SIM_PORT = 6881
const KEPT_WARNINGS = 10

/** What a {@link SimNode} needs from the swarm around it. */
export interface SimNodeEnv {
  readonly torrent: Torrent
  readonly data: Uint8Array
  readonly scheduler: SchedulerLike
  readonly hasher: Hasher
  /** How the storage tells canonical writes (`SharedDataStorageOptions.same`); default byte for byte. */
  readonly same?: (written: Uint8Array, at: number) => boolean
  readonly progressIntervalMs: number
  /** The peer's transport on the simulated network. */
  readonly transport: (host: string) => Transport
  /** Peer name of a host, for the choke trace. */
  readonly nameOf: (host: string) => string
  /** Where choke rounds go, when traced. */
  readonly trace: ChokeRoundTrace[] | undefined
}

/** A deterministic 32-bit mix of a seed and a stream number (murmur3's finaliser). */
export function mixSeed (seed: number, stream: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

function resolve<T> (s: SimStrategy<T> | undefined, ctx: SimPeerContext): T | undefined {
  return typeof s === 'function' ? (s as (c: SimPeerContext) => T)(ctx) : s
}

/** The `10.a.b.c` host of the `n`-th peer (from 1). */
export function simHost (n: number): string {
  return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

/** One peer of a simulated swarm: its storage, its engine subscription and its counters. */
export class SimNode {
  readonly host: string
  readonly storage: SharedDataStorage
  uploaded = 0
  downloaded = 0
  wireUploaded = 0
  wireDownloaded = 0
  joinedAt: number | undefined
  completedAt: number | undefined
  leftAt: number | undefined
  listening = false
  error: string | undefined
  readonly warnings: string[] = []
  warningCount = 0
  /** Connections closed at the connection limit: replaced by a newcomer of higher BEP 40 priority, or refused. */
  limitCloses = 0
  readonly #seed: number
  #sub: Subscription | undefined
  /** Told to leave before it joined: it never starts. */
  #cancelled = false

  constructor (readonly index: number, readonly name: string, readonly role: 'seed' | 'leecher', readonly options: SimPeerOptions, swarmSeed: number, readonly env: SimNodeEnv) {
    this.host = simHost(index + 1)
    this.#seed = mixSeed(swarmSeed, index)
    this.storage = new SharedDataStorage(env.data, {
      pieceLength: env.torrent.pieceLength,
      full: role === 'seed',
      ...(env.same === undefined ? {} : { same: env.same }),
      onWrite: (held) => { if (held === env.torrent.pieceCount && this.completedAt === undefined) this.completedAt = env.scheduler.now() }
    })
  }

  get address (): PeerAddress { return { host: this.host, port: SIM_PORT } }
  get online (): boolean { return this.joinedAt !== undefined && this.leftAt === undefined }

  #choker (ctx: SimPeerContext): Choker | undefined {
    const own = resolve(this.options.choker, ctx)
    const trace = this.env.trace
    if (trace === undefined) return own
    const inner = own ?? defaultChoker()
    const nameOf = (key: string): string => this.env.nameOf(key.replace(/:\d+$/, ''))
    return {
      name: inner.name,
      decide: (peers, c) => {
        const d = inner.decide(peers, c)
        trace.push({ peer: this.name, at: c.now, round: c.round, early: c.early === true, seeding: c.seeding, unchoked: [...d.unchoke].map(nameOf).sort(), optimistic: d.optimistic === undefined ? null : nameOf(d.optimistic) })
        return d
      }
    }
  }

  /** Starts the engine (`seed` or `download` with `seed: true`), dialing `peers` (as peers from a tracker). */
  start (peers: readonly PeerAddress[]): void {
    const { env, options } = this
    const now = env.scheduler.now()
    if (this.#cancelled) {
      this.leftAt = now
      return
    }
    this.joinedAt = now
    if (this.role === 'seed') this.completedAt = now
    const ctx: SimPeerContext = { name: this.name, role: this.role, random: xorshift32(mixSeed(this.#seed, 1)) }
    const picker = resolve(options.picker, ctx)
    const choker = this.#choker(ctx)
    const interest = resolve(options.interest, ctx)
    const requestDepth = resolve(options.requestDepth, ctx)
    const peerFilter = resolve(options.peerFilter, ctx)
    const seedingMode = resolve(options.seedingMode, ctx)
    const idRandom = xorshift32(mixSeed(this.#seed, 2))
    const common = {
      storage: this.storage,
      transport: env.transport(this.host),
      host: this.host,
      port: SIM_PORT,
      hasher: env.hasher,
      trackers: false,
      // The simulated tracker's answer: retried as tracker peers are, not as a user's list.
      peerSources: [of(...peers.map((address) => ({ address, source: 'tracker' as const })))],
      scheduler: env.scheduler,
      random: xorshift32(mixSeed(this.#seed, 3)),
      peerId: generatePeerId(Uint8Array.from({ length: 12 }, () => Math.floor(idRandom() * 256))),
      progressIntervalMs: env.progressIntervalMs,
      pex: options.pex === false ? false : {},
      onListening: () => { this.listening = true },
      onWarning: (w: TorrentWarning) => {
        this.warningCount++
        const code = (w.error as { code?: unknown } | undefined)?.code
        if (code === 'replaced-by-priority' || code === 'connection-limit') this.limitCloses++
        if (this.warnings.length < KEPT_WARNINGS) this.warnings.push(w.peer === undefined ? w.message : `${env.nameOf(w.peer.replace(/:\d+$/, ''))}: ${w.message}`)
      },
      ...(picker === undefined ? {} : { picker }),
      ...(choker === undefined ? {} : { choker }),
      ...(interest === undefined ? {} : { interest }),
      ...(requestDepth === undefined ? {} : { requestDepth }),
      ...(peerFilter === undefined ? {} : { peerFilter }),
      ...(seedingMode === undefined ? {} : { seedingMode }),
      ...(options.uploadSlots === undefined ? {} : { uploadSlots: options.uploadSlots }),
      ...(options.uploadLimit === undefined ? {} : { uploadLimit: options.uploadLimit }),
      ...(options.downloadLimit === undefined ? {} : { downloadLimit: options.downloadLimit }),
      ...(options.maxConnections === undefined ? {} : { connectQueue: { maxConnections: options.maxConnections } })
    }
    const progress$ = this.role === 'seed'
      ? seed(env.torrent, { ...common, data: '', ...(options.superseed === undefined ? {} : { superseed: options.superseed }) })
      : download(env.torrent, { ...common, out: '', seed: true, ...(options.requestQueueDepth === undefined ? {} : { requestQueueDepth: options.requestQueueDepth }) })
    this.#sub = progress$.subscribe({
      error: (e: unknown) => {
        this.error = e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e)
        this.#sub = undefined
        this.leftAt ??= env.scheduler.now()
      }
    })
  }

  /** Stops the engine: closes its listener and every connection; a peer yet to join never will. */
  stop (): void {
    if (this.joinedAt === undefined) {
      this.#cancelled = true
      return
    }
    this.leftAt ??= this.env.scheduler.now()
    this.#sub?.unsubscribe()
    this.#sub = undefined
  }

  /** The peer's figures. */
  result (): SimPeerResult {
    return {
      name: this.name,
      role: this.role,
      address: `${this.host}:${SIM_PORT}`,
      joinedAt: this.joinedAt ?? null,
      completedAt: this.completedAt ?? null,
      leftAt: this.leftAt ?? null,
      uploaded: this.uploaded,
      downloaded: this.downloaded,
      wireUploaded: this.wireUploaded,
      wireDownloaded: this.wireDownloaded,
      warnings: [...this.warnings],
      warningCount: this.warningCount,
      limitCloses: this.limitCloses,
      error: this.error ?? null
    }
  }
}
