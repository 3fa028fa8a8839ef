import type { SchedulerLike } from 'rxjs'
import type { Choker } from '../lib/choke/types.js'
import type { Torrent } from '../lib/metainfo/types.js'
import type { Bitfield } from '../lib/pieces/bitfield.js'
import type { PiecePicker } from '../lib/pieces/piece-picker.js'
import type { TorrentBandwidth } from '../lib/session/session-bandwidth.js'
import type { Hasher, Storage } from '../lib/storage/types.js'
import type { TorrentStrategies } from '../lib/torrent/state.js'
import type { Extension } from '../operators/extension.js'
import type { ReadCacheBudget } from '../operators/read-cache-budget.js'
import type { PeerConnection } from './peer-connection.js'
import type { TorrentWarning } from './progress-types.js'

/** Options of `TorrentRuntime` (pipelines/torrent-runtime.ts). */
export interface TorrentRuntimeOptions {
  readonly torrent: Torrent
  readonly storage: Storage
  readonly hasher: Hasher
  readonly peerId: Uint8Array
  readonly scheduler: SchedulerLike
  /** Randomness of the default picker, the choker and the superseeder; default `Math.random`. */
  readonly random?: () => number
  readonly picker?: PiecePicker
  /** The choker, interest policy, request depth, seeding mode and peer filter (lib/torrent); defaults for those left out. */
  readonly strategies?: Partial<TorrentStrategies>
  /** Shorthand for `strategies.choker`. */
  readonly choker?: Choker
  /** Most requests outstanding to one peer; the request-depth policy picks the depth below that. */
  readonly requestQueueDepth?: number
  /** Regular unchoke slots (the optimistic one comes on top); default 4. */
  readonly uploadSlots?: number
  /** Length of a regular choke round; default 10 s. */
  readonly chokeRoundMs?: number
  /** Pieces to fetch; default all. */
  readonly wanted?: Bitfield
  /** Called for what the user should know that does not stop the torrent. */
  readonly onWarning?: (w: TorrentWarning) => void
  /** BEP 10 extensions run on every connection that negotiates them. */
  readonly extensions?: ReadonlyArray<Extension>
  /** An extension's output event (PEX peers, trackers, don't-have…). */
  readonly onExtensionEvent?: (peer: PeerConnection, name: string, event: unknown) => void
  /** Upload and download limits for the whole torrent, in bytes per second (0: none); ignored with `bandwidth`. */
  readonly uploadLimit?: number
  readonly downloadLimit?: number
  /** The buckets every connection takes from instead (a session's and the torrent's, lib/session `SessionBandwidth`). */
  readonly bandwidth?: Pick<TorrentBandwidth, 'upload' | 'download'>
  /** A fault that stops the torrent (disk full, a strategy that failed). */
  readonly onFatal?: (err: Error) => void
  readonly signal?: AbortSignal
  /** A bound on upload read caches shared with other torrents (a session's); default none (the cache's own 16 MiB). */
  readonly readCacheBudget?: ReadCacheBudget
}
