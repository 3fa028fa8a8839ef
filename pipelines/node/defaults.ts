/**
 * The Node defaults of the engine: what `download`, `seed`, `downloadMagnet`,
 * `streamTorrent` and `fetchMetadata` fill in when the caller leaves them
 * out, so that `runTorrent` and `fetchMetadataWith` import nothing from
 * `pipelines/node/` and run on whatever platform they are given.
 *
 * @example
 * ```ts
 * const progress$ = runTorrent(torrent, { ...nodeRunDefaults(torrent, './downloads', {}), stopWhenComplete: true })
 * ```
 */
import { randomBytes } from 'node:crypto'
import type { Torrent } from '../../lib/metainfo/types.js'
import { generatePeerId } from '../../lib/peer-id/index.js'
import type { Hasher, Storage } from '../../lib/storage/types.js'
import type { Transport } from '../../lib/transport/types.js'
import type { TransactionDatagrams } from '../../lib/transport/datagram.js'
import type { OwnedTrackerClient } from '../run-torrent.js'
import type { WebSeedFetch } from '../web-seed-sources.js'
import type { CommonOptions } from '../types.js'
import { FileStorage } from './file-storage.js'
import type { OpenFileBudget } from './open-file-budget.js'
import { nodeHasher, sha1 } from './hasher.js'
import { tcpTransport } from './tcp.js'
import { nodeTrackerClient } from './tracker-client.js'
import { webSeedBlocks } from './web-seed.js'

/** The platform part of `RunOptions`, as {@link nodeRunDefaults} fills it. */
export interface NodeRunDefaults {
  /** The caller's storage, else a `FileStorage` under the directory. */
  readonly storage: Storage
  /** True when the storage was made here (the engine closes it). */
  readonly closeStorage: boolean
  /** The caller's hasher, else `nodeHasher` (node:crypto). */
  readonly hasher: Hasher
  /** The caller's transport, else TCP reading into reused buffers. */
  readonly transport: Transport
  /** A Node tracker client (HTTP, HTTPS, UDP, BEP 34), made on the first announce. */
  readonly makeTrackerClient: () => OwnedTrackerClient
  /** The caller's peer id, else a fresh `-RX…-` id from node:crypto. */
  readonly peerId: Uint8Array
  /** BEP 19 web seeds over HTTP and HTTPS (`webSeedBlocks`). */
  readonly webSeedFetch: WebSeedFetch
}

/** The platform part of `FetchMetadataOptions`, as {@link nodeMetadataDefaults} fills it. */
export interface NodeMetadataDefaults {
  /** The caller's transport, else TCP reading into reused buffers. */
  readonly transport: Transport
  /** SHA-1 from node:crypto. */
  readonly sha1: (data: Uint8Array) => Uint8Array
  /** A Node tracker client (HTTP, HTTPS, UDP, BEP 34), made when the trackers are first asked. */
  readonly makeTrackerClient: () => OwnedTrackerClient
  /** The caller's peer id, else a fresh `-RX…-` id from node:crypto. */
  readonly peerId: Uint8Array
  /** Sanitise metadata paths with Windows' rules too: true on Windows. */
  readonly windowsPaths: boolean
}

/**
 * The engine's platform for a torrent saved under `dir` (libtorrent's
 * save-path layout), keeping whatever `options` already gives.
 * @throws StorageError `path-escape` when a file of the torrent would lie
 *   outside `dir` (from `FileStorage`).
 */
export function nodeRunDefaults (torrent: Torrent, dir: string, options: Pick<CommonOptions, 'storage' | 'hasher' | 'transport' | 'peerId' | 'directIo'> & {
  /** A shared UDP socket (a session's) for the UDP tracker requests; default a socket per request. */
  readonly datagrams?: TransactionDatagrams
  /** The open-file budget the default storage draws from (a session's, shared by its torrents); default its own. */
  readonly openFiles?: OpenFileBudget
}): NodeRunDefaults {
  const fileOptions = { ...(options.directIo === undefined ? {} : { directIo: options.directIo }), ...(options.openFiles === undefined ? {} : { openFiles: options.openFiles }) }
  return {
    storage: options.storage ?? new FileStorage(torrent, dir, fileOptions),
    closeStorage: options.storage === undefined,
    hasher: options.hasher ?? nodeHasher,
    // Dialed connections read into reused buffers; PeerConnection copies what it keeps (borrowed chunks).
    transport: options.transport ?? tcpTransport({ ringReads: true }),
    makeTrackerClient: () => nodeTrackerClient({ dnsPreferences: true, ...(options.datagrams === undefined ? {} : { udp: { datagrams: options.datagrams } }) }),
    peerId: options.peerId ?? generatePeerId(randomBytes(12)),
    webSeedFetch: webSeedBlocks
  }
}

/**
 * The metadata fetch's platform, keeping whatever `options` already gives.
 * @throws nothing
 */
export function nodeMetadataDefaults (options: { readonly transport?: Transport, readonly peerId?: Uint8Array, readonly datagrams?: TransactionDatagrams }): NodeMetadataDefaults {
  return {
    transport: options.transport ?? tcpTransport({ ringReads: true }),
    sha1,
    makeTrackerClient: () => nodeTrackerClient({ dnsPreferences: true, ...(options.datagrams === undefined ? {} : { udp: { datagrams: options.datagrams } }) }),
    peerId: options.peerId ?? generatePeerId(randomBytes(12)),
    windowsPaths: process.platform === 'win32'
  }
}
