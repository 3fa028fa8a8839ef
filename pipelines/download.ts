import { defer, type Observable } from 'rxjs'
import type { Torrent } from '../lib/metainfo/types.js'
import { selectFiles, wantedPieces } from '../lib/pieces/file-priorities.js'
import { nodeRunDefaults } from './node/defaults.js'
import { runTorrent } from './run-torrent.js'
import type { DownloadOptions, Progress } from './types.js'

/**
 * Download a torrent into `options.out` (libtorrent's save-path layout),
 * re-checking what is already there first, from the given peers (and incoming
 * ones when `port` is set).
 *
 * Emits a `Progress` snapshot every `progressIntervalMs` and at each state
 * change; completes once every piece is verified and written (unless `seed`,
 * then it serves until unsubscribed); errors with `RxTorrentError` code
 * `no-peers` when every peer has failed, or a `StorageError` on disk failure.
 * Unsubscribing closes every connection and the files.
 *
 * @example
 * download(torrent, { out: './downloads', peers: [{ host: '127.0.0.1', port: 6881 }] })
 *   .subscribe(p => console.log(`${p.piecesVerified}/${p.pieceCount}`))
 */
export function download (torrent: Torrent, options: DownloadOptions): Observable<Progress> {
  return defer(() => {
    const only = options.only ?? []
    // Throws UsageError `bad-only` (as the observable's error) for a spec that selects nothing.
    const chosen = only.length === 0 ? undefined : selectFiles(torrent.files.map((f) => ({ path: torrent.multiFile ? f.path : [torrent.name], padding: f.padding })), only)
    return runTorrent(torrent, {
      ...options,
      // Files under `out`, TCP, node:crypto SHA-1, the Node tracker client: whatever `options` leaves out.
      ...nodeRunDefaults(torrent, options.out, options),
      stopWhenComplete: options.seed !== true,
      ...(chosen === undefined ? {} : { wanted: wantedPieces(torrent, (i) => chosen.has(i)) })
    })
  })
}
