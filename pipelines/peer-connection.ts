import { pipe } from 'it-pipe'
import { Subject, interval, type SchedulerLike, type Subscription } from 'rxjs'
import { LIMITS } from '../lib/constants.js'
import { RxTorrentError } from '../lib/errors.js'
import { RateMeter } from '../lib/stats/rate-meter.js'
import { Bitfield } from '../lib/pieces/bitfield.js'
import { allowedFastOffer } from '../lib/swarm/allowed-fast.js'
import { sha1 } from './node/hasher.js'
import { PeerSession, type PeerEvent } from '../lib/peer/peer-session.js'
import type { BlockRef } from '../lib/pieces/geometry.js'
import type { Duplex, PeerAddress } from '../lib/transport/types.js'
import { encodePieceHeader, makeReserved } from '../lib/wire/index.js'
import type { Capabilities, Handshake, Message } from '../lib/wire/types.js'
import { demuxMessageBatches } from '../operators/demux-messages.js'
import { decodeFrames } from '../operators/decode-frames.js'
import { encodeFrames } from '../operators/encode-frames.js'
import { handshake } from '../operators/handshake.js'
import { idleTimeout } from '../operators/idle-timeout.js'
import { keepAlives } from '../operators/keep-alive.js'
import { OutboundQueue } from '../operators/outbound-queue.js'
import { rateLimit, rateLimitedSource } from '../operators/rate-limit.js'
import { ExtensionChannel } from '../operators/extension.js'
import type { ExtendedHandshake } from '../lib/extensions/extended-handshake.js'
import { normalizeIp } from '../lib/tracker/ip-address.js'
import type { TorrentRuntime } from './torrent-runtime.js'

/** What we call ourselves in the extended handshake (`v`). */
export const CLIENT_VERSION = 'rxtorrent 0.1.0'

/** Options of {@link PeerConnection}. */
export interface PeerConnectionOptions {
  readonly role: 'initiator' | 'responder'
  readonly scheduler: SchedulerLike
  readonly requestQueueDepth: number
  /**
   * Called once the handshake is done and the peer admitted, before any
   * message is sent; throwing closes the connection with that error (e.g. the
   * connection limit, applied to inbound connections at this point).
   */
  readonly onHandshake?: (peer: PeerConnection) => void
  readonly signal?: AbortSignal
}

/**
 * One peer, assembled from operators:
 *
 *     socket.source ─► handshake ─► decodeFrames ─► demuxMessages ─► assemblePieces ─► verifyPieces ─► writePieces ─► runtime
 *                                                        └─► PeerEvent ─► events$ ─► runtime (interest, requests, choking)
 *     socket.sink ◄── encodeFrames ◄── OutboundQueue ◄── commands, and blocks read from storage when the writer is ready
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
  readonly #runtime: TorrentRuntime
  readonly #options: PeerConnectionOptions
  readonly #out: OutboundQueue
  readonly #sent$ = new Subject<void>()
  readonly #received$ = new Subject<void>()
  readonly #subs: Subscription[] = []
  #session: PeerSession | undefined
  #remote: Handshake | undefined
  #caps: Capabilities | undefined
  #closed = false
  #error: Error | undefined
  #extensions: ExtensionChannel | undefined
  /**
   * Payload bytes and the last block's time since the last `transfer` event:
   * the block path only adds here, `flushTransfer` reports them to the
   * runtime's swarm state.
   */
  #pendingDown = 0
  #pendingUp = 0
  #pendingBlockAt = 0
  /** Payload rates from and to this peer, for the choker (sliding windows fed per block). */
  readonly downRate = new RateMeter()
  readonly upRate = new RateMeter()

  constructor (runtime: TorrentRuntime, conn: Duplex, key: string, options: PeerConnectionOptions) {
    this.#runtime = runtime
    this.conn = conn
    this.key = key
    this.host = conn.remote?.host ?? key
    this.#options = options
    // Room for a full window of requests on top of the control messages.
    this.#out = new OutboundQueue({ maxQueued: LIMITS.maxOutboundQueue + options.requestQueueDepth })
  }

  get session (): PeerSession | undefined { return this.#session }
  get remote (): Handshake | undefined { return this.#remote }
  get capabilities (): Capabilities | undefined { return this.#caps }

  /** Runs the connection to its end; resolves with the error that ended it, if any. */
  async run (): Promise<Error | undefined> {
    const rt = this.#runtime
    const scheduler = this.#options.scheduler
    const onAbort = (): void => { this.close() }
    this.#options.signal?.addEventListener('abort', onAbort, { once: true })
    // Pieces assembled from this connection's blocks but not yet verified and written.
    const inFlight = new Set<number>()
    // Rate limits (operators/rate-limit): outbound bytes against the upload
    // buckets; inbound chunks are pulled no faster than the download buckets
    // allow, so a limited download closes the peer's TCP window.
    const limit = { scheduler, ...(this.#options.signal === undefined ? {} : { signal: this.#options.signal }) }
    const outbound = rt.uploadBuckets.length === 0 ? pipe(this.#out, encodeFrames()) : pipe(this.#out, encodeFrames(), (src: AsyncIterable<Uint8Array>) => rateLimit(rt.uploadBuckets, limit)(src))
    const sinkDone = this.conn.sink(outbound).catch((err: unknown) => { this.close(asError(err)) })
    try {
      const hs = await handshake({ source: this.conn.source, write: (b) => { this.#push(b) } }, {
        role: this.#options.role,
        infoHash: rt.torrent.infoHash,
        peerId: rt.peerId,
        reserved: makeReserved({ fast: true, extended: true, dht: false }),
        timeoutMs: LIMITS.handshakeTimeoutMs,
        scheduler,
        signal: this.#options.signal
      })
      this.#remote = hs.remote
      this.#caps = hs.capabilities
      rt.admit(this)
      this.#options.onHandshake?.(this)
      const session = new PeerSession({ geometry: rt.geometry, fast: hs.capabilities.fast, extended: hs.capabilities.extended, ourHave: rt.have })
      this.#session = session
      this.#startTimers(scheduler)
      this.#out.setBlockSource(() => this.#nextUpload())
      // Superseeding (BEP 16): we look empty and offer pieces one at a time.
      const ss = rt.superSeeder
      this.#push(...session.announce(ss === undefined ? rt.have : new Bitfield(rt.torrent.pieceCount)))
      if (ss === undefined) this.#push(...session.allowFast(allowedFastOffer({ host: this.conn.remote?.host, infoHash: this.#runtime.torrent.infoHash, pieceCount: this.#runtime.torrent.pieceCount, has: (i) => this.#runtime.have.has(i), sha1 })))
      if (hs.capabilities.extended) this.#startExtensions()
      rt.peerReady(this)
      if (ss !== undefined) rt.sendOffers(ss.peerJoined(this.key, session.peerHas))

      const results = pipe(
        rt.downloadBuckets.length === 0 ? hs.source : rateLimitedSource(hs.source, rt.downloadBuckets, limit),
        // Borrowed chunks (reused read buffers): blocks are copied into their
        // piece's buffer by the assembler before the next chunk is read.
        decodeFrames({ maxMessageLength: LIMITS.maxMessageLength, borrowedChunks: this.conn.borrowedChunks === true }),
        demuxMessageBatches(this.key, session, {
          now: () => scheduler.now(),
          onEvent: (event) => { this.#received$.next(); this.#onEvent(event) },
          acceptBlock: (index, begin, length) => {
            const now = scheduler.now()
            this.#pendingDown += length
            this.#pendingBlockAt = now
            this.downRate.add(length, now)
            return rt.acceptBlock(this, { index, begin, length })
          },
          onBatch: () => { this.#received$.next(); this.#flushSession(); rt.topUp(this) }
        }),
        rt.piecePath(inFlight)
      )
      for await (const piece of results) {
        inFlight.delete(piece.index)
        this.flushTransfer()
        rt.pieceDone(piece, this)
      }
      this.close()
    } catch (err) {
      this.close(asError(err))
    } finally {
      this.#options.signal?.removeEventListener('abort', onAbort)
      await sinkDone
      rt.peerGone(this, inFlight)
    }
    return this.#error
  }

  /** Queue messages (or pre-encoded bytes) for sending. */
  send (...messages: Parameters<OutboundQueue['push']>[0][]): void {
    this.#push(...messages)
  }

  /**
   * Tell the peer we have a verified piece; a seed, which will never ask for
   * it, is not told (one small write per piece spared on both ends of a
   * download from seeds).
   */
  announceHave (index: number): void {
    const s = this.#session
    if (s === undefined || this.#closed || s.peerHas.complete) return
    this.#push(...s.have(index))
  }

  /**
   * Report the bytes counted since the last report as one `transfer` event
   * (nothing when there are none).
   */
  flushTransfer (): void {
    if (this.#pendingDown === 0 && this.#pendingUp === 0) return
    const down = this.#pendingDown
    const up = this.#pendingUp
    this.#pendingDown = 0
    this.#pendingUp = 0
    this.#runtime.dispatch({ type: 'transfer', key: this.key, down, up, at: down > 0 ? this.#pendingBlockAt : this.#options.scheduler.now() })
  }

  /** Tear the connection down. The first error wins. */
  close (err?: Error): void {
    if (this.#closed) return
    this.#closed = true
    this.#error = err
    this.flushTransfer()
    this.#runtime.dispatch({ type: 'peer-closed', key: this.key, reason: closeReason(err), at: this.#options.scheduler.now() })
    for (const sub of this.#subs) sub.unsubscribe()
    this.#extensions?.stop()
    this.#out.end()
    this.conn.close(err)
    this.events$.complete()
  }

  get closed (): boolean { return this.#closed }

  #push (...messages: Parameters<OutboundQueue['push']>[0][]): void {
    if (this.#closed) return
    try {
      for (const m of messages) {
        this.#out.push(m)
        if (!(m instanceof Uint8Array)) this.#observeSent(m)
      }
      this.#sent$.next()
    } catch (err) {
      this.close(asError(err))
    }
  }

  /** Our choke and interest changes, as they are queued, go to the swarm state. */
  #observeSent (m: Message): void {
    const rt = this.#runtime
    switch (m.type) {
      case 'choke': case 'unchoke':
        rt.dispatch({ type: 'choke-changed', key: this.key, side: 'am', choking: m.type === 'choke', at: this.#options.scheduler.now() })
        break
      case 'interested': case 'not-interested':
        rt.dispatch({ type: 'interest-changed', key: this.key, side: 'am', interested: m.type === 'interested' })
        break
      default: break
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
    if (this.#options.role === 'initiator') return remote
    const p = this.#extensions?.remote?.p
    return p === undefined ? undefined : { host: remote.host, port: p }
  }

  /** True when we dialed this peer. */
  get outgoing (): boolean { return this.#options.role === 'initiator' }

  /** Send a payload under extension `name`; false when the peer lacks it. */
  sendExtension (name: string, payload: Uint8Array): boolean {
    return this.#extensions?.send(name, payload) ?? false
  }

  #flushSession (): void {
    const s = this.#session
    if (s === undefined) return
    const out = s.drainOutgoing()
    if (out.length > 0) this.#push(...out)
    const dropped = s.takeDropped()
    for (const ref of dropped) this.#runtime.planner.release(this.key, ref)
    if (this.#session?.pendingRequests !== undefined && this.#session.pendingRequests > 0) this.#out.wake()
  }

  #onEvent (event: PeerEvent): void {
    const rt = this.#runtime
    switch (event.type) {
      case 'bitfield':
        this.#haveCount()
        rt.planner.peerHas(this.key, event.bitfield)
        rt.updateInterest(this)
        if (rt.superSeeder !== undefined) rt.sendOffers(rt.superSeeder.peerBitfield(this.key, event.bitfield))
        break
      case 'have':
        this.#haveCount()
        rt.planner.peerHave(this.key, event.index)
        rt.updateInterest(this)
        if (rt.superSeeder !== undefined) rt.sendOffers(rt.superSeeder.peerHas(this.key, event.index))
        break
      case 'rejected': rt.planner.release(this.key, event.ref); break
      case 'suggest': rt.planner.suggest(this.key, event.index); break
      case 'choked': case 'unchoked':
        rt.dispatch({ type: 'choke-changed', key: this.key, side: 'peer', choking: event.type === 'choked', at: this.#options.scheduler.now() })
        break
      case 'interested': case 'not-interested':
        rt.dispatch({ type: 'interest-changed', key: this.key, side: 'peer', interested: event.type === 'interested' })
        rt.chokeRound()
        break
      case 'unwanted-block': rt.wasted += event.length; break
      case 'extended':
        this.#extensions?.handle(event.id, event.payload)
        if (event.id === 0) {
          const reachable = this.reachableAddress
          if (reachable !== undefined) rt.dispatch({ type: 'reachable', key: this.key, address: reachable })
        }
        break
      default: break
    }
    this.events$.next(event)
  }

  /** The peer's bitfield summary (piece count, seed) to the swarm state. */
  #haveCount (): void {
    const has = this.#session?.peerHas
    if (has !== undefined) this.#runtime.dispatch({ type: 'have-count', key: this.key, count: has.count, seed: has.complete })
  }

  async #nextUpload (): Promise<Array<Uint8Array> | undefined> {
    const s = this.#session
    if (s === undefined || this.#closed) return undefined
    const rt = this.#runtime
    let ref: BlockRef | undefined = s.takeRequest()
    // Superseeding: only the pieces offered to this peer are served; others are refused.
    while (ref !== undefined && rt.superSeeder !== undefined && !rt.superSeeder.allowed(this.key, ref.index)) {
      if (s.fast) this.#push({ type: 'reject-request', index: ref.index, begin: ref.begin, length: ref.length })
      ref = s.takeRequest()
    }
    if (ref === undefined) return undefined
    const data = await rt.readCache.read(ref.index, ref.begin, ref.length)
    this.#pendingUp += ref.length
    this.upRate.add(ref.length, rt.scheduler.now())
    rt.countUpload(ref.length)
    this.#sent$.next()
    return [encodePieceHeader(ref.index, ref.begin, ref.length), data]
  }

  #startTimers (scheduler: SchedulerLike): void {
    this.#subs.push(
      keepAlives(this.#sent$, { intervalMs: LIMITS.keepAliveIntervalMs, scheduler }).subscribe((ka) => { this.#push(ka) }),
      this.#received$.pipe(idleTimeout({ timeoutMs: LIMITS.idleTimeoutMs, scheduler })).subscribe({ error: (err: unknown) => { this.close(asError(err)) } }),
      interval(5000, scheduler).subscribe(() => {
        const s = this.#session
        if (s === undefined) return
        const expired = s.expire(scheduler.now(), LIMITS.requestTimeoutMs)
        for (const ref of expired) this.#runtime.planner.release(this.key, ref)
        if (expired.length > 0) this.#runtime.topUpAll()
      })
    )
    this.#received$.next()
  }
}

/** The reason a connection ended, as the swarm state records it: the error's code or name, `'closed'` without one. */
function closeReason (err: Error | undefined): string {
  if (err === undefined) return 'closed'
  return err instanceof RxTorrentError ? err.code : err.name
}

function asError (err: unknown): Error {
  if (err instanceof Error) return err
  return new RxTorrentError('unknown', String(err), { disposition: 'disconnect' })
}

