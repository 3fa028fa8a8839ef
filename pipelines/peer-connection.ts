import { pipe } from 'it-pipe'
import { Subject, interval, type SchedulerLike, type Subscription } from 'rxjs'
import { LIMITS } from '../lib/constants.js'
import { RxTorrentError } from '../lib/errors.js'
import { RateMeter } from '../lib/stats/rate-meter.js'
import { parsePeerId } from '../lib/peer-id/index.js'
import { Bitfield } from '../lib/pieces/bitfield.js'
import { allowedFastSet } from '../lib/swarm/allowed-fast.js'
import { sha1 } from './node/hasher.js'
import { PeerSession, type PeerEvent } from '../lib/peer/peer-session.js'
import type { BlockRef } from '../lib/pieces/geometry.js'
import type { Duplex, PeerAddress } from '../lib/transport/types.js'
import { encodePieceHeader, makeReserved } from '../lib/wire/index.js'
import type { Capabilities, Handshake } from '../lib/wire/types.js'
import { demuxMessages } from '../operators/demux-messages.js'
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

/** Size of the allowed-fast set we offer (BEP 6 suggests 10). */
const ALLOWED_FAST_K = 10

export interface PeerConnectionOptions {
  readonly role: 'initiator' | 'responder'
  readonly scheduler: SchedulerLike
  readonly requestQueueDepth: number
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
  downloaded = 0
  uploaded = 0
  /** The remote client's name and version, read from its peer id (BEP 20). */
  client = 'unknown'
  /** The peer said it only uploads (BEP 21). */
  uploadOnly = false
  /** Payload rates from and to this peer, for the choker. */
  readonly downRate = new RateMeter()
  readonly upRate = new RateMeter()
  /** When the connection was made, the last block arrived, and we last unchoked it (scheduler time). */
  connectedAt = 0
  lastBlockAt = 0
  lastUnchokedAt: number | undefined

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
      const id = parsePeerId(hs.remote.peerId)
      this.client = id.version === undefined ? id.client : `${id.client} ${id.version}`
      this.connectedAt = scheduler.now()
      this.lastBlockAt = this.connectedAt
      rt.admit(this)
      const session = new PeerSession({ geometry: rt.geometry, fast: hs.capabilities.fast, extended: hs.capabilities.extended, ourHave: rt.have })
      this.#session = session
      this.#startTimers(scheduler)
      this.#out.setBlockSource(() => this.#nextUpload())
      // Superseeding (BEP 16): we look empty and offer pieces one at a time.
      const ss = rt.superSeeder
      this.#push(...session.announce(ss === undefined ? rt.have : new Bitfield(rt.torrent.pieceCount)))
      if (ss === undefined) this.#push(...session.allowFast(this.#allowedFast()))
      if (hs.capabilities.extended) this.#startExtensions()
      rt.peerReady(this)
      if (ss !== undefined) rt.sendOffers(ss.peerJoined(this.key, session.peerHas))

      const results = pipe(
        rt.downloadBuckets.length === 0 ? hs.source : rateLimitedSource(hs.source, rt.downloadBuckets, limit),
        decodeFrames({ maxMessageLength: LIMITS.maxMessageLength }),
        demuxMessages(this.key, session, {
          now: () => scheduler.now(),
          onEvent: (event) => { this.#received$.next(); this.#onEvent(event) },
          acceptBlock: (index, begin, length) => {
            this.downloaded += length
            this.downRate.add(length, scheduler.now())
            this.lastBlockAt = scheduler.now()
            return rt.acceptBlock(this, { index, begin, length })
          },
          onBatch: () => { this.#received$.next(); this.#flushSession(); rt.topUp(this) }
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
      await sinkDone
      rt.peerGone(this, inFlight)
    }
    return this.#error
  }

  /** Queue messages (or pre-encoded bytes) for sending. */
  send (...messages: Parameters<OutboundQueue['push']>[0][]): void {
    this.#push(...messages)
  }

  /** Ask the session to send `have` for a verified piece, and re-evaluate interest. */
  announceHave (index: number): void {
    const s = this.#session
    if (s === undefined || this.#closed) return
    this.#push(...s.have(index))
  }

  /** Tear the connection down. The first error wins. */
  close (err?: Error): void {
    if (this.#closed) return
    this.#closed = true
    this.#error = err
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
      for (const m of messages) this.#out.push(m)
      this.#sent$.next()
    } catch (err) {
      this.close(asError(err))
    }
  }

  /**
   * BEP 6: the pieces this peer may fetch while choked, by the spec's
   * algorithm over its IPv4 address (none for IPv6 or small torrents), and
   * only those we have.
   */
  #allowedFast (): number[] {
    const rt = this.#runtime
    const host = this.conn.remote?.host
    if (host === undefined || rt.torrent.pieceCount <= 2 * ALLOWED_FAST_K) return []
    try {
      return allowedFastSet({ ip: host, infoHash: rt.torrent.infoHash, pieceCount: rt.torrent.pieceCount, k: ALLOWED_FAST_K, sha1 })
        .filter((i) => rt.have.has(i))
    } catch {
      return [] // not an IPv4 address (a memory-network host name): no allowed-fast set
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
        rt.planner.peerHas(this.key, event.bitfield)
        rt.updateInterest(this)
        if (rt.superSeeder !== undefined) rt.sendOffers(rt.superSeeder.peerBitfield(this.key, event.bitfield))
        break
      case 'have':
        rt.planner.peerHave(this.key, event.index)
        rt.updateInterest(this)
        if (rt.superSeeder !== undefined) rt.sendOffers(rt.superSeeder.peerHas(this.key, event.index))
        break
      case 'rejected': rt.planner.release(this.key, event.ref); break
      case 'suggest': rt.planner.suggest(this.key, event.index); break
      case 'interested': case 'not-interested': rt.chokeRound(); break
      case 'unwanted-block': rt.wasted += event.length; break
      case 'extended': this.#extensions?.handle(event.id, event.payload); break
      default: break
    }
    this.events$.next(event)
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
    this.uploaded += ref.length
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

function asError (err: unknown): Error {
  if (err instanceof Error) return err
  return new RxTorrentError('unknown', String(err), { disposition: 'disconnect' })
}

