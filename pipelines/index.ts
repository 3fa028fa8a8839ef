/**
 * rxtorrent — ready pipelines and the Node shell, plus the common types.
 * Everything these pipelines are made of is exported from `rxtorrent/lib`
 * and `rxtorrent/operators`; nothing here is privileged.
 *
 * @example
 * const torrent = parseTorrentFile(await readFile('x.torrent'))
 * download(torrent, { out: './downloads', peers: [{ host: '127.0.0.1', port: 6881 }] })
 *   .subscribe(p => console.log(`${p.piecesVerified}/${p.pieceCount}`))
 */
export { download } from './download.js'
export { seed } from './seed.js'
export { downloadMagnet, type MagnetDownloadOptions } from './download-magnet.js'
export { fetchMetadata } from './magnet-metadata.js'
export { fetchMetadataWith, torrentFileOf, type FetchMetadataOptions, type FetchMetadataWithOptions, type FetchedMetadata } from './fetch-metadata.js'
export { runTorrent, type RunOptions, type OwnedTrackerClient } from './run-torrent.js'
export { PeerDialer, type PeerDialerOptions, type DialOutcome, type SourceHooks } from './peer-dialer.js'
export type { WebSeedFetch, WebSeedFetchOptions } from './web-seed-sources.js'
export { nodeRunDefaults, nodeMetadataDefaults, type NodeRunDefaults, type NodeMetadataDefaults } from './node/defaults.js'
export { TorrentRuntime, type TorrentRuntimeOptions } from './torrent-runtime.js'
export { PeerConnection, type PeerConnectionOptions, type ConnectionHost } from './peer-connection.js'
export { handshakeConnection, type HandshakenConnection, type PeerHandshakeOptions } from './peer-handshake.js'
export type { PiecePathHost } from './piece-path.js'
export type { RuntimeView } from './runtime-status.js'
export { parseTorrentFile } from './parse-torrent-file.js'
export { runDemo, type DemoOptions } from './demo.js'
export { streamTorrent, parseByteRange, contentTypeOf, largestFile, checkFileIndex, DEFAULT_METADATA_WAIT_MS, type StreamOptions, type ByteRange } from './stream.js'
export { startTracker } from './tracker-server.js'
export type * from './tracker-server.js'
export type { Progress, TorrentWarning, CommonOptions, DownloadOptions, SeedOptions, FoundPeer, PeerStats } from './types.js'
export type { ConnectQueueOptions, PeerSource } from '../lib/swarm/connect-queue.js'
export { InboundGate, type InboundLimits, type InboundGateOptions, type GatedConnection } from './inbound-gate.js'
export { FileStorage, ensureFiles, INLINE_WRITE_BYTES, type FileStorageOptions } from './node/file-storage.js'
export { FileHandleCache, nodeFileSystem, type FileSystemLike, type FileHandleLike } from './node/file-handle-cache.js'
export { AlignedAllocator, DIRECT_IO_ALIGNMENT, type AlignedAllocatorOptions } from './node/aligned-memory.js'
export { OpenFileBudget, DEFAULT_MAX_OPEN_FILES, type Evictable } from './node/open-file-budget.js'
export { defaultMaxOpenFiles, openFilesFor, parseOpenFilesLimit } from './node/fd-limit.js'
export { tcpTransport, type TcpTransportOptions } from './node/tcp.js'
export { nodeHasher, sha1 } from './node/hasher.js'
export { createTorrentFromPath, type CreateTorrentFromPathOptions } from './node/create-torrent.js'
export { nodeTrackerClient, type TrackerClient, type NodeTrackerClientOptions } from './node/tracker-client.js'
export type { HttpTrackerOptions } from './node/http-tracker-client.js'
export { udpTrackerClient, type UdpTrackerOptions, type UdpTrackerClient, type TimerSource } from './node/udp-tracker-client.js'
export { dnsPreferences, type DnsPreferences, type DnsPreferencesOptions } from './node/dns-preferences.js'
export type { Torrent, TorrentFile } from '../lib/metainfo/types.js'
export type { Storage, Hasher } from '../lib/storage/types.js'
export type { Duplex, PeerAddress, Transport } from '../lib/transport/types.js'
export { parseMagnet, formatMagnet } from '../lib/magnet/index.js'
export * from '../lib/errors.js'
// Types that appear in the signatures above, so a user of this entry point alone can name them.
export type { Magnet } from '../lib/magnet/types.js'
export type { ParseMagnetOptions } from '../lib/magnet/parse-magnet.js'
export type { ParseTorrentOptions } from '../lib/metainfo/parse-torrent.js'
export type { InfoLimits } from '../lib/metainfo/parse-info-dict.js'
export type { AnnounceClient } from '../operators/announce-schedule.js'
export type { Choker } from '../lib/choke/types.js'
// The engine under `download` and `seed`, and the strategies it takes (lib/torrent).
export * from '../lib/torrent/index.js'
export type { PiecePicker } from '../lib/pieces/piece-picker.js'
export type { Bitfield } from '../lib/pieces/bitfield.js'
export type { PeerSession } from '../lib/peer/peer-session.js'
