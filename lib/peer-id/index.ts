/**
 * Peer ids: making ours (Azureus style, `-RX0100-…`) and recognising others'
 * for display.
 *
 * @example
 * ```ts
 * // generatePeerId, parsePeerId: exported by rxtorrent/lib
 *
 * const id = generatePeerId(crypto.getRandomValues(new Uint8Array(12)))
 * parsePeerId(id) // → { client: 'rxtorrent', version: '0.1.0.0', style: 'azureus', code: 'RX' }
 * ```
 * @see BEP 20
 */
export { generatePeerId, peerIdFromRandom, CLIENT_CODE, DEFAULT_VERSION } from './generate-peer-id.js'
export { parsePeerId, type PeerIdInfo } from './parse-peer-id.js'
