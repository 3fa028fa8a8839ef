import { parseTorrent, type ParseTorrentOptions } from '../lib/metainfo/parse-torrent.js'
import type { Torrent } from '../lib/metainfo/types.js'
import { sha1 } from './node/hasher.js'

/**
 * Parse .torrent bytes with node:crypto's SHA-1 for the info-hash, reading
 * it as libtorrent does (what was tolerated is in `torrent.tolerated`), with
 * libtorrent's Windows path rules on Windows.
 * @throws MetainfoError, BencodeError or PathError for a bad or hostile file.
 */
export function parseTorrentFile (bytes: Uint8Array, options: Omit<ParseTorrentOptions, 'sha1'> = {}): Torrent {
  return parseTorrent(bytes, { windowsPaths: process.platform === 'win32', ...options, sha1 })
}
