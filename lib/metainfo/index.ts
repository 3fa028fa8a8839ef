/**
 * v1 metainfo: parsing `.torrent` files and BEP 9 metadata with every limit
 * enforced and every path sanitised, and building new torrents.
 *
 * @example
 * ```ts
 * import { createHash } from 'node:crypto'
 * import { parseTorrent } from './index.js'
 * const sha1 = (d: Uint8Array): Uint8Array => createHash('sha1').update(d).digest()
 * const torrent = parseTorrent(bytes, { sha1 })
 * console.log(torrent.infoHashHex, torrent.files.map((f) => f.path.join('/')))
 * ```
 * @see BEP 3, BEP 9, BEP 12, BEP 17, BEP 19, BEP 27, BEP 47
 */
export type { Torrent, TorrentFile } from './types.js'
export { pieceSize, pieceHash } from './types.js'
export type { ParseTorrentOptions } from './parse-torrent.js'
export { parseTorrent } from './parse-torrent.js'
export type { Sha1, InfoLimits, InfoFields, ReadInfoContext } from './parse-info-dict.js'
export { parseInfoDict, readInfo } from './parse-info-dict.js'
export type { SanitizeOptions } from './sanitize-path.js'
export { sanitizePath, sanitizeComponent, sanitizeSymlinkTarget } from './sanitize-path.js'
export { parseAnnounceTiers, parseUrlList, parseHttpSeeds } from './trackers.js'
export { formatInfoHash, parseInfoHashHex } from './info-hash.js'
export type { CreateFileEntry, CreateInfoOptions, CreateTorrentOptions } from './create-torrent.js'
export { createInfoDict, createTorrent, compareFilePaths, CREATED_BY } from './create-torrent.js'
export { defaultPieceLength, MIN_DEFAULT_PIECE_LENGTH, MAX_DEFAULT_PIECE_LENGTH, TARGET_MAX_PIECES } from './piece-length.js'
