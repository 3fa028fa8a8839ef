import { BehaviorSubject, type SchedulerLike } from 'rxjs'
import { LIMITS } from '../lib/constants.js'
import { HashMismatchError, RxTorrentError } from '../lib/errors.js'
import type { Torrent } from '../lib/metainfo/types.js'
import { Bitfield } from '../lib/pieces/bitfield.js'
import { geometryOf, type BlockRef, type PieceGeometry } from '../lib/pieces/geometry.js'
import { updateInterest } from '../lib/peer/interest.js'
import { planRequests } from '../lib/peer/request-pipeline.js'
import { requestDepth } from '../lib/peer/request-depth.js'
import type { ChokePeer } from '../lib/choke/types.js'
import { SuperSeeder } from '../lib/choke/super-seeder.js'
import { BufferPool } from '../lib/pieces/buffer-pool.js'
import { DEFAULT_MAX_BUFFERED_BYTES, PieceAssembler } from '../lib/pieces/piece-assembler.js'
import { parsePeerId } from '../lib/peer-id/index.js'
import { emptySwarm, reduceSwarm, type SwarmEvent, type SwarmState } from '../lib/swarm/swarm-state.js'
import { chokePeers, pexPeers, resolveDuplicate } from '../lib/swarm/swarm-selectors.js'
import type { PiecePicker } from '../lib/pieces/piece-picker.js'
import { rarestFirst } from '../lib/pieces/rarest-first.js'
import { RequestPlanner } from '../lib/pieces/request-planner.js'
import { RateMeter } from '../lib/stats/rate-meter.js'
import { TokenBucket } from '../lib/stats/token-bucket.js'
import { encodeUploadOnly } from '../lib/extensions/upload-only.js'
import type { Hasher, Storage } from '../lib/storage/types.js'
import { formatAddress, type Duplex, type PeerAddress } from '../lib/transport/types.js'
import { PieceReadCache } from '../operators/piece-read-cache.js'
import type { Extension } from '../operators/extension.js'
import { verifyPieces, type VerifiedPiece } from '../operators/verify-pieces.js'
import { assemblePieces, type BlockIn } from '../operators/assemble-pieces.js'
import { writePieces } from '../operators/write-pieces.js'
import { pipe } from 'it-pipe'
import { PeerConnection } from './peer-connection.js'
import { PeerPolicy } from './peer-policy.js'
import { checkRuntime, runtimeProgress } from './runtime-status.js'
import type { Progress, TorrentWarning } from './types.js'

/** The window of the rates in `Progress`: the last second, as the progress line promises. */
export const PROGRESS_RATE_WINDOW_MS = 1000

/** Options of {@link TorrentRuntime}. */
export interface TorrentRuntimeOptions {
  readonly torrent: Torrent
  readonly storage: Storage
  readonly hasher: Hasher
  readonly peerId: Uint8Array
  readonly scheduler: SchedulerLike
  /** Randomness of the default picker and the superseeder; default `Math.random`. */
  readonly random?: () => number
  readonly picker?: PiecePicker
  /** Most requests outstanding to one peer; see `requestDepth` for the depth below that. */
  readonly requestQueueDepth?: number
  /** Peers we unchoke at once when they are interested. */
  readonly uploadSlots?: number
  /** Called for what the user should know that does not stop the torrent. */
  readonly onWarning?: (w: TorrentWarning) => void
  /** BEP 10 extensions run on every connection that negotiates them. */
  readonly extensions?: ReadonlyArray<Extension>
  /** An extension's output event (PEX peers, trackers, don't-have…). */
  readonly onExtensionEvent?: (peer: PeerConnection, name: string, event: unknown) => void
  /** Upload and download limits for the whole torrent, in bytes per second (0: none). */
  readonly uploadLimit?: number
  readonly downloadLimit?: number
  /** A local failure (disk full, I/O error) that stops the torrent. */
  readonly onFatal?: (err: Error) => void
  readonly signal?: AbortSignal
}

/**
 * The shared state of one torrent while it runs: what we have, what is in
 * flight, the connected peers and the counters behind `Progress`. Peer
 * connections call into it; every protocol decision it makes is delegated to
 * a lib/ core (planner, assembler, session) or a strategy.
 */
export class TorrentRuntime {
  readonly torrent: Torrent
  readonly geometry: PieceGeometry
  readonly storage: Storage
  readonly hasher: Hasher
  readonly peerId: Uint8Array
  readonly scheduler: SchedulerLike
  readonly have: Bitfield
  readonly planner: RequestPlanner
  readonly assembler: PieceAssembler
  /** Piece buffers, reused once a piece is written or fails; made by the storage when it says how (`Storage.allocate`). */
  readonly pieceBuffers: BufferPool
  /** Token buckets every connection's outbound / inbound bytes go through (empty: unlimited). */
  readonly uploadBuckets: TokenBucket[]
  readonly downloadBuckets: TokenBucket[]
  /** Upload reads, a whole piece at a time. */
  readonly readCache: PieceReadCache
  readonly policy = new PeerPolicy()
  /** Live connections by key: the handles commands are sent through. What is known of each peer is in `swarm`. */
  readonly peers = new Map<string, PeerConnection>()
  /**
   * The swarm state (lib/swarm): every connection's facts and the swarm's
   * counters, an immutable value replaced at each `dispatch`. Emits the new
   * state after each change; completes never.
   */
  readonly swarm$ = new BehaviorSubject<SwarmState>(emptySwarm())
  /** The torrent's payload rates, over the last `PROGRESS_RATE_WINDOW_MS` (what `Progress` shows). */
  readonly down = new RateMeter({ windowMs: PROGRESS_RATE_WINDOW_MS })
  readonly up = new RateMeter({ windowMs: PROGRESS_RATE_WINDOW_MS })
  /** Emits each time a piece is verified and written; completes never. */
  readonly verified$ = new BehaviorSubject<number>(0)
  state: Progress['state'] = 'checking'
  /** Where we accept peers, once listening. */
  listenAddress: PeerAddress | undefined
  piecesChecked = 0
  hashFailures = 0
  wasted = 0
  readonly startedAt: number
  readonly #options: TorrentRuntimeOptions
  readonly #depth: number
  readonly #slots: number

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
    this.have = new Bitfield(this.torrent.pieceCount)
    // The default picker breaks ties with real randomness here, so clients of
    // one swarm do not all pick the same pieces (lib's default PRNG is seeded).
    this.planner = new RequestPlanner(this.geometry, { have: this.have, picker: options.picker ?? rarestFirst({ random: options.random ?? Math.random }) })
    // Pieces are gathered into pooled buffers: connections read into reused
    // buffers (chunks are borrowed), and a piece is hashed and written as one
    // buffer. A piece counts whole from its first block, so the bound leaves
    // room for several peers each filling a large piece.
    this.assembler = new PieceAssembler(this.geometry, {
      allocate: (n) => this.pieceBuffers.acquire(n),
      free: (b) => { this.pieceBuffers.release(b) },
      maxBufferedBytes: Math.max(DEFAULT_MAX_BUFFERED_BYTES, 8 * this.geometry.pieceLength)
    })
    this.readCache = new PieceReadCache(this.storage, this.geometry)
    this.uploadBuckets = (options.uploadLimit ?? 0) > 0 ? [new TokenBucket({ rate: options.uploadLimit as number })] : []
    this.downloadBuckets = (options.downloadLimit ?? 0) > 0 ? [new TokenBucket({ rate: options.downloadLimit as number })] : []
    this.#depth = options.requestQueueDepth ?? LIMITS.requestQueueDepth
    this.#slots = options.uploadSlots ?? 4
    this.startedAt = options.scheduler.now()
  }

  /** Every wanted piece is verified (all of them unless files were skipped). */
  get complete (): boolean { return this.planner.wantedComplete }

  /** The current swarm state. */
  get swarm (): SwarmState { return this.swarm$.value }

  /** Apply one event to the swarm state (`reduceSwarm`); subscribers of `swarm$` see the result when it changed. */
  dispatch (event: SwarmEvent): void {
    const next = reduceSwarm(this.swarm$.value, event)
    if (next !== this.swarm$.value) this.swarm$.next(next)
  }

  /** Report every connection's bytes counted since its last report, so `swarm` is up to date. */
  flushTransfers (): void {
    for (const p of this.peers.values()) p.flushTransfer()
  }

  /** The BEP 10 extensions every connection offers. */
  get extensions (): ReadonlyArray<Extension> { return this.#options.extensions ?? [] }

  /**
   * An extension's event: the ones that change a peer's state (BEP 54
   * don't-have, BEP 21 upload-only) are applied here; every event then goes to
   * whoever assembled this runtime.
   */
  extensionEvent (peer: PeerConnection, name: string, event: unknown): void {
    const e = event as { type?: string, index?: number, uploadOnly?: boolean }
    const s = peer.session
    if (e.type === 'dont-have' && s !== undefined && e.index !== undefined && s.peerHas.clear(e.index)) {
      this.planner.peerHas(peer.key, s.peerHas)
      this.dispatch({ type: 'have-count', key: peer.key, count: s.peerHas.count, seed: s.peerHas.complete })
      this.updateInterest(peer)
    }
    if (e.type === 'upload-only') this.dispatch({ type: 'upload-only', key: peer.key, uploadOnly: e.uploadOnly === true })
    this.#options.onExtensionEvent?.(peer, name, event)
  }

  /** Connected peers as BEP 11 would describe them: reachable address and flags. */
  pexPeers (): Array<{ host: string, port: number, flags: number }> {
    return pexPeers(this.swarm)
  }

  /**
   * Re-verify whatever data the storage already holds, so a finished download
   * is not fetched again and a partial one resumes (`checkRuntime`).
   */
  async check (signal?: AbortSignal): Promise<void> {
    await checkRuntime(this, signal)
  }

  /**
   * Run a connection to its end. Never rejects. `onHandshake` runs once the
   * handshake is done and the peer admitted; throwing there closes the
   * connection with that error.
   */
  async addConnection (conn: Duplex, role: 'initiator' | 'responder', options: { onHandshake?: (peer: PeerConnection) => void } = {}): Promise<Error | undefined> {
    const key = conn.remote === undefined ? `peer-${this.swarm.opened}-${this.scheduler.now()}` : formatAddress(conn.remote)
    const host = banKey(conn)
    if (this.policy.isBanned(host)) {
      conn.close()
      return new RxTorrentError('banned', `${key} is banned`, { disposition: 'ignore' })
    }
    // One connection per key: the swarm state, the planner and the policy all know a peer by it.
    if (this.swarm.peers.has(key) || this.peers.has(key)) {
      conn.close()
      return new RxTorrentError('duplicate-connection', `already connected to ${key}`, { disposition: 'ignore' })
    }
    this.dispatch({ type: 'peer-connected', key, outgoing: role === 'initiator', ...(conn.remote === undefined ? {} : { address: conn.remote }), at: this.scheduler.now() })
    const peer = new PeerConnection(this, conn, key, {
      role,
      scheduler: this.scheduler,
      requestQueueDepth: this.#depth,
      ...(options.onHandshake === undefined ? {} : { onHandshake: options.onHandshake }),
      ...(this.#options.signal === undefined ? {} : { signal: this.#options.signal })
    })
    const err = await peer.run()
    if (err !== undefined && !this.#options.signal?.aborted) {
      const d = this.policy.sessionEnded(host, err)
      if (d === 'fatal') { this.#options.onFatal?.(err); return err }
      // Two peers that dial each other: one of the two connections closes, as expected; nothing to tell the user.
      if ((err as { code?: unknown }).code === 'duplicate-peer') return err
      this.#warn({ type: 'warning', message: `peer ${key} closed: ${err.message} (${d})`, peer: key, error: err })
    }
    return err
  }

  /**
   * After the handshake: of two connections to one peer id from one host,
   * keep the one both ends keep (the dial of the greater peer id; the other is
   * closed or refused with `duplicate-peer`, which is not reported as a
   * warning); from another host the new one is refused (`duplicate-peer-id`,
   * warned: a peer id is no proof, so it cannot close a live connection). Then record the peer id and client name (BEP 20).
   * @throws RxTorrentError `duplicate-peer`, `duplicate-peer-id` [disconnect]
   */
  admit (peer: PeerConnection): void {
    const remoteId = peer.remote?.peerId
    const id = hex(remoteId)
    // A second connection to this peer id: keep the one both ends keep (lib/swarm resolveDuplicate).
    const duplicate = resolveDuplicate(this.swarm, hex(this.peerId), peer.key, id)
    if (duplicate.kind === 'refuse-new' && !duplicate.sameHost) {
      throw new RxTorrentError('duplicate-peer-id', `peer id ${id} is already connected from another address`, { disposition: 'disconnect' })
    }
    if (duplicate.kind !== 'unique') {
      const err = new RxTorrentError('duplicate-peer', `already connected to peer id ${id}`, { disposition: 'disconnect' })
      if (duplicate.kind === 'refuse-new') throw err
      this.peers.get(duplicate.close)?.close(err)
    }
    const parsed = remoteId === undefined ? undefined : parsePeerId(remoteId)
    const client = parsed === undefined ? 'unknown' : parsed.version === undefined ? parsed.client : `${parsed.client} ${parsed.version}`
    this.dispatch({ type: 'handshake', key: peer.key, peerId: id, client, at: this.scheduler.now() })
    this.peers.set(peer.key, peer)
  }

  /** A connection finished its opening messages: run a choke round and update our interest in it. */
  peerReady (peer: PeerConnection): void {
    this.chokeRound()
    this.updateInterest(peer)
  }

  /**
   * A connection ended. Its requests are released, blocks it delivered that
   * never reached the assembler are forgotten, and pieces it completed that
   * never finished verification (`unfinished`) are fetched again.
   */
  peerGone (peer: PeerConnection, unfinished: ReadonlySet<number> = new Set()): void {
    if (this.peers.get(peer.key) === peer) this.peers.delete(peer.key)
    this.superSeeder?.peerLeft(peer.key)
    this.planner.forgetUnheld(peer.key, (r) => this.assembler.holds(r.index, r.begin))
    for (const index of unfinished) if (!this.have.has(index)) this.planner.reset(index)
    this.planner.peerGone(peer.key)
    this.chokeRound()
    this.topUpAll()
  }

  /** Is this block still wanted from this peer? Counts it as downloaded. */
  acceptBlock (peer: PeerConnection, ref: BlockRef): boolean {
    this.down.add(ref.length, this.scheduler.now())
    const verdict = this.planner.receive(peer.key, ref)
    this.sendCancels()
    if (verdict !== 'accepted') { this.wasted += ref.length; return false }
    return true
  }

  /** Endgame: a block that arrived is cancelled at the other peers that had it requested. */
  sendCancels (): void {
    for (const c of this.planner.takeCancels()) {
      const p = this.peers.get(c.peer)
      if (p?.session !== undefined && !p.closed) p.send(...p.session.cancel(c.ref))
    }
  }

  /** A piece went through verification (and, if good, was written). */
  pieceDone (piece: VerifiedPiece, from: { readonly key: string }): void {
    // Written (or failed): nothing reads the piece's buffer any more.
    // Every piece here was gathered into one pool buffer (the assembler
    // allocates from the pool), possibly handed back by a hashing thread as a
    // new object: adopt it.
    if (piece.blocks.length === 1) this.pieceBuffers.release(piece.blocks[0] as Uint8Array, { adopt: true })
    if (piece.ok) {
      this.planner.pieceVerified(piece.index)
      for (const p of this.peers.values()) {
        p.announceHave(piece.index)
        this.updateInterest(p)
      }
      if (this.complete && this.state !== 'seeding') {
        this.state = 'seeding'
        // BEP 21: once everything we want is here we only upload; say so to
        // peers that understand it (with skipped files we stay a partial seed).
        for (const p of this.peers.values()) p.sendExtension('upload_only', encodeUploadOnly(true))
      }
      this.verified$.next(this.have.count)
      return
    }
    this.hashFailures++
    this.assembler.drop(piece.index)
    const contributors = this.planner.pieceFailed(piece.index)
    const sources = [...new Set(contributors)]
    this.#warn({ type: 'warning', message: `piece ${piece.index} failed its hash check (from ${sources.join(', ')})`, peer: sources.length === 1 ? sources[0] as string : from.key, error: new HashMismatchError(piece.index) })
    // Only a sole contributor is to blame for sure: a piece mixed from several
    // sources strikes none of them, so an honest peer is never banned for
    // sharing a piece with a liar (ADVERSARIAL G67); the liar's own pieces
    // convict it.
    if (sources.length !== 1) { this.topUpAll(); return }
    for (const key of sources) {
      const p = this.peers.get(key)
      // A source that is not a connection (a web seed) is banned by its key.
      if (p === undefined) { this.policy.hashFailed(key); continue }
      if (this.policy.hashFailed(banKey(p.conn))) p.close(new HashMismatchError(piece.index, { disposition: 'ban' }))
    }
    this.topUpAll()
  }

  /**
   * The block path every source shares: blocks into pieces (one assembler for
   * the torrent), SHA-1 verification, positional writes with at most four
   * pending per source. Pieces that left assembly but are not yet verified
   * and written are kept in `inFlight`, so a source that dies can give them
   * back (`peerGone`).
   */
  piecePath (inFlight: Set<number>): (blocks: AsyncIterable<BlockIn | readonly BlockIn[]>) => AsyncIterable<VerifiedPiece> {
    return (blocks) => pipe(
      blocks,
      assemblePieces(this.assembler),
      async function * (pieces) { for await (const p of pieces) { inFlight.add(p.index); yield p } },
      verifyPieces({ pieceHashes: this.torrent.pieceHashes, hasher: this.hasher, concurrency: 4, owned: true }),
      writePieces(this.storage, { pieceLength: this.torrent.pieceLength, highWaterMark: 4 })
    )
  }

  /**
   * Blocks from a source that is not a peer connection (a BEP 19 web seed):
   * the ones the planner gave `key` go through the same assembly,
   * verification and writes as a peer's. Resolves when the source ends;
   * what it left unfinished is freed for others.
   */
  async ingestBlocks (key: string, source: AsyncIterable<BlockIn>): Promise<void> {
    const inFlight = new Set<number>()
    const planner = this.planner
    const down = this.down
    const scheduler = this.scheduler
    const cancel = (): void => { this.sendCancels() }
    const accepted = async function * (blocks: AsyncIterable<BlockIn>): AsyncGenerator<BlockIn> {
      for await (const b of blocks) {
        down.add(b.block.length, scheduler.now())
        const verdict = planner.receive(key, { index: b.index, begin: b.begin, length: b.block.length })
        cancel()
        if (verdict === 'accepted') yield b
      }
    }
    const results = pipe(source, accepted, this.piecePath(inFlight))
    try {
      for await (const piece of results) {
        inFlight.delete(piece.index)
        this.pieceDone(piece, { key })
      }
    } finally {
      this.planner.forgetUnheld(key, (r) => this.assembler.holds(r.index, r.begin))
      for (const index of inFlight) if (!this.have.has(index)) this.planner.reset(index)
      this.planner.releaseAll(key)
    }
  }

  /** Interested exactly when the peer has something we want (lib/peer/interest). */
  updateInterest (peer: PeerConnection): void {
    const s = peer.session
    if (s === undefined || peer.closed) return
    const want = this.planner.isInteresting(s.peerHas)
    if (want !== s.amInterested) peer.send(...updateInterest(s, want))
    if (want) this.topUp(peer)
  }

  /**
   * Keep the peer's request queue full (lib/peer/request-pipeline): as many
   * requests as `requestDepth` gives for its measured rate (at most
   * `requestQueueDepth`, at most its `reqq`), sent in batches of a quarter
   * of that.
   */
  topUp (peer: PeerConnection): void {
    const s = peer.session
    if (s === undefined || peer.closed) return
    const now = this.scheduler.now()
    const depth = requestDepth({
      rate: peer.downRate.rate(now),
      queueSeconds: LIMITS.requestQueueSeconds,
      min: LIMITS.minRequestQueueDepth,
      max: this.#depth,
      reqq: peer.extendedHandshake?.reqq
    })
    const refs = planRequests(s, this.planner, { peer: peer.key, depth, minBatch: Math.ceil(depth / 4) })
    if (refs.length > 0) peer.send(...s.request(refs, now))
  }

  /** Top up the requests of every connection (see {@link TorrentRuntime.topUp}). */
  topUpAll (): void {
    for (const p of this.peers.values()) this.topUp(p)
  }

  /**
   * Between choke rounds: unchoke interested peers while a slot is free
   * (regular slots plus the optimistic one), first come first served, and
   * choke peers that lost interest. The rounds (`applyChokeDecision`) decide
   * who keeps a slot.
   */
  chokeRound (): void {
    const live = [...this.peers.values()].filter((p) => p.session !== undefined && !p.closed)
    let open = live.filter((p) => p.session?.amChoking === false && p.session.peerInterested).length
    for (const p of live) {
      const s = p.session
      if (s === undefined) continue
      if (!s.amChoking && !s.peerInterested) p.send(...s.choke())
      else if (s.amChoking && s.peerInterested && open < this.#slots + 1) { open++; this.#unchoke(p) }
    }
  }

  /** A choker's decision for this round (lib/choke): unchoke exactly these peers. */
  applyChokeDecision (unchoke: ReadonlySet<string>): void {
    for (const p of this.peers.values()) {
      const s = p.session
      if (s === undefined || p.closed) continue
      if (unchoke.has(p.key)) { if (s.amChoking) this.#unchoke(p) } else if (!s.amChoking) p.send(...s.choke())
    }
  }

  /** What a choker sees of the peers (lib/choke `ChokePeer`). Snubbed: nothing for 60 s while we wait on requests. */
  chokeSnapshot (): ChokePeer[] {
    const now = this.scheduler.now()
    this.flushTransfers()
    return chokePeers(this.swarm, now, (key) => {
      const p = this.peers.get(key)
      if (p?.session === undefined) return undefined
      return { downloadRate: p.downRate.rate(now), uploadRate: p.upRate.rate(now), awaitingBlocks: p.session.outstanding.size > 0 }
    })
  }

  /** Regular unchoke slots. */
  get uploadSlots (): number { return this.#slots }

  /** BEP 16: set while superseeding; peers are offered one piece at a time. */
  superSeeder: SuperSeeder | undefined

  /** Start superseeding (only a complete torrent can). */
  enableSuperseed (): void {
    if (this.complete) this.superSeeder = new SuperSeeder({ pieceCount: this.torrent.pieceCount, random: this.#options.random ?? Math.random })
  }

  /** Send each superseeding offer as a `have` to its peer. */
  sendOffers (offers: ReadonlyArray<{ peer: string, index: number }>): void {
    for (const o of offers) {
      const p = this.peers.get(o.peer)
      if (p?.session !== undefined && !p.closed) p.send(...p.session.have(o.index))
    }
  }

  #unchoke (p: PeerConnection): void {
    const s = p.session
    if (s === undefined) return
    p.send(...s.unchoke())
  }

  /** Count `bytes` sent to a peer in the upload rate. */
  countUpload (bytes: number): void { this.up.add(bytes, this.scheduler.now()) }

  /** A snapshot for the user (`runtimeProgress`). */
  progress (): Progress {
    return runtimeProgress(this)
  }

  /** Close every connection. */
  closeAll (err?: Error): void {
    for (const p of this.peers.values()) p.close(err)
  }

  #warn (w: TorrentWarning): void { this.#options.onWarning?.(w) }
}

/**
 * The address a ban applies to: the host, except on loopback where local
 * swarms share one address and the port tells peers apart.
 */
function banKey (conn: Duplex): string {
  const r = conn.remote
  if (r === undefined) return 'unknown'
  if (r.host === '::1' || r.host.startsWith('127.') || r.host === '::ffff:127.0.0.1') return formatAddress(r)
  return r.host
}

function hex (b: Uint8Array | undefined): string {
  return b === undefined ? '' : Buffer.from(b).toString('hex')
}
