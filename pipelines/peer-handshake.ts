import { pipe } from 'it-pipe'
import type { SchedulerLike } from 'rxjs'
import { LIMITS } from '../lib/constants.js'
import { RxTorrentError } from '../lib/errors.js'
import type { TokenBucket } from '../lib/stats/token-bucket.js'
import type { Duplex } from '../lib/transport/types.js'
import { makeReserved } from '../lib/wire/index.js'
import type { Capabilities, Handshake } from '../lib/wire/types.js'
import { encodeFrames } from '../operators/encode-frames.js'
import { handshake } from '../operators/handshake.js'
import { OutboundQueue } from '../operators/outbound-queue.js'
import { rateLimit } from '../operators/rate-limit.js'

/** A connection whose BitTorrent handshake is done: what a `PeerConnection` takes. */
export interface HandshakenConnection {
  /** The transport's duplex (remote address, close, borrowed chunks); its sink is already attached to `out`. */
  readonly conn: Duplex
  readonly role: 'initiator' | 'responder'
  readonly remote: Handshake
  readonly capabilities: Capabilities
  /** The info-hash the two ends agreed on. */
  readonly infoHash: Uint8Array
  /** The bytes after the handshake. */
  readonly source: AsyncIterable<Uint8Array>
  /** Everything sent from now on goes through this queue (frames encoded, upload limit applied). */
  readonly out: OutboundQueue
  /** Settles when the writer stops: `undefined`, or the error that stopped it. Never rejects. */
  readonly sinkDone: Promise<Error | undefined>
  /**
   * Make every outbound byte from now on pass `buckets` instead: the
   * torrent's upload limits, once a session's listener has routed the
   * connection to it. Only for a connection handshaken with
   * `uploadBuckets` (even empty); otherwise it has no limiter and this does nothing.
   */
  readonly limitUpload: (buckets: readonly TokenBucket[]) => void
}

/** Options of {@link handshakeConnection}. */
export interface PeerHandshakeOptions {
  readonly role: 'initiator' | 'responder'
  /** The torrent (initiator), or for a responder a test of the info-hash the peer asks for. */
  readonly infoHash: Uint8Array | ((infoHash: Uint8Array) => boolean)
  readonly peerId: Uint8Array
  readonly scheduler: SchedulerLike
  /** Most messages queued for sending (control messages plus a window of requests). */
  readonly maxQueued: number
  /**
   * Token buckets every outbound byte passes (upload limits). Given, even
   * empty, the connection gets a limiter whose buckets `limitUpload` can
   * change later; absent: unlimited, with no limiter at all.
   */
  readonly uploadBuckets?: readonly TokenBucket[]
  readonly signal?: AbortSignal
}

/**
 * Attach the connection's writer (an `OutboundQueue` through `encodeFrames`
 * and the upload limit) and run the BitTorrent handshake over it, offering
 * BEP 6 and BEP 10. On failure the connection is closed and the error
 * thrown.
 * @throws HandshakeError, TimeoutError (disconnect), or the abort reason
 * @see BEP 3, BEP 6, BEP 10
 */
export async function handshakeConnection (conn: Duplex, options: PeerHandshakeOptions): Promise<HandshakenConnection> {
  const out = new OutboundQueue({ maxQueued: options.maxQueued })
  // The limiter reads `live` at each frame: `limitUpload` replaces its contents.
  const live = [...(options.uploadBuckets ?? [])]
  const limit = { scheduler: options.scheduler, ...(options.signal === undefined ? {} : { signal: options.signal }) }
  const outbound = options.uploadBuckets === undefined ? pipe(out, encodeFrames()) : pipe(out, encodeFrames(), (src: AsyncIterable<Uint8Array>) => rateLimit(live, limit)(src))
  const limitUpload = (buckets: readonly TokenBucket[]): void => { live.splice(0, live.length, ...buckets) }
  const sinkDone = conn.sink(outbound).then(() => undefined, (err: unknown) => asError(err))
  try {
    let agreed: Uint8Array | undefined = typeof options.infoHash === 'function' ? undefined : options.infoHash
    const test = options.infoHash
    const hs = await handshake({ source: conn.source, write: (b) => { out.push(b) } }, {
      role: options.role,
      infoHash: typeof test === 'function' ? (ih: Uint8Array) => { const ok = test(ih); if (ok) agreed = ih; return ok } : test,
      peerId: options.peerId,
      reserved: makeReserved({ fast: true, extended: true, dht: false }),
      timeoutMs: LIMITS.handshakeTimeoutMs,
      scheduler: options.scheduler,
      signal: options.signal
    })
    return { conn, role: options.role, remote: hs.remote, capabilities: hs.capabilities, infoHash: agreed ?? hs.remote.infoHash, source: hs.source, out, sinkDone, limitUpload }
  } catch (err) {
    out.end()
    conn.close(asError(err))
    throw err
  }
}

/** `err` as an Error (a thrown non-Error becomes `RxTorrentError` `unknown`). */
export function asError (err: unknown): Error {
  if (err instanceof Error) return err
  return new RxTorrentError('unknown', String(err), { disposition: 'disconnect' })
}
