import { pipe } from 'it-pipe'
import { Subject, type SchedulerLike, type Subscription } from 'rxjs'
import { LIMITS } from '../lib/constants.js'
import { RxTorrentError } from '../lib/errors.js'
import type { RateMeter } from '../lib/stats/rate-meter.js'
import type { TokenBucket } from '../lib/stats/token-bucket.js'
import type { PeerSession, PeerEvent } from '../lib/peer/peer-session.js'
import type { Duplex, PeerAddress } from '../lib/transport/types.js'
import type { Capabilities, Handshake } from '../lib/wire/types.js'
import { demuxMessageBatches } from '../operators/demux-messages.js'
import { decodeFrames } from '../operators/decode-frames.js'
import { idleTimeout } from '../operators/idle-timeout.js'
import { keepAlives } from '../operators/keep-alive.js'
import type { OutboundQueue } from '../operators/outbound-queue.js'
import { rateLimitedSource } from '../operators/rate-limit.js'
import { ExtensionChannel, type Extension } from '../operators/extension.js'
import type { BlockIn } from '../operators/assemble-pieces.js'
import type { VerifiedPiece } from '../operators/verify-pieces.js'
import type { ExtendedHandshake } from '../lib/extensions/extended-handshake.js'
import { normalizeIp } from '../lib/tracker/ip-address.js'
import { asError, type HandshakenConnection } from './peer-handshake.js'
import { UploadPull, type UploadHost } from './upload-pull.js'

/** What we call ourselves in the extended handshake (`v`). */
export const CLIENT_VERSION = 'rxtorrent 0.1.0'

/**
 * What a connection needs from the torrent it serves (`TorrentRuntime`
 * provides it): the engine to step, the data plane, the extensions.
 */
export interface ConnectionHost extends UploadHost {
  /** What the engine keeps of each peer (its session and rates). */
  readonly engine: { readonly peers: ReadonlyMap<string, { readonly session?: PeerSession, readonly downRate: RateMeter, readonly upRate: RateMeter }> }
  /** Token buckets inbound bytes pass (download limits). */
  readonly downloadBuckets: readonly TokenBucket[]
  readonly extensions: ReadonlyArray<Extension>
  readonly listenAddress: PeerAddress | undefined
  /** An extension's event. */
  extensionEvent: (peer: PeerConnection, name: string, event: unknown) => void
  /** Blocks into verified, written pieces (`piecePath`). */
  piecePath: (inFlight: Set<number>) => (blocks: AsyncIterable<BlockIn | readonly BlockIn[]>) => AsyncIterable<VerifiedPiece>
  /** A piece went through verification. */
  pieceDone: (piece: VerifiedPiece, from: { readonly key: string }) => void
  /** The connection closed (the engine's `peer-closed`). */
  peerClosed: (peer: PeerConnection, error: Error | undefined) => void
  /** The connection's data path is done (the engine's `peer-released`). */
  peerGone: (peer: PeerConnection, unfinished: ReadonlySet<number>) => void
}

/** Options of {@link PeerConnection}. */
export interface PeerConnectionOptions {
  readonly scheduler: SchedulerLike
  /**
   * Called once the handshake is done and the peer admitted, before any
   * message is sent; throwing closes the connection with that error (e.g. the
   * connection limit, applied to inbound connections at this point).
   */
  readonly onHandshake?: (peer: PeerConnection) => void
  readonly signal?: AbortSignal
}

/**
 * One peer whose handshake is done (`handshakeConnection`), assembled from operators:
 *
 *     socket.source ─► handshake ─► decodeFrames ─► demuxMessages ─► assemblePieces ─► verifyPieces ─► writePieces ─► engine (piece-verified)
 *                                                        └─► PeerEvent ─► engine inputs (lib/torrent step) ─► effects
 *     socket.sink ◄── encodeFrames ◄── OutboundQueue ◄── the engine's sends, and blocks read from storage when the writer is ready
 *
 * The connection makes no protocol decision: it turns bytes into engine
 * inputs and carries out what the runtime sends back.
 *
 * `run()` resolves when the connection ends, normally or not; the error that
 * ended it (if any) is returned, never thrown, so one peer never takes the
 * torrent down with it.
 */
export class PeerConnection {
  readonly key: string
  readonly host: string
  readonly conn: Duplex
  readonly events$ = new Subject<PeerEvent>()
  readonly #runtime: ConnectionHost
  readonly #options: PeerConnectionOptions
  readonly #hs: HandshakenConnection
  readonly #out: OutboundQueue
  readonly #sent$ = new Subject<void>()
  readonly #received$ = new Subject<void>()
  readonly #subs: Subscription[] = []
  #closed = false
  /** When `#received$` and `#sent$` last fired. */
  #receivedAt = NaN
  #sentAt = NaN
  #error: Error | undefined
  #extensions: ExtensionChannel | undefined
  readonly #uploads: UploadPull

  constructor (host: ConnectionHost, hs: HandshakenConnection, key: string, options: PeerConnectionOptions) {
    this.#runtime = host
    this.#hs = hs
    this.conn = hs.conn
    this.key = key
    this.host = hs.conn.remote?.host ?? key
    this.#options = options
    this.#out = hs.out
    this.#uploads = new UploadPull(host, key, {
      closed: () => this.#closed,
      // Choked since its read started: BEP 6 says the request went with the choke.
      rejected: (ref) => { if (this.session?.fast === true) this.#push({ type: 'reject-request', ...ref }) }
    })
  }

  /** The peer's protocol state, kept by the engine once the connection is open. */
  get session (): PeerSession | undefined { return this.#runtime.engine.peers.get(this.key)?.session }
  /** Payload rates from and to this peer (kept by the engine). */
  get downRate (): RateMeter | undefined { return this.#runtime.engine.peers.get(this.key)?.downRate }
  get upRate (): RateMeter | undefined { return this.#runtime.engine.peers.get(this.key)?.upRate }
  get remote (): Handshake { return this.#hs.remote }
  get capabilities (): Capabilities { return this.#hs.capabilities }

  /** Runs the connection to its end; resolves with the error that ended it, if any. */
  async run (): Promise<Error | undefined> {
    const rt = this.#runtime
    const scheduler = this.#options.scheduler
    const onAbort = (): void => { this.close() }
    this.#options.signal?.addEventListener('abort', onAbort, { once: true })
    // Pieces assembled from this connection's blocks but not yet verified and written.
    const inFlight = new Set<number>()
    const hs = this.#hs
    const limit = { scheduler, ...(this.#options.signal === undefined ? {} : { signal: this.#options.signal }) }
    void hs.sinkDone.then((err) => { if (err !== undefined) this.close(err) })
    try {
      const refused = (rt.input({ type: 'peer-handshaken', peer: this.key, peerId: hs.remote.peerId, fast: hs.capabilities.fast, extended: hs.capabilities.extended }) as { refused?: Error }).refused
      if (refused !== undefined) throw refused
      this.#options.onHandshake?.(this)
      rt.input({ type: 'peer-open', peer: this.key })
      const session = this.session
      if (session === undefined) throw new RxTorrentError('closed', `${this.key} closed before it opened`, { disposition: 'ignore' })
      this.#startTimers(scheduler)
      this.#out.setBlockSource(() => this.#nextUpload())
      if (hs.capabilities.extended) this.#startExtensions()
      rt.input({ type: 'peer-ready', peer: this.key })

      const results = pipe(
        rt.downloadBuckets.length === 0 ? hs.source : rateLimitedSource(hs.source, [...rt.downloadBuckets], limit),
        // Borrowed chunks (reused read buffers): blocks are copied into their
        // piece's buffer by the assembler before the next chunk is read.
        decodeFrames({ maxMessageLength: LIMITS.maxMessageLength, borrowedChunks: this.conn.borrowedChunks === true }),
        demuxMessageBatches(this.key, session, {
          now: () => scheduler.now(),
          // Every batch ends with onBatch, which tells the idle timer; not each of its events.
          onEvent: (event) => { this.#onEvent(event) },
          acceptBlock: (index, begin, length) => rt.input({ type: 'block', peer: this.key, ref: { index, begin, length } }).accepted === true,
          onBatch: () => { this.#noteReceived(); rt.input({ type: 'batch-end', peer: this.key }) }
        }),
        rt.piecePath(inFlight)
      )
      for await (const piece of results) {
        inFlight.delete(piece.index)
        rt.pieceDone(piece, this)
      }
      this.close()
    } catch (err) {
      this.close(asError(err))
    } finally {
      this.#options.signal?.removeEventListener('abort', onAbort)
      await hs.sinkDone
      rt.peerGone(this, inFlight)
    }
    return this.#error
  }

  /** Queue messages (or pre-encoded bytes) for sending. */
  send (...messages: Parameters<OutboundQueue['push']>[0][]): void {
    this.#push(...messages)
  }

  /** The engine queued requests from the peer: let the writer pull the next block. */
  wake (): void {
    if (!this.#closed) this.#out.wake()
  }

  /** Tear the connection down. The first error wins. */
  close (err?: Error): void {
    if (this.#closed) return
    this.#closed = true
    this.#error = err
    this.#runtime.peerClosed(this, err)
    for (const sub of this.#subs) sub.unsubscribe()
    this.#extensions?.stop()
    this.#out.end()
    this.conn.close(err)
    this.events$.complete()
  }

  get closed (): boolean { return this.#closed }

  /**
   * Tells the idle timer something arrived, and the keep-alive timer
   * something left: once per instant, since both only note the time.
   */
  #noteReceived (): void {
    const now = this.#options.scheduler.now()
    if (now === this.#receivedAt) return
    this.#receivedAt = now
    this.#received$.next()
  }

  #noteSent (): void {
    const now = this.#options.scheduler.now()
    if (now === this.#sentAt) return
    this.#sentAt = now
    this.#sent$.next()
  }

  #push (...messages: Parameters<OutboundQueue['push']>[0][]): void {
    if (this.#closed) return
    try {
      for (const m of messages) this.#out.push(m)
      this.#noteSent()
    } catch (err) {
      this.close(asError(err))
    }
  }

  /** BEP 10: our extended handshake, and every extension the runtime carries. */
  #startExtensions (): void {
    const rt = this.#runtime
    const remoteHost = this.conn.remote?.host
    const yourip = remoteHost === undefined ? undefined : normalizeIp(remoteHost)?.bytes
    this.#extensions = new ExtensionChannel(rt.extensions, {
      key: this.key,
      send: (msg) => { this.#push(msg) },
      close: (err) => { this.close(err) },
      handshake: {
        v: CLIENT_VERSION,
        reqq: LIMITS.maxIncomingRequests,
        ...(rt.listenAddress === undefined ? {} : { p: rt.listenAddress.port }),
        ...(yourip === undefined ? {} : { yourip })
      },
      onEvent: (name, event) => { rt.extensionEvent(this, name, event) }
    })
    this.#extensions.start()
  }

  /** The remote's extended handshake, once received. */
  get extendedHandshake (): ExtendedHandshake | undefined { return this.#extensions?.remote }

  /**
   * Where the peer accepts connections: the address we dialed, or for an
   * incoming peer its host with the port from its extended handshake (`p`).
   */
  get reachableAddress (): PeerAddress | undefined {
    const remote = this.conn.remote
    if (remote === undefined) return undefined
    if (this.#hs.role === 'initiator') return remote
    const p = this.#extensions?.remote?.p
    return p === undefined ? undefined : { host: remote.host, port: p }
  }

  /** True when we dialed this peer. */
  get outgoing (): boolean { return this.#hs.role === 'initiator' }

  /** Send a payload under extension `name`; false when the peer lacks it. */
  sendExtension (name: string, payload: Uint8Array): boolean {
    return this.#extensions?.send(name, payload) ?? false
  }

  #onEvent (event: PeerEvent): void {
    const rt = this.#runtime
    rt.input({ type: 'peer-event', peer: this.key, event })
    if (event.type === 'extended') {
      this.#extensions?.handle(event.id, event.payload)
      const remote = this.#extensions?.remote
      if (event.id === 0 && remote !== undefined) {
        const reachable = this.reachableAddress
        if (reachable !== undefined) rt.input({ type: 'extension', peer: this.key, event: { type: 'reachable', address: reachable } })
        if (remote.reqq !== undefined) rt.input({ type: 'extension', peer: this.key, event: { type: 'request-limit', reqq: remote.reqq } })
      }
    }
    this.events$.next(event)
  }

  /** The writer's next blocks (see {@link UploadPull}). */
  async #nextUpload (): Promise<Uint8Array[] | undefined> {
    const frames = await this.#uploads.next()
    if (frames !== undefined) this.#noteSent()
    return frames
  }

  #startTimers (scheduler: SchedulerLike): void {
    this.#subs.push(
      keepAlives(this.#sent$, { intervalMs: LIMITS.keepAliveIntervalMs, scheduler }).subscribe((ka) => { this.#push(ka) }),
      this.#received$.pipe(idleTimeout({ timeoutMs: LIMITS.idleTimeoutMs, scheduler })).subscribe({ error: (err: unknown) => { this.close(asError(err)) } })
    )
    this.#received$.next()
  }
}
