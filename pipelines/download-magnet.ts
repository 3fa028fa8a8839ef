import { createServer } from 'node:net'
import { Observable, concat, defer, from, mergeMap, of } from 'rxjs'
import type { Magnet } from '../lib/magnet/types.js'
import { download } from './download.js'
import type { FetchedMetadata } from './fetch-metadata.js'
import { fetchMetadata } from './magnet-metadata.js'
import type { DownloadOptions, Progress } from './types.js'

/** Options of {@link downloadMagnet}: those of `download`, and the metadata fetch's. */
export interface MagnetDownloadOptions extends DownloadOptions {
  /** Called once the metadata is fetched and verified (e.g. to save a .torrent). */
  readonly onMetadata?: (m: FetchedMetadata) => void
}

/**
 * Download from a magnet link: fetch the metadata from the link's peers
 * (`x.pe`), `options.peers` and its trackers (`tr`) by BEP 9, then download
 * exactly as from a .torrent, announcing to the same trackers and dialing the
 * peers that gave the metadata first (never those whose metadata failed the
 * info-hash check). While the metadata is fetched one
 * `Progress` with state `metadata` is emitted. Errors as `fetchMetadata`,
 * then as `download`.
 * @see BEP 9
 */
export function downloadMagnet (magnet: Magnet, options: MagnetDownloadOptions): Observable<Progress> {
  return defer(() => {
    const ac = new AbortController()
    const relay = (): void => { ac.abort(options.signal?.reason) }
    options.signal?.addEventListener('abort', relay, { once: true })
    const trackers = magnet.trackers.map((t) => [t])
    const peers = [...magnet.peers, ...(options.peers ?? [])]
    const fetching = defer(async () => {
      const port = options.port ?? (trackers.length > 0 ? await freePort(options.host) : undefined)
      const fetched = await fetchMetadata(magnet.infoHash, {
        peers, trackers, signal: ac.signal,
        ...(port === undefined ? {} : { port }),
        ...(options.transport === undefined ? {} : { transport: options.transport }),
        ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
        ...(options.peerId === undefined ? {} : { peerId: options.peerId }),
        ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning })
      })
      options.onMetadata?.(fetched)
      // What reading the metadata as libtorrent does had to tolerate, as a .torrent's is reported.
      for (const line of fetched.torrent.tolerated ?? []) options.onWarning?.({ type: 'warning', message: `metadata: ${line}` })
      return { fetched, port }
    })
    const starting: Progress = {
      state: 'metadata', infoHash: magnet.infoHashHex, name: magnet.name ?? magnet.infoHashHex, piecesVerified: 0, pieceCount: 0,
      piecesChecked: 0, bytesVerified: 0, length: 0, downloaded: 0, uploaded: 0, downloadRate: 0, uploadRate: 0, peers: 0, eta: null, hashFailures: 0, elapsedMs: 0
    }
    return concat(
      of(starting),
      from(fetching).pipe(mergeMap(({ fetched, port }) => download(fetched.torrent, {
        ...options,
        ...(port === undefined ? {} : { port }),
        peers: dedupe([...fetched.peers, ...peers]).filter((p) => !fetched.banned.some((b) => b.host === p.host && b.port === p.port)),
        webSeeds: [...magnet.webSeeds, ...(options.webSeeds ?? [])]
      })))
    ).pipe((source) => new Observable<Progress>((subscriber) => {
      const sub = source.subscribe(subscriber)
      return () => { sub.unsubscribe(); ac.abort(); options.signal?.removeEventListener('abort', relay) }
    }))
  })
}

function dedupe<T extends { host: string, port: number }> (peers: T[]): T[] {
  const seen = new Set<string>()
  return peers.filter((p) => { const k = `${p.host}|${p.port}`; if (seen.has(k)) return false; seen.add(k); return true })
}

/** A port free right now on `host`, for announcing before the listener opens. */
async function freePort (host = '0.0.0.0'): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, host, () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => { resolve(port) })
    })
  })
}
