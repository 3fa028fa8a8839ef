import { pipe } from 'it-pipe'
import { timer, type SchedulerLike, type Subscription } from 'rxjs'
import { LIMITS } from '../lib/constants.js'
import { RxTorrentError } from '../lib/errors.js'
import type { MetadataCandidates } from '../lib/extensions/metadata-candidates.js'
import { metadataPeerHopeless } from '../lib/swarm/dial-rules.js'
import type { Duplex } from '../lib/transport/types.js'
import { makeReserved } from '../lib/wire/index.js'
import { decodeFrames } from '../operators/decode-frames.js'
import { encodeFrames } from '../operators/encode-frames.js'
import { ExtensionChannel } from '../operators/extension.js'
import { requestMetadataPiece, utMetadataFetch, type MetadataPieceEvent } from '../operators/extensions/ut-metadata.js'
import { handshake } from '../operators/handshake.js'
import { OutboundQueue } from '../operators/outbound-queue.js'
import { CLIENT_VERSION } from './peer-connection.js'

/** What one {@link MetadataPeer} shares with the fetch it belongs to. */
export interface MetadataFetchContext {
  readonly infoHash: Uint8Array
  readonly peerId: Uint8Array
  readonly scheduler: SchedulerLike
  /** Aborts the handshake. */
  readonly signal: AbortSignal
  /** The fetch's sizes, pieces and requests (lib/extensions/metadata-candidates). */
  readonly candidates: MetadataCandidates
  /** A request unanswered this long drops the peer. */
  readonly requestTimeoutMs: number
  /** Our listen port, told in the extended handshake. */
  readonly port?: number
  /** Largest metadata accepted. */
  readonly maxMetadataSize?: number
  /** The fetch has ended: stop asking. */
  readonly settled: () => boolean
  /** Verified metadata, from these peers. */
  readonly done: (bytes: Uint8Array, from: readonly string[]) => void
  /** Assembled metadata of `size` bytes failed the info-hash: `failed` peers are to blame, `suspects` are asked one at a time. */
  readonly hashFailed: (result: { readonly failed: readonly string[], readonly suspects: readonly string[], readonly size: number }) => void
}

/** How a {@link MetadataPeer} ended. */
export interface MetadataPeerEnd {
  /** It delivered at least one piece. */
  readonly useful: boolean
  /** Not worth dialing again: no extension protocol or metadata, a rejected piece, or banned. */
  readonly hopeless: boolean
  /** What ended it, when it was an error. */
  readonly error?: Error
}

/**
 * One dialed peer asked for a torrent's metadata by BEP 9 `ut_metadata`:
 * our handshake (Fast and Extension bits), the extended handshake, then
 * requests for pieces of the size it stated (at most two outstanding, as
 * `MetadataCandidates` allots), each dropped after `requestTimeoutMs`
 * unanswered. A reject, a malformed piece or a size change closes it;
 * pieces go to the shared candidates, which say when the metadata is done.
 * @see BEP 9, BEP 10
 */
export class MetadataPeer {
  readonly key: string
  readonly #conn: Duplex
  readonly #ctx: MetadataFetchContext
  readonly #out = new OutboundQueue()
  readonly #timers = new Set<Subscription>()
  readonly #channel: ExtensionChannel
  #closed = false
  #useful = false

  constructor (conn: Duplex, key: string, ctx: MetadataFetchContext) {
    this.#conn = conn
    this.key = key
    this.#ctx = ctx
    this.#channel = new ExtensionChannel([utMetadataFetch()], {
      key,
      send: (m) => { if (!this.#closed) this.#out.push(m) },
      close: (err) => { this.close(err) },
      handshake: { v: CLIENT_VERSION, ...(ctx.port === undefined ? {} : { p: ctx.port }) },
      ...(ctx.maxMetadataSize === undefined ? {} : { maxMetadataSize: ctx.maxMetadataSize }),
      onEvent: (_name, event) => { this.#onPiece(event as MetadataPieceEvent) }
    })
  }

  /** Close the connection (once); `err` is the reason its reader ends with. */
  close (err?: Error): void {
    if (this.#closed) return
    this.#closed = true
    for (const t of this.#timers) t.unsubscribe()
    this.#out.end()
    this.#conn.close(err)
  }

  /** Ask for as many pieces as the candidates allot to this peer now. */
  requestMore (): void {
    const { candidates, scheduler } = this.#ctx
    if (this.#closed || this.#ctx.settled()) return
    for (let piece = candidates.nextRequest(this.key, scheduler.now()); piece !== undefined; piece = candidates.nextRequest(this.key, scheduler.now())) {
      this.#channel.send('ut_metadata', requestMetadataPiece(piece))
      const t: Subscription = timer(this.#ctx.requestTimeoutMs, scheduler).subscribe(() => { this.#timers.delete(t); this.#checkOverdue() })
      this.#timers.add(t)
    }
  }

  /** Run the connection to its end; never rejects. */
  async run (): Promise<MetadataPeerEnd> {
    const sinkDone = this.#conn.sink(pipe(this.#out, encodeFrames())).catch(() => {})
    let error: Error | undefined
    try {
      await this.#converse()
    } catch (e) {
      error = e instanceof Error ? e : new Error(String(e))
    } finally {
      this.#ctx.candidates.removePeer(this.key)
      this.#channel.stop()
      this.close()
      await sinkDone
    }
    // A peer whose metadata failed the hash is not dialed again, nor one without the metadata.
    const hopeless = this.#ctx.candidates.isBanned(this.key) || (error instanceof RxTorrentError && metadataPeerHopeless(error.code))
    return { useful: this.#useful, hopeless, ...(error === undefined ? {} : { error }) }
  }

  async #converse (): Promise<void> {
    const { infoHash, peerId, scheduler, signal, candidates } = this.#ctx
    const hs = await handshake({ source: this.#conn.source, write: (b) => { this.#out.push(b) } }, {
      role: 'initiator', infoHash, peerId, reserved: makeReserved({ fast: true, extended: true }),
      timeoutMs: LIMITS.handshakeTimeoutMs, scheduler, signal
    })
    if (!hs.capabilities.extended) throw new RxTorrentError('no-extensions', `${this.key} does not speak the extension protocol`, { disposition: 'disconnect' })
    this.#channel.start()
    for await (const batch of pipe(hs.source, decodeFrames({ borrowedChunks: this.#conn.borrowedChunks === true }))) {
      for (const msg of batch) {
        if (msg.type !== 'extended') continue
        this.#channel.handle(msg.id, msg.payload)
        if (msg.id === 0) {
          const remote = this.#channel.remote
          // Each peer's stated size is its own candidate; disagreeing peers are fetched side by side.
          if (remote?.m.ut_metadata !== undefined && remote.metadataSize !== undefined) candidates.state(this.key, remote.metadataSize)
          this.requestMore()
        }
        if (this.#closed) return
      }
      const remote = this.#channel.remote
      if (remote !== undefined && (remote.m.ut_metadata === undefined || remote.metadataSize === undefined)) throw new RxTorrentError('no-metadata', `${this.key} does not offer its metadata (ut_metadata)`, { disposition: 'disconnect' })
    }
  }

  /** A request unanswered for `requestTimeoutMs` drops the peer (the rule is the candidates'). */
  #checkOverdue (): void {
    if (this.#ctx.candidates.overdue(this.#ctx.scheduler.now()).includes(this.key)) {
      this.close(new RxTorrentError('metadata-timeout', `${this.key} left a metadata request unanswered for ${this.#ctx.requestTimeoutMs} ms`, { disposition: 'disconnect' }))
    }
  }

  #onPiece (e: MetadataPieceEvent): void {
    const { candidates } = this.#ctx
    if (this.#ctx.settled() || this.#closed) return
    if (e.type === 'metadata-reject') {
      candidates.release(this.key, e.piece)
      this.close(new RxTorrentError('metadata-rejected', `${this.key} rejected metadata piece ${e.piece}`, { disposition: 'disconnect' }))
      return
    }
    let result
    try {
      result = candidates.receive(this.key, e.piece, e.totalSize, e.data)
    } catch (err) {
      this.close(err instanceof Error ? err : new RxTorrentError('bad-metadata', String(err), { disposition: 'disconnect' }))
      return
    }
    this.#useful = true
    if (result === 'more') this.requestMore()
    else if ('done' in result) this.#ctx.done(result.done, result.from)
    else this.#ctx.hashFailed(result)
  }
}
