import { defer, type Observable } from 'rxjs'
import type { Torrent } from '../lib/metainfo/types.js'
import { nodeRunDefaults } from './node/defaults.js'
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
  // Files under `data`, TCP, node:crypto SHA-1, the Node tracker client: whatever `options` leaves out.
  return defer(() => runTorrent(torrent, { ...options, ...nodeRunDefaults(torrent, options.data, options), port: options.port ?? 6881, stopWhenComplete: false }))
}
