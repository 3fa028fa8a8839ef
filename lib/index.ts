/**
 * rxtorrent/lib — the pure, synchronous cores: codecs, piece bookkeeping, the
 * peer session state machine, strategies' interfaces, typed errors and limits.
 * Nothing here does I/O, reads a clock or draws randomness; time and random
 * bytes are arguments.
 *
 * @example
 * const dec = new FrameDecoder({ maxMessageLength: 1 << 20 })
 * for (const msg of dec.push(chunk)) console.log(msg.type)
 */
export * from './errors.js'
export * from './constants.js'
export * from './bencode/index.js'
export * from './metainfo/index.js'
export * from './magnet/index.js'
export * from './peer-id/index.js'
export * from './wire/index.js'
export * from './pieces/index.js'
export * from './peer/index.js'
export * from './storage/index.js'
export * from './tracker/index.js'
export * from './tracker-client/index.js'
export * from './extensions/index.js'
export { RateMeter } from './stats/rate-meter.js'
export { TokenBucket, MIN_BURST, type TokenBucketOptions } from './stats/token-bucket.js'
export { ConnectQueue, LIMIT_HOLD_MS, type CloseOptions, type ConnectQueueOptions, type PeerSource } from './swarm/connect-queue.js'
export { allowedFastSet, allowedFastOffer, ALLOWED_FAST_K, type AllowedFastSetOptions } from './swarm/allowed-fast.js'
export { canonicalPeerPriority, byPriority } from './swarm/peer-priority.js'
export { connectionLimitDecision, selfAddress, priorityOrLowest, DEFAULT_PROTECT_FASTEST, type ConnectionLimitInput, type ConnectionLimitDecision, type LimitPeer } from './swarm/connection-limit.js'
export { dialVetoed, isOwnAddress, hostOfKey, peersExhausted, dialFailureReason, metadataPeerHopeless, type DialFacts, type ExhaustionFacts } from './swarm/dial-rules.js'
export { inboundAdmission, isIdleHalfOpen, addressKey, InboundLedger, type HalfOpenConnection, type InboundBudgets, type InboundAdmissionInput, type InboundDecision } from './swarm/inbound-admission.js'
export { crc32c } from './swarm/crc32c.js'
export { emptySwarm, reduceSwarm, SWARM_CLOSED_HISTORY, type SwarmState, type SwarmPeer, type SwarmEvent, type SwarmSide, type ClosedPeer } from './swarm/swarm-state.js'
export { admittedPeers, chokePeers, pexPeers, isDuplicate, SNUB_AFTER_MS, type PeerMeasures, type SwarmPexPeer } from './swarm/swarm-selectors.js'
export * from './choke/index.js'
export * from './torrent/index.js'
export * from './session/index.js'
export type { Duplex, PeerAddress, Transport, Listener } from './transport/types.js'
export { formatAddress } from './transport/types.js'
export { LeasedBytes } from './transport/leased-bytes.js'
export type { Datagram, DatagramSocket, DatagramProtocol, TransactionDatagrams } from './transport/datagram.js'
export { classifyDatagram, type DatagramClass, type DatagramDropReason, type ClassifyDatagramOptions } from './transport/classify-datagram.js'
export { DatagramDemux, type DatagramStats, type DatagramDemuxOptions } from './transport/datagram-demux.js'
export type { Message, MessageType, Handshake, Capabilities } from './wire/types.js'
