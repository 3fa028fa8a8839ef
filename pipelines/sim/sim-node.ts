import { of, type SchedulerLike, type Subscription } from 'rxjs'
import type { Torrent } from '../../lib/metainfo/types.js'
import type { Hasher } from '../../lib/storage/types.js'
import type { PeerAddress, Transport } from '../../lib/transport/types.js'
import { download } from '../download.js'
import { seed } from '../seed.js'
import type { TorrentWarning } from '../types.js'
import { SharedDataStorage } from './shared-data-storage.js'
import type { ChokeRoundTrace, SimPeerOptions, SimPeerResult } from './types.js'
import { mixSeed, SIM_PORT, simHost, simPeerSetup } from './peer-setup.js'
import { simErrorText, WarningLog } from './warning-log.js'

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
  /** Its engine's warnings. */
  readonly warnings: WarningLog
  readonly #seed: number
  #sub: Subscription | undefined
  /** Told to leave before it joined: it never starts. */
  #cancelled = false

  constructor (readonly index: number, readonly name: string, readonly role: 'seed' | 'leecher', readonly options: SimPeerOptions, swarmSeed: number, readonly env: SimNodeEnv) {
    this.host = simHost(index + 1)
    this.#seed = mixSeed(swarmSeed, index)
    this.warnings = new WarningLog(env.nameOf)
    this.storage = new SharedDataStorage(env.data, {
      pieceLength: env.torrent.pieceLength,
      full: role === 'seed',
      ...(env.same === undefined ? {} : { same: env.same }),
      onWrite: (held) => { if (held === env.torrent.pieceCount && this.completedAt === undefined) this.completedAt = env.scheduler.now() }
    })
  }

  get address (): PeerAddress { return { host: this.host, port: SIM_PORT } }
  get online (): boolean { return this.joinedAt !== undefined && this.leftAt === undefined }

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
    const setup = simPeerSetup(this.name, this.role, options, this.#seed, env.trace === undefined ? undefined : { rounds: env.trace, nameOf: env.nameOf })
    const { picker, choker, interest, requestDepth, peerFilter, seedingMode } = setup
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
      random: setup.random,
      peerId: setup.peerId,
      progressIntervalMs: env.progressIntervalMs,
      pex: options.pex === false ? false : {},
      onListening: () => { this.listening = true },
      onWarning: (w: TorrentWarning) => { this.warnings.add(w.message, w.peer, w.error) },
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
        this.error = simErrorText(e)
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
      warnings: [...this.warnings.kept],
      warningCount: this.warnings.count,
      limitCloses: this.warnings.limitCloses,
      error: this.error ?? null
    }
  }
}
