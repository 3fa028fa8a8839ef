/**
 * Tracker protocol codecs (HTTP and UDP, client and server side), compact
 * peer lists, and the pure state of a tracker server.
 *
 * @example
 * ```ts
 * import { buildAnnounceUrl, parseAnnounceResponse } from './index.js'
 * const url = buildAnnounceUrl('http://tracker.example/announce?passkey=abc', {
 *   infoHash, peerId, port: 6881, uploaded: 0, downloaded: 0, left: 1000, event: 'started'
 * })
 * // fetch `url`, then:
 * const { interval, peers } = parseAnnounceResponse(body)
 * ```
 * @see BEP 3, BEP 7, BEP 15, BEP 23, BEP 24, BEP 31, BEP 41, BEP 48
 */
export type { AnnounceEvent, AnnounceRequest, AnnounceResponse, TrackerPeer, ScrapeEntry, ScrapeResponse } from './types.js'
export { TrackerError, type TrackerErrorCode, type TrackerErrorOptions } from './tracker-error.js'
export { TRACKER_LIMITS, type TrackerLimits } from './limits.js'
export { parseIp, formatIp, normalizeIp, type IpBytes } from './ip-address.js'
export { encodeCompactPeers, decodeCompactPeers, compactEntryLength, type CompactFamily } from './compact-peers.js'
export { percentEncodeBytes, percentEncodeText, percentDecodeBytes, parseQueryBytes, bytesToLatin1 } from './url-query.js'
export {
  buildAnnounceUrl, parseAnnounceResponse, scrapeUrlOf, buildScrapeUrl, parseScrapeResponse,
  type ParseResponseOptions
} from './http-codec.js'
export {
  parseAnnounceQuery, parseScrapeQuery, encodeAnnounceResponse, encodeScrapeResponse, encodeFailure,
  type ParsedAnnounceQuery
} from './http-server-codec.js'
export {
  UDP_PROTOCOL_ID, UDP_ACTION, UDP_EVENT, URL_DATA_OPTION, encodeConnectRequest, encodeAnnounceRequest,
  encodeScrapeRequest, decodeUdpResponse, type UdpResponse
} from './udp-codec.js'
export { decodeUdpRequest, encodeUdpResponse, type UdpRequest, type DecodeUdpRequestOptions } from './udp-server-codec.js'
export { SwarmRegistry, type SwarmRegistryOptions, type SwarmAnnounceResult, type SwarmRegistryStats } from './swarm-registry.js'
export { isLoopback } from './address-scope.js'
export { serveHttpRequest, type HttpTrackerReply, type TrackerIntervals } from './serve-http.js'
export { serveUdpPacket, type UdpRemote, type ConnectionIdIssuer } from './serve-udp.js'
