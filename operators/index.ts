/**
 * rxtorrent/operators — the verbs. Async-iterable stages for the data plane
 * (bytes and blocks, pulled, with backpressure) and RxJS operators for the
 * control plane (events, timers on an injected scheduler).
 *
 * @example
 * const results = pipe(conn.source, decodeFrames(), demuxMessages(key, session, handlers),
 *   assemblePieces(assembler), verifyPieces({ pieceHashes, hasher }), writePieces(storage, { pieceLength }))
 */
export { decodeFrames } from './decode-frames.js'
export { encodeFrames, type Outbound, type EncodeFramesOptions } from './encode-frames.js'
export { handshake, readHandshake, type HandshakeResult, type HandshakeOptions, type ReadHandshakeOptions } from './handshake.js'
export { keepAlives, type KeepAlivesOptions } from './keep-alive.js'
export { idleTimeout, type IdleTimeoutOptions } from './idle-timeout.js'
export { OutboundQueue, type OutboundQueueOptions, type BlockSource } from './outbound-queue.js'
export { demuxMessages, demuxMessageBatches, type DemuxHandlers } from './demux-messages.js'
export { assemblePieces, type BlockIn } from './assemble-pieces.js'
export { verifyPieces, type VerifiedPiece, type VerifyPiecesOptions } from './verify-pieces.js'
export { writePieces, type WritePiecesOptions } from './write-pieces.js'
export { checkPieces, type CheckPiecesOptions } from './check-pieces.js'
export { PieceReadCache, type PieceReadCacheOptions } from './piece-read-cache.js'
export { ReadCacheBudget, type ReadCacheBudgetOptions } from './read-cache-budget.js'
export { memoryDuplexPair, type MemoryDuplexOptions } from './memory-transport.js'
export { memoryNetwork, type MemoryNetwork, type MemoryNetworkOptions } from './memory-network.js'
export { AccessLink, pacedDuplexPair, type LinkRates, type PacingOptions, type PacedPairOptions } from './paced-link.js'
export { announceSchedule, type AnnounceOutcome, type AnnounceScheduleOptions, type AnnounceClient, type CompletedSettlement } from './announce-schedule.js'
export { trackerPeers, torrentTrackerPeers, type TorrentTrackerPeersOptions, type AnnounceStats } from './tracker-peers.js'
export { torrentTicks, type TorrentTicksOptions } from './torrent-ticks.js'
export { ExtensionChannel, type Extension, type ExtensionPeer, type ExtensionChannelOptions } from './extension.js'
export { utMetadataServe, utMetadataFetch, requestMetadataPiece, type MetadataPieceEvent, type UtMetadataServeOptions } from './extensions/ut-metadata.js'
export { utPex, type UtPexOptions, type PexPeersEvent } from './extensions/ut-pex.js'
export { ltTex, type LtTexOptions, type TexTrackersEvent } from './extensions/lt-tex.js'
export { ltDonthave, uploadOnly, type DontHaveEvent, type UploadOnlyEvent } from './extensions/peer-state.js'
export { readFileStream, DEFAULT_READ_CHUNK_SIZE, type ReadFileStreamOptions } from './read-file-stream.js'
export { rateLimit, rateLimitedSource, type RateLimitOptions, type RateLimitedItem } from './rate-limit.js'
export { VirtualClock, type VirtualRunOptions } from './virtual-clock.js'
