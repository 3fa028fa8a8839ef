import { randomBytes } from 'node:crypto'
import { pipe } from 'it-pipe'
import { Subscription, asyncScheduler, timer, type SchedulerLike } from 'rxjs'
import { LIMITS } from '../lib/constants.js'
import { RxTorrentError } from '../lib/errors.js'
import { encode } from '../lib/bencode/index.js'
import { MetadataAssembler } from '../lib/extensions/metadata-assembler.js'
import { parseInfoDict } from '../lib/metainfo/parse-info-dict.js'
import type { Torrent } from '../lib/metainfo/types.js'
import { generatePeerId } from '../lib/peer-id/index.js'
import { ConnectQueue } from '../lib/swarm/connect-queue.js'
import { formatAddress, type PeerAddress, type Transport } from '../lib/transport/types.js'
import { makeReserved } from '../lib/wire/index.js'
import { decodeFrames } from '../operators/decode-frames.js'
import { encodeFrames } from '../operators/encode-frames.js'
import { ExtensionChannel } from '../operators/extension.js'
import { requestMetadataPiece, utMetadataFetch, type MetadataPieceEvent } from '../operators/extensions/ut-metadata.js'
import { handshake } from '../operators/handshake.js'
import { OutboundQueue } from '../operators/outbound-queue.js'
import { torrentTrackerPeers } from '../operators/tracker-peers.js'
import { ANNOUNCE_TIMEOUT_MS } from './node/tracker-client.js'
import { sha1 } from './node/hasher.js'
import { tcpTransport } from './node/tcp.js'
import { nodeTrackerClient } from './node/tracker-client.js'
import { CLIENT_VERSION } from './peer-connection.js'
import type { TorrentWarning } from './types.js'

export interface FetchMetadataOptions {
  /** Peers to ask (a magnet's `x.pe`, `--peer`). */
  readonly peers?: readonly PeerAddress[]
  /** Tracker tiers to find more peers (a magnet's `tr`). */
  readonly trackers?: readonly (readonly string[])[]
  /** The port we announce to trackers (the one the download will listen on). */
  readonly port?: number
  readonly transport?: Transport
  readonly scheduler?: SchedulerLike
  readonly peerId?: Uint8Array
  /** Largest metadata accepted; default 16 MiB. */
  readonly maxMetadataSize?: number
  /** A peer that leaves a request unanswered this long is dropped; default 15 s. */
  readonly requestTimeoutMs?: number
  readonly onWarning?: (w: TorrentWarning) => void
  readonly signal?: AbortSignal
}

export interface FetchedMetadata {
  /** The torrent, with the magnet's trackers as its announce list. */
  readonly torrent: Torrent
  /** A .torrent file of it: the info dictionary exactly as received, plus the trackers. */
  readonly torrentFile: Uint8Array
  /** Peers that answered: worth dialing again for the data. */
  readonly peers: readonly PeerAddress[]
}

/**
 * Fetch a torrent's metadata (its info dictionary) from peers by BEP 9
 * `ut_metadata`, given only its info-hash: peers from the list and from the
 * trackers are dialed through a connect queue; each that offers the metadata
 * is asked for pieces (two at a time); the assembled bytes are checked
 * against the info-hash and parsed with the same limits and path sanitising
 * as a .torrent file. A peer that sends bad pieces, rejects, or stalls is
 * dropped and its pieces are asked elsewhere.
 *
 * Resolves with the torrent; rejects with `RxTorrentError` `no-peers` when
 * every peer was tried and none could give it (and no tracker is left), or
 * with the signal's reason.
 * @see BEP 9, BEP 10
 */
export async function fetchMetadata (infoHash: Uint8Array, options: FetchMetadataOptions = {}): Promise<FetchedMetadata> {
  const scheduler = options.scheduler ?? asyncScheduler
  const transport = options.transport ?? tcpTransport({ ringReads: true })
  const peerId = options.peerId ?? generatePeerId(randomBytes(12))
  const ac = new AbortController()
  const signal = ac.signal
  const onOuterAbort = (): void => { ac.abort(options.signal?.reason) }
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  const queue = new ConnectQueue({ maxConnections: 20 })
  const subs: Subscription[] = []
  const answered = new Map<string, PeerAddress>()
  const closers = new Set<(err?: Error) => void>()
  let assembler: MetadataAssembler | undefined
  let sourcesLive = 0
  let lastError: string | undefined
  const askers = new Set<() => void>()

  return await new Promise<FetchedMetadata>((resolve, reject) => {
    let settled = false
    const finish = (err: Error | undefined, result?: FetchedMetadata): void => {
      if (settled) return
      settled = true
      ac.abort()
      options.signal?.removeEventListener('abort', onOuterAbort)
      for (const s of subs) s.unsubscribe()
      for (const close of closers) close()
      if (err !== undefined) reject(err)
      else resolve(result as FetchedMetadata)
    }
    if (options.signal?.aborted === true) { finish(options.signal.reason instanceof Error ? options.signal.reason : new RxTorrentError('aborted', 'aborted', { disposition: 'ignore' })); return }
    options.signal?.addEventListener('abort', () => { finish(options.signal?.reason instanceof Error ? options.signal.reason : new RxTorrentError('aborted', 'aborted', { disposition: 'ignore' })) }, { once: true })

    const done = (bytes: Uint8Array): void => {
      let torrent: Torrent
      try {
        torrent = parseInfoDict(bytes, sha1)
      } catch (err) {
        finish(err instanceof Error ? err : new RxTorrentError('bad-metadata', String(err)))
        return
      }
      const announce = (options.trackers ?? []).map((t) => [...t]).filter((t) => t.length > 0)
      torrent = { ...torrent, announce }
      finish(undefined, { torrent, torrentFile: torrentFileOf(bytes, announce), peers: [...answered.values()] })
    }

    const pump = (): void => {
      if (settled) return
      for (const peer of queue.due(scheduler.now())) void run(peer)
      const at = queue.nextRetryAt()
      if (at !== undefined) subs.push(timer(Math.max(0, at - scheduler.now()), scheduler).subscribe(pump))
      if (queue.exhausted && sourcesLive === 0) finish(new RxTorrentError('no-peers', lastError === undefined ? 'no peer to fetch the metadata from' : `no peer gave the metadata (last: ${lastError})`, { disposition: 'fatal' }))
    }

    const run = async (peer: PeerAddress): Promise<void> => {
      const key = formatAddress(peer)
      let conn
      try {
        conn = await transport.dial(peer, { signal })
      } catch (e) {
        lastError = `${key}: ${e instanceof Error ? e.message : String(e)}`
        queue.failed(peer, scheduler.now())
        pump()
        return
      }
      queue.connected(peer)
      const out = new OutboundQueue()
      let closed = false
      const timers: Subscription[] = []
      const close = (err?: Error): void => {
        if (closed) return
        closed = true
        for (const t of timers) t.unsubscribe()
        out.end()
        conn.close(err)
      }
      closers.add(close)
      const sinkDone = conn.sink(pipe(out, encodeFrames())).catch(() => {})
      let useful = false
      let hopeless = false
      const inFlight = new Set<number>()
      const requestMore = (): void => {
        if (assembler === undefined || closed) return
        while (inFlight.size < 2) {
          const piece = assembler.nextRequest(key)
          if (piece === undefined) return
          inFlight.add(piece)
          channel.send('ut_metadata', requestMetadataPiece(piece))
          const requestTimeout = options.requestTimeoutMs ?? 15_000
          timers.push(timer(requestTimeout, scheduler).subscribe(() => {
            if (inFlight.has(piece)) close(new RxTorrentError('metadata-timeout', `no answer to metadata request ${piece}`, { disposition: 'disconnect' }))
          }))
        }
      }
      askers.add(requestMore)
      const channel = new ExtensionChannel([utMetadataFetch()], {
        key,
        send: (m) => { if (!closed) out.push(m) },
        close,
        handshake: { v: CLIENT_VERSION, ...(options.port === undefined ? {} : { p: options.port }) },
        ...(options.maxMetadataSize === undefined ? {} : { maxMetadataSize: options.maxMetadataSize }),
        onEvent: (_name, event) => {
          const e = event as MetadataPieceEvent
          if (assembler === undefined) return
          inFlight.delete(e.piece)
          if (e.type === 'metadata-reject') {
            assembler.release(key, e.piece)
            close(new RxTorrentError('metadata-rejected', `${key} rejected metadata piece ${e.piece}`, { disposition: 'disconnect' }))
            return
          }
          const result = assembler.receive(key, e.piece, e.totalSize, e.data)
          useful = true
          answered.set(key, peer)
          if (result === 'more') { requestMore(); return }
          if ('done' in result) { done(result.done); return }
          lastError = `metadata from ${result.failed.join(', ')} did not match the info-hash`
          for (const k of result.failed) if (k === key) close(new RxTorrentError('bad-metadata', lastError, { disposition: 'ban' }))
          requestElsewhere()
        }
      })
      try {
        const hs = await handshake({ source: conn.source, write: (b) => { out.push(b) } }, {
          role: 'initiator', infoHash, peerId, reserved: makeReserved({ fast: true, extended: true }),
          timeoutMs: LIMITS.handshakeTimeoutMs, scheduler, signal
        })
        if (!hs.capabilities.extended) throw new RxTorrentError('no-extensions', `${key} does not speak the extension protocol`, { disposition: 'disconnect' })
        channel.start()
        for await (const batch of pipe(hs.source, decodeFrames({ borrowedChunks: conn.borrowedChunks === true }))) {
          for (const msg of batch) {
            if (msg.type !== 'extended') continue
            channel.handle(msg.id, msg.payload)
            if (msg.id === 0 && assembler === undefined) {
              const size = channel.remote?.metadataSize
              if (size !== undefined && channel.remote?.m.ut_metadata !== undefined) {
                assembler = new MetadataAssembler({ infoHash, size, sha1, ...(options.maxMetadataSize === undefined ? {} : { maxSize: options.maxMetadataSize }) })
              }
            }
            if (msg.id === 0) requestMore()
            if (closed) break
          }
          if (closed) break
          const remote = channel.remote
          if (remote !== undefined && (remote.m.ut_metadata === undefined || remote.metadataSize === undefined)) throw new RxTorrentError('no-metadata', `${key} does not offer its metadata (ut_metadata)`, { disposition: 'disconnect' })
          if (remote !== undefined && assembler !== undefined && remote.metadataSize !== assembler.size) throw new RxTorrentError('metadata-size-mismatch', `${key} says the metadata is ${remote.metadataSize} bytes, others ${assembler.size}`, { disposition: 'disconnect' })
        }
      } catch (e) {
        // A peer without the metadata (or without the extension protocol) is not asked again.
        if (e instanceof RxTorrentError && ['no-metadata', 'no-extensions', 'metadata-rejected'].includes(e.code)) hopeless = true
        lastError = `${key}: ${e instanceof Error ? e.message : String(e)}`
        if (!settled) options.onWarning?.({ type: 'warning', message: `metadata from ${key}: ${e instanceof Error ? e.message : String(e)}`, peer: key, ...(e instanceof Error ? { error: e } : {}) })
      } finally {
        assembler?.release(key)
        askers.delete(requestMore)
        channel.stop()
        close()
        closers.delete(close)
        await sinkDone
        queue.closed(peer, scheduler.now(), { useful, retry: !settled && !hopeless })
        if (!settled) { requestElsewhere(); pump() }
      }
    }
    // Pieces freed by a peer that left (or by a failed hash) are asked of the others.
    const requestElsewhere = (): void => { for (const ask of askers) ask() }

    for (const p of options.peers ?? []) queue.add(p, 'manual', scheduler.now())
    if ((options.trackers ?? []).some((t) => t.length > 0)) {
      sourcesLive++
      const client = nodeTrackerClient({ dnsPreferences: true })
      subs.push(torrentTrackerPeers({
        torrent: { infoHash, announce: options.trackers ?? [] },
        client,
        peerId,
        port: options.port ?? 6881,
        stats: () => ({ uploaded: 0, downloaded: 0, left: 1 }),
        scheduler,
        random: Math.random,
        timeoutMs: ANNOUNCE_TIMEOUT_MS,
        onOutcome: (o) => { if (o.error !== undefined && !settled) options.onWarning?.({ type: 'warning', message: `tracker ${o.url}: ${o.error.message}`, error: o.error }) }
      }).subscribe({
        next: (found) => { if (queue.add(found.address, 'tracker', scheduler.now())) pump() },
        complete: () => { sourcesLive--; pump() },
        error: () => { sourcesLive--; pump() }
      }))
      // Close the client once the `stopped` announce had its chance.
      subs.push(new Subscription(() => { setTimeout(() => { void client.close() }, 5000).unref() }))
    }
    pump()
  })
}

/** A .torrent file around metadata bytes received: the info dictionary is kept byte for byte. */
export function torrentFileOf (infoBytes: Uint8Array, announce: readonly (readonly string[])[]): Uint8Array {
  const flat = announce.flat()
  const head = encode({
    ...(flat[0] === undefined ? {} : { announce: flat[0] }),
    ...(flat.length > 1 ? { 'announce-list': announce.map((t) => [...t]) } : {})
  })
  const infoKey = new TextEncoder().encode('4:info')
  const out = new Uint8Array(head.length - 1 + infoKey.length + infoBytes.length + 1)
  out.set(head.subarray(0, head.length - 1), 0)
  out.set(infoKey, head.length - 1)
  out.set(infoBytes, head.length - 1 + infoKey.length)
  out[out.length - 1] = 0x65 // 'e'
  return out
}
