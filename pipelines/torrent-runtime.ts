import { BehaviorSubject, type SchedulerLike, type Subscription } from 'rxjs'
import type { Torrent } from '../lib/metainfo/types.js'
import type { Bitfield } from '../lib/pieces/bitfield.js'
import { geometryOf, type PieceGeometry } from '../lib/pieces/geometry.js'
import { BufferPool } from '../lib/pieces/buffer-pool.js'
import { DEFAULT_MAX_BUFFERED_BYTES, PieceAssembler } from '../lib/pieces/piece-assembler.js'
import type { SwarmState } from '../lib/swarm/swarm-state.js'
import { pexPeers } from '../lib/swarm/swarm-selectors.js'
import { rarestFirst } from '../lib/pieces/rarest-first.js'
import type { RequestPlanner } from '../lib/pieces/request-planner.js'
import type { RateMeter } from '../lib/stats/rate-meter.js'
import { TokenBucket } from '../lib/stats/token-bucket.js'
import { step } from '../lib/torrent/step.js'
import { createTorrentState, isComplete, type TorrentState } from '../lib/torrent/state.js'
import { flushTransfers } from '../lib/torrent/choking.js'
import { EarlyRoundPacer } from '../lib/torrent/early-rounds.js'
import type { TorrentEffect, TorrentInput, TorrentStep } from '../lib/torrent/types.js'
import type { Hasher, Storage } from '../lib/storage/types.js'
import { formatAddress, type Duplex, type PeerAddress } from '../lib/transport/types.js'
import { PieceReadCache } from '../operators/piece-read-cache.js'
import type { CheckSlots } from './check-slots.js'
import { torrentTicks } from '../operators/torrent-ticks.js'
import type { Extension } from '../operators/extension.js'
import type { BlockIn } from '../operators/assemble-pieces.js'
import { PeerConnection } from './peer-connection.js'
import { engineExtensionEvent, syncDigest } from './runtime-inputs.js'
import { asError, handshakeConnection, type HandshakenConnection } from './peer-handshake.js'
import { LIMITS } from '../lib/constants.js'
import { ingestBlocks, piecePath } from './piece-path.js'
import { checkRuntime, runtimeProgress, type CheckResume } from './runtime-status.js'
import type { Progress } from './progress-types.js'
import type { VerifiedPiece } from '../operators/verify-pieces.js'
import type { TorrentRuntimeOptions } from './torrent-runtime-options.js'

export type { TorrentRuntimeOptions } from './torrent-runtime-options.js'

/** The window of the rates in `Progress`: the last second, as the progress line promises. */
export const PROGRESS_RATE_WINDOW_MS = 1000

export { EARLY_ROUND_BURST, EARLY_ROUND_MIN_MS } from '../lib/torrent/early-rounds.js'

/**
 * One running torrent: the engine's state (lib/torrent), stepped by the
 * inputs its connections, timers and data plane produce, and the effects
 * carried out (sends, closes, warnings, timers). Every protocol decision is
 * the engine's; this class only does I/O and holds the data plane
 * (assembler, piece buffers, read cache, rate limits).
 */
export class TorrentRuntime {
  readonly torrent: Torrent
  readonly geometry: PieceGeometry
  readonly storage: Storage
  readonly hasher: Hasher
  readonly peerId: Uint8Array
  readonly scheduler: SchedulerLike
  readonly assembler: PieceAssembler
  /** Piece buffers, reused once a piece is written or fails; made by the storage when it says how (`Storage.allocate`). */
  readonly pieceBuffers: BufferPool
  /** Token buckets every connection's outbound / inbound bytes go through (empty: unlimited). */
  readonly uploadBuckets: readonly TokenBucket[]
  readonly downloadBuckets: readonly TokenBucket[]
  /** Upload reads, a whole piece at a time. */
  readonly readCache: PieceReadCache
  /** Live connections by key: the handles effects are carried out through. What is known of each peer is in `engine`. */
  readonly peers = new Map<string, PeerConnection>()
  /** The swarm state (lib/swarm), as the engine keeps it; emits after each step that changed it. */
  readonly swarm$: BehaviorSubject<SwarmState>
  /** Emits each time a piece is verified and written; completes never. */
  readonly verified$ = new BehaviorSubject<number>(0)
  state: Progress['state'] = 'checking'
  /** Where we accept peers, once listening. */
  listenAddress: PeerAddress | undefined
  piecesChecked = 0
  readonly startedAt: number
  readonly #options: TorrentRuntimeOptions
  readonly #engine: TorrentState
  readonly #random: () => number
  readonly #timers: Subscription[] = []
  #depth = 0
  /**
   * Early choke rounds, run once the input that asked for one is carried
   * out, as the allowance lets: in a busy swarm interest changes many times
   * a second, and each round weighs every peer.
   */
  readonly #early = new EarlyRoundPacer({
    now: () => this.scheduler.now(),
    later: (ms, fn) => {
      const t = this.scheduler.schedule(() => {
        const i = this.#timers.indexOf(t)
        if (i >= 0) this.#timers.splice(i, 1)
        fn()
      }, ms)
      this.#timers.push(t)
    },
    run: () => { this.input({ type: 'choke-round', early: true }) }
  })

  constructor (options: TorrentRuntimeOptions) {
    this.#options = options
    this.torrent = options.torrent
    this.geometry = geometryOf(options.torrent)
    this.storage = options.storage
    // A storage that fails to make a buffer costs only its preference: plain memory instead (ADVERSARIAL G68).
    const made = this.storage.allocate?.bind(this.storage)
    this.pieceBuffers = new BufferPool(made === undefined ? {} : { allocate: (n) => { try { return made(n) } catch { return new Uint8Array(n) } } })
    this.hasher = options.hasher
    this.peerId = options.peerId
    this.scheduler = options.scheduler
    this.#random = options.random ?? Math.random
    const digest = syncDigest(options.hasher)
    // The default picker breaks ties with real randomness here, so clients of
    // one swarm do not all pick the same pieces (lib's default PRNG is seeded).
    this.#engine = createTorrentState({
      geometry: this.geometry,
      infoHash: options.torrent.infoHash,
      peerId: options.peerId,
      picker: options.picker ?? rarestFirst({ random: this.#random }),
      strategies: { ...options.strategies, ...(options.choker === undefined ? {} : { choker: options.choker }) },
      ...(options.uploadSlots === undefined ? {} : { uploadSlots: options.uploadSlots }),
      ...(options.requestQueueDepth === undefined ? {} : { requestQueueDepth: options.requestQueueDepth }),
      ...(options.wanted === undefined ? {} : { wanted: options.wanted }),
      ...(digest === undefined ? {} : { digest })
    })
    this.swarm$ = new BehaviorSubject<SwarmState>(this.#engine.swarm)
    // Pieces are gathered into pooled buffers: connections read into reused
    // buffers (chunks are borrowed), and a piece is hashed and written as one
    // buffer. A piece counts whole from its first block, so the bound leaves
    // room for several peers each filling a large piece.
    this.assembler = new PieceAssembler(this.geometry, {
      allocate: (n) => this.pieceBuffers.acquire(n),
      free: (b) => { this.pieceBuffers.release(b) },
      maxBufferedBytes: Math.max(DEFAULT_MAX_BUFFERED_BYTES, 8 * this.geometry.pieceLength)
    })
    this.readCache = new PieceReadCache(this.storage, this.geometry, options.readCacheBudget === undefined ? {} : { budget: options.readCacheBudget })
    this.uploadBuckets = options.bandwidth?.upload ?? ((options.uploadLimit ?? 0) > 0 ? [new TokenBucket({ rate: options.uploadLimit as number })] : [])
    this.downloadBuckets = options.bandwidth?.download ?? ((options.downloadLimit ?? 0) > 0 ? [new TokenBucket({ rate: options.downloadLimit as number })] : [])
    this.startedAt = options.scheduler.now()
    // Stopped: the pieces cached for uploads leave a shared budget too.
    options.signal?.addEventListener('abort', () => { this.#stopTimers(); this.readCache.clear() }, { once: true })
  }

  /** The engine's state: read it, never write it (only `input` does). */
  get engine (): TorrentState { return this.#engine }
  get have (): Bitfield { return this.#engine.have }
  get planner (): RequestPlanner { return this.#engine.planner }
  /** Every wanted piece is verified (all of them unless files were skipped). */
  get complete (): boolean { return isComplete(this.#engine) }
  /** The current swarm state. */
  get swarm (): SwarmState { return this.#engine.swarm }
  /** The torrent's payload rates over the last second, and totals. */
  get down (): RateMeter { return this.#engine.down }
  get up (): RateMeter { return this.#engine.up }
  get hashFailures (): number { return this.#engine.hashFailures }
  get wasted (): number { return this.#engine.wasted }
  /** Regular unchoke slots. */
  get uploadSlots (): number { return this.#engine.choke.slots }
  /** Bans, as the engine keeps them. */
  readonly policy = {
    /** Whether `host` (an address, or host:port on loopback) is banned. */
    isBanned: (host: string): boolean => this.#engine.bans.has(host)
  }
  /** The BEP 10 extensions every connection offers. */
  get extensions (): ReadonlyArray<Extension> { return this.#options.extensions ?? [] }

  /**
   * Step the engine with one input and carry out its effects. Returns the
   * step, for the replies some inputs have (`refused`, `accepted`, `serve`).
   */
  input (input: TorrentInput): TorrentStep<TorrentState> {
    const before = this.#engine.swarm
    this.#depth++
    let result: TorrentStep<TorrentState>
    try {
      result = step(this.#engine, input, { now: this.scheduler.now(), random: this.#random })
      for (const e of result.effects) this.#effect(e)
    } finally {
      this.#depth--
    }
    if (this.#engine.swarm !== before) this.swarm$.next(this.#engine.swarm)
    // An early choke round runs once the input that asked for it is carried out.
    if (this.#depth === 0) this.#early.settle()
    return result
  }

  #effect (e: TorrentEffect): void {
    switch (e.type) {
      case 'send': this.peers.get(e.peer)?.send(...e.messages); return
      case 'send-extension': this.peers.get(e.peer)?.sendExtension(e.name, e.payload); return
      case 'serve': this.peers.get(e.peer)?.wake(); return
      case 'close': this.peers.get(e.peer)?.close(e.error); return
      case 'ban': return
      case 'warning': this.#options.onWarning?.({ type: 'warning', message: e.message, ...(e.peer === undefined ? {} : { peer: e.peer }), ...(e.error === undefined ? {} : { error: e.error }) }); return
      case 'early-choke-round': this.#early.ask(); return
      case 'verified': this.verified$.next(this.have.count); return
      case 'complete': this.state = 'seeding'; this.verified$.next(this.have.count); return
      case 'stop': this.#stopTimers(); this.#options.onFatal?.(e.error)
    }
  }

  /** Report every connection's bytes counted since its last report, so `swarm` is up to date. */
  flushTransfers (): void {
    const before = this.#engine.swarm
    flushTransfers(this.#engine, this.scheduler.now())
    if (this.#engine.swarm !== before) this.swarm$.next(this.#engine.swarm)
  }

  /**
   * An extension's event: the ones that change a peer's state (BEP 54
   * don't-have, BEP 21 upload-only) go to the engine as typed inputs; every
   * event then goes to whoever assembled this runtime.
   */
  extensionEvent (peer: PeerConnection, name: string, event: unknown): void {
    const typed = engineExtensionEvent(event)
    if (typed !== undefined) this.input({ type: 'extension', peer: peer.key, event: typed })
    this.#options.onExtensionEvent?.(peer, name, event)
  }

  /** Connected peers as BEP 11 would describe them: reachable address and flags. */
  pexPeers (): Array<{ host: string, port: number, flags: number }> {
    return pexPeers(this.swarm)
  }

  /**
   * Re-verify whatever data the storage already holds (`checkRuntime`), then
   * start: the seeding mode of a complete torrent, choke rounds and request
   * expiry on the scheduler.
   */
  async check (signal?: AbortSignal, resume?: CheckResume, slots?: CheckSlots): Promise<void> {
    await checkRuntime(this, signal, resume, slots)
    this.input({ type: 'checked' })
    const ticks = torrentTicks({ scheduler: this.scheduler, ...(this.#options.chokeRoundMs === undefined ? {} : { chokeRoundMs: this.#options.chokeRoundMs }) })
    this.#timers.push(ticks.subscribe((tick) => { this.input(tick) }))
  }

  /**
   * Run a connection to its end. Never rejects. `onHandshake` runs once the
   * handshake is done and the peer admitted; throwing there closes the
   * connection with that error.
   */
  async addConnection (conn: Duplex, role: 'initiator' | 'responder', options: { onHandshake?: (peer: PeerConnection) => void } = {}): Promise<Error | undefined> {
    const key = conn.remote === undefined ? `peer-${this.swarm.opened}-${this.scheduler.now()}` : formatAddress(conn.remote)
    const refused = this.input({ type: 'peer-connecting', peer: key, outgoing: role === 'initiator', ...(conn.remote === undefined ? {} : { address: conn.remote }) }).refused
    if (refused !== undefined) { conn.close(); return refused }
    let hs: HandshakenConnection
    try {
      hs = await handshakeConnection(conn, {
        role,
        infoHash: this.torrent.infoHash,
        peerId: this.peerId,
        scheduler: this.scheduler,
        // Room for a full window of requests on top of the control messages.
        maxQueued: LIMITS.maxOutboundQueue + this.#engine.maxDepth,
        ...(this.uploadBuckets.length === 0 ? {} : { uploadBuckets: this.uploadBuckets }),
        ...(this.#options.signal === undefined ? {} : { signal: this.#options.signal })
      })
    } catch (e) {
      const err = asError(e)
      this.input({ type: 'peer-closed', peer: key, ...(this.#options.signal?.aborted === true ? {} : { error: err }) })
      this.input({ type: 'peer-released', peer: key })
      return err
    }
    return await this.addHandshaken(hs, key, options)
  }

  /**
   * An incoming connection whose handshake another listener ran (a
   * session's, routed here by info-hash): admitted by the engine
   * (`peer-connecting`) or closed, then run to its end. Never rejects.
   */
  async acceptHandshaken (hs: HandshakenConnection): Promise<Error | undefined> {
    const conn = hs.conn
    const key = conn.remote === undefined ? `peer-${this.swarm.opened}-${this.scheduler.now()}` : formatAddress(conn.remote)
    const refused = this.input({ type: 'peer-connecting', peer: key, outgoing: false, ...(conn.remote === undefined ? {} : { address: conn.remote }) }).refused
    if (refused !== undefined) { hs.out.end(); conn.close(); return refused }
    // The listener's handshake wrote with no torrent's limits: from now on, this torrent's.
    hs.limitUpload(this.uploadBuckets)
    return await this.addHandshaken(hs, key)
  }

  /**
   * Run a connection whose handshake is done (for this torrent) to its end,
   * once the engine admitted it (`peer-connecting`). Never rejects.
   */
  async addHandshaken (hs: HandshakenConnection, key: string, options: { onHandshake?: (peer: PeerConnection) => void } = {}): Promise<Error | undefined> {
    const peer = new PeerConnection(this, hs, key, {
      scheduler: this.scheduler,
      ...(options.onHandshake === undefined ? {} : { onHandshake: options.onHandshake }),
      ...(this.#options.signal === undefined ? {} : { signal: this.#options.signal })
    })
    this.peers.set(key, peer)
    return await peer.run()
  }

  /** A connection closed: it leaves the swarm at once (the engine's `peer-closed`). */
  peerClosed (peer: PeerConnection, error: Error | undefined): void {
    // Closed because the torrent stops: nothing to blame or report.
    this.input({ type: 'peer-closed', peer: peer.key, ...(error === undefined || this.#options.signal?.aborted === true ? {} : { error }) })
  }

  /** A connection ended and its data path is done: the engine frees what it held; the handle is dropped. */
  peerGone (peer: PeerConnection, unfinished: ReadonlySet<number>): void {
    if (this.peers.get(peer.key) === peer) this.peers.delete(peer.key)
    this.input({ type: 'peer-released', peer: peer.key, unfinished: [...unfinished], held: (index, begin) => this.assembler.holds(index, begin) })
  }

  /** A piece went through verification (and, if good, was written); its buffer goes back to the pool. */
  pieceDone (piece: VerifiedPiece, from: { readonly key: string }): void {
    // Every piece here was gathered into one pool buffer (the assembler
    // allocates from the pool), possibly handed back by a hashing thread as a
    // new object: adopt it.
    if (piece.blocks.length === 1) this.pieceBuffers.release(piece.blocks[0] as Uint8Array, { adopt: true })
    if (!piece.ok) this.assembler.drop(piece.index)
    this.input({ type: 'piece-verified', index: piece.index, ok: piece.ok, from: from.key })
  }

  /** The block path every source shares (`piecePath`): assembly, verification, writes. */
  piecePath (inFlight: Set<number>): (blocks: AsyncIterable<BlockIn | readonly BlockIn[]>) => AsyncIterable<VerifiedPiece> {
    return piecePath(this, inFlight)
  }

  /** Blocks from a source that is not a peer connection (a BEP 19 web seed), through the same path (`ingestBlocks`). */
  async ingestBlocks (key: string, source: AsyncIterable<BlockIn>): Promise<void> {
    await ingestBlocks(this, key, source)
  }

  /** Count `bytes` sent in the upload rate (bytes sent outside the engine's `upload-next`). */
  countUpload (bytes: number): void { this.#engine.up.add(bytes, this.scheduler.now()) }

  /** A snapshot for the user (`runtimeProgress`). */
  progress (): Progress {
    return runtimeProgress(this)
  }

  /** Close every connection and stop the timers. */
  closeAll (err?: Error): void {
    this.#stopTimers()
    for (const p of this.peers.values()) p.close(err)
  }

  #stopTimers (): void {
    for (const t of this.#timers.splice(0)) t.unsubscribe()
  }
}
