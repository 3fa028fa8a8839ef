/**
 * Parsed v1 metainfo. Every path is already sanitised: `path` components are
 * safe to join under a download directory.
 * @see BEP 3, BEP 12 (announce-list), BEP 17 (httpseeds), BEP 19 (url-list),
 *      BEP 27 (private), BEP 47 (file attributes, padding files)
 */

export interface TorrentFile {
  /** Sanitised path components, relative to the torrent's root (for a multi-file torrent, below `name`). */
  readonly path: readonly string[]
  /** Path components exactly as found in the metainfo, decoded leniently, for display. */
  readonly originalPath: readonly string[]
  readonly length: number
  /** Absolute offset of the file's first byte in the torrent's byte stream. */
  readonly offset: number
  /** BEP 47 attributes (`x`, `h`, `p`, `l`), empty when absent. */
  readonly attr: string
  /** BEP 47 padding file: never written, never shown. */
  readonly padding: boolean
  /** BEP 47 symlink target components, sanitised; absent unless `attr` has `l`. */
  readonly symlinkPath?: readonly string[]
}

/**
 * A parsed .torrent (or fetched metadata): the info dictionary's fields, the
 * file list, the trackers and web seeds. Made by `parseTorrent` (`parseTorrentFile` in Node).
 * @see BEP 3, BEP 12, BEP 19, BEP 27, BEP 47
 */
export interface Torrent {
  /** SHA-1 of the exact bytes of `info` as received. */
  readonly infoHash: Uint8Array
  /** Lower-case hex of `infoHash`. */
  readonly infoHashHex: string
  /** Sanitised name, safe as a single path component. */
  readonly name: string
  readonly pieceLength: number
  readonly pieceCount: number
  /** 20 × pieceCount bytes of SHA-1 hashes. */
  readonly pieceHashes: Uint8Array
  /** Total bytes, padding files included. */
  readonly length: number
  /** `true` for a multi-file torrent (an `info.files` list), even with one file. */
  readonly multiFile: boolean
  readonly files: readonly TorrentFile[]
  /** BEP 12 tiers; when absent, `[[announce]]`. Empty when the torrent has no trackers. */
  readonly announce: readonly (readonly string[])[]
  readonly private: boolean
  /** BEP 19 web seeds. */
  readonly urlList: readonly string[]
  /** BEP 17 HTTP seeds. */
  readonly httpSeeds: readonly string[]
  readonly comment?: string
  readonly createdBy?: string
  readonly creationDate?: number
  /** The exact bytes of the `info` dictionary (for BEP 9 metadata serving). */
  readonly infoBytes: Uint8Array
  /**
   * What was accepted although the strict rules refuse it, as libtorrent
   * accepts it, one line each (`keys out of order in info`, `file renamed:
   * a/bar.txt -> a/bar.1.txt`…). Absent when nothing was.
   */
  readonly tolerated?: readonly string[]
}

/** Geometry helpers over a torrent. */
export function pieceSize (t: Pick<Torrent, 'length' | 'pieceLength' | 'pieceCount'>, index: number): number {
  if (index < t.pieceCount - 1) return t.pieceLength
  return t.length - t.pieceLength * (t.pieceCount - 1)
}

/** The 20-byte SHA-1 of piece `index`, a view into `pieceHashes` (no copy). */
export function pieceHash (t: Pick<Torrent, 'pieceHashes'>, index: number): Uint8Array {
  return t.pieceHashes.subarray(index * 20, index * 20 + 20)
}
