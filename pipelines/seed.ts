import type { Observable } from 'rxjs'
import type { Torrent } from '../lib/metainfo/types.js'
import { runTorrent } from './run-torrent.js'
import type { Progress, SeedOptions } from './types.js'

/**
 * Serve a torrent from `options.data` (libtorrent's save-path layout): verify
 * the data, then listen on `port` (default 6881) and answer requests until
 * unsubscribed. Pieces that fail verification are not served; if any are
 * missing the seed also fetches them from peers it is given.
 *
 * Emits `Progress` snapshots; never completes on its own.
 */
export function seed (torrent: Torrent, options: SeedOptions): Observable<Progress> {
  return runTorrent(torrent, { ...options, port: options.port ?? 6881, dir: options.data, stopWhenComplete: false })
}
