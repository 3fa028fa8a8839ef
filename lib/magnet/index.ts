/**
 * Magnet links: parse and format, with bounded lists and strict info-hashes.
 *
 * @example
 * ```ts
 * // parseMagnet, formatMagnet: exported by rxtorrent/lib
 *
 * const m = parseMagnet('magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=demo&tr=udp%3A%2F%2Ftracker.example%3A6969')
 * m.name      // → 'demo'
 * m.trackers  // → ['udp://tracker.example:6969']
 * formatMagnet(m) // → 'magnet:?xt=urn:btih:c12f…&dn=demo&tr=udp://tracker.example:6969'
 * ```
 * @see BEP 9, BEP 53
 */
export type { Magnet } from './types.js'
export { parseMagnet, MAX_MAGNET_LENGTH, type ParseMagnetOptions } from './parse-magnet.js'
export { formatMagnet } from './format-magnet.js'
export { parseInfoHash, toHex, fromHex, fromBase32, toBase32 } from './info-hash.js'
export { parsePeerAddress } from './peer-address.js'
export { parseSelectOnly, selectOnlyItems, formatSelectOnly, MAX_SELECT_ONLY, MAX_SELECT_ONLY_INDEX, type SelectOnlyItems } from './select-only.js'
