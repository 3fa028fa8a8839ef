import { randomBytes } from 'node:crypto'
import { Observable, asyncScheduler, filter, firstValueFrom, interval, timer, type SchedulerLike } from 'rxjs'
import { RxTorrentError } from '../lib/errors.js'
import type { Torrent } from '../lib/metainfo/types.js'
import { generatePeerId } from '../lib/peer-id/index.js'
import type { Storage } from '../lib/storage/types.js'
import { formatAddress, type Listener, type PeerAddress, type Transport } from '../lib/transport/types.js'
import { FileStorage, ensureFiles } from './node/file-storage.js'
import { nodeHasher } from './node/hasher.js'
import { tcpTransport } from './node/tcp.js'
import { TorrentRuntime } from './torrent-runtime.js'
import type { CommonOptions, Progress } from './types.js'

/** Consecutive failed dials before a manual peer is given up. */
const MAX_DIAL_FAILURES = 5

export interface RunOptions extends CommonOptions {
  /** The save directory, laid out as libtorrent's save path. */
  readonly dir: string
  /** Stop (complete) once every piece is verified. */
  readonly stopWhenComplete: boolean
  readonly requestQueueDepth?: number
}

/**
 * The engine behind `download` and `seed`: check existing data, listen and
 * dial, run every connection through a shared `TorrentRuntime`, and emit
 * progress on the scheduler. Completes after the last piece is written when
 * `stopWhenComplete`; errors with a typed error when no peer is left to
 * finish the download; unsubscribing closes every connection and the storage.
 */
export function runTorrent (torrent: Torrent, options: RunOptions): Observable<Progress> {
  return new Observable<Progress>((subscriber) => {
    const ac = new AbortController()
    const signal = ac.signal
    const onOuterAbort = (): void => { ac.abort() }
    options.signal?.addEventListener('abort', onOuterAbort, { once: true })
    const scheduler: SchedulerLike = options.scheduler ?? asyncScheduler
    const ownStorage = options.storage === undefined
    const storage: Storage = options.storage ?? new FileStorage(torrent, options.dir)
    const transport: Transport = options.transport ?? tcpTransport()
    const rt = new TorrentRuntime({
      torrent,
      storage,
      hasher: options.hasher ?? nodeHasher,
      peerId: options.peerId ?? generatePeerId(randomBytes(12)),
      scheduler,
      ...(options.requestQueueDepth === undefined ? {} : { requestQueueDepth: options.requestQueueDepth }),
      ...(options.picker === undefined ? {} : { picker: options.picker }),
      ...(options.uploadSlots === undefined ? {} : { uploadSlots: options.uploadSlots }),
      ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
      signal
    })
    let listener: Listener | undefined
    const ticker = interval(options.progressIntervalMs ?? 1000, scheduler).subscribe(() => { subscriber.next(rt.progress()) })

    const finish = async (): Promise<void> => {
      await storage.flush()
      if (storage instanceof FileStorage) await ensureFiles(torrent, options.dir)
    }

    const main = async (): Promise<void> => {
      await rt.check(signal)
      subscriber.next(rt.progress())
      if (rt.complete) await finish()
      if (rt.complete && options.stopWhenComplete) return
      if (options.port !== undefined) {
        listener = await transport.listen({ host: options.host ?? '0.0.0.0', port: options.port, signal }, (conn) => {
          void rt.addConnection(conn, 'responder')
        })
        rt.listenAddress = listener.address
        options.onListening?.(listener.address)
      }
      const dials = (options.peers ?? []).map(async (p) => await dialLoop(p))
      const done = firstValueFrom(rt.verified$.pipe(filter(() => rt.complete)))
      const exhausted = Promise.all(dials).then(() => 'exhausted' as const)
      const first = await Promise.race([done.then(() => 'complete' as const), listener === undefined ? exhausted : new Promise<never>(() => {})])
      if (first === 'exhausted' && !rt.complete) {
        throw new RxTorrentError('no-peers', lastDialError === undefined ? 'no peers to download from' : `no peer could complete the download (last: ${lastDialError})`, { disposition: 'fatal' })
      }
      await finish()
      subscriber.next(rt.progress())
      if (options.stopWhenComplete) return
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => { resolve() }, { once: true }))
    }

    let lastDialError: string | undefined
    const dialLoop = async (peer: PeerAddress): Promise<void> => {
      let failures = 0
      while (!signal.aborted && failures < MAX_DIAL_FAILURES) {
        if (rt.complete && options.stopWhenComplete) return
        if (rt.policy.isBanned(formatAddress(peer)) || rt.policy.isBanned(peer.host)) return
        let err: Error | undefined
        try {
          const conn = await transport.dial(peer, { signal })
          const before = rt.have.count
          err = await rt.addConnection(conn, 'initiator')
          if (rt.have.count > before) failures = 0
        } catch (e) {
          err = e instanceof Error ? e : new Error(String(e))
          options.onWarning?.({ type: 'warning', message: `cannot connect to ${formatAddress(peer)}: ${err.message}`, peer: formatAddress(peer), error: err })
        }
        if (rt.complete && options.stopWhenComplete) return
        if (signal.aborted) return
        if (err !== undefined) lastDialError = `${formatAddress(peer)}: ${err.message}`
        failures++
        if (rt.complete) return
        await sleep(Math.min(1000 * 2 ** (failures - 1), 30_000))
      }
    }

    const sleep = async (ms: number): Promise<void> => {
      await new Promise<void>((resolve) => {
        const sub = timer(ms, scheduler).subscribe(() => { resolve() })
        signal.addEventListener('abort', () => { sub.unsubscribe(); resolve() }, { once: true })
      })
    }

    main().then(() => {
      subscriber.next(rt.progress())
      subscriber.complete()
    }, (err: unknown) => {
      if (signal.aborted) return
      subscriber.error(err)
    })

    return () => {
      ticker.unsubscribe()
      ac.abort()
      options.signal?.removeEventListener('abort', onOuterAbort)
      rt.closeAll()
      void listener?.close()
      if (ownStorage) void storage.flush().finally(() => storage.close())
    }
  })
}
