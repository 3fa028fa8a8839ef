/**
 * BEP 19 web seeding, the pure part: the URL of each file on a web seed and
 * the HTTP range requests that fetch a set of blocks.
 *
 * @example
 * ```ts
 * import { planRanges, webSeedFileUrl } from './index.js'
 * for (const r of planRanges(torrent, [{ index: 0, begin: 0, length: 16384 }])) {
 *   const url = webSeedFileUrl('http://example.com/files/', torrent, r.file)
 *   // GET url with `Range: bytes=${r.start}-${r.end}`, then copy r.parts into the blocks
 * }
 * ```
 * @see BEP 19
 */
export { percentEncodeComponent, webSeedFileUrl } from './web-seed-url.js'
export type { RangePart, RangeRequest } from './range-plan.js'
export { planRanges } from './range-plan.js'
export { WebSeedError } from './web-seed-error.js'
