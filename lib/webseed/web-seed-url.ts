import { UsageError } from '../errors.js'
import type { Torrent, TorrentFile } from '../metainfo/types.js'

const utf8 = new TextEncoder()
const HEX = '0123456789ABCDEF'

/** True for the RFC 3986 unreserved characters `A-Z a-z 0-9 - . _ ~`. */
function isUnreserved (b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) ||
    b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e
}

/**
 * Percent-encode one path component: its UTF-8 bytes, every byte outside the
 * RFC 3986 unreserved set written as `%XX` (upper-case hex). Unlike
 * `encodeURIComponent`, `!'()*` are encoded too. Never throws (lone
 * surrogates become U+FFFD).
 * @see BEP 19, RFC 3986 §2.3
 */
export function percentEncodeComponent (component: string): string {
  let out = ''
  for (const b of utf8.encode(component)) {
    out += isUnreserved(b) ? String.fromCharCode(b) : '%' + HEX[b >> 4] + HEX[b & 15]
  }
  return out
}

/**
 * The URL of file `fileIndex` on the web seed `base` (GetRight style).
 * Single-file torrent: a base ending in `/` gets the file name appended,
 * any other base is the file itself. Multi-file torrent: base (a `/` added
 * when missing) + torrent name + `/` + the file's path components. Path
 * components are the file's `originalPath` (the names as the metainfo holds
 * them, which is what the server has), each percent-encoded.
 *
 * The torrent name of a multi-file torrent is the (sanitised) `name`, since
 * `Torrent` keeps no unsanitised copy of it; they only differ for names that
 * sanitising had to change.
 * @throws UsageError `bad-url` for an empty base, `bad-file-index` when
 *   `fileIndex` is not a file of the torrent.
 * @see BEP 19
 */
export function webSeedFileUrl (base: string, torrent: Pick<Torrent, 'name' | 'multiFile' | 'files'>, fileIndex: number): string {
  if (base === '') throw new UsageError('bad-url', 'empty web seed URL')
  const file: TorrentFile | undefined = Number.isInteger(fileIndex) ? torrent.files[fileIndex] : undefined
  if (file === undefined) {
    throw new UsageError('bad-file-index', `no file ${fileIndex} in a torrent of ${torrent.files.length} files`, { details: { fileIndex } })
  }
  if (!torrent.multiFile) {
    if (!base.endsWith('/')) return base
    return base + percentEncodeComponent(file.originalPath[0] ?? torrent.name)
  }
  const parts = [torrent.name, ...file.originalPath].map(percentEncodeComponent)
  return (base.endsWith('/') ? base : base + '/') + parts.join('/')
}
