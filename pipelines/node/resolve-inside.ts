import { resolve, sep } from 'node:path'
import { StorageError } from '../../lib/errors.js'
import type { Torrent, TorrentFile } from '../../lib/metainfo/types.js'

/**
 * Join path components onto `dir` and check the result stays strictly inside
 * it (after `path.resolve` collapses `..` and absolute components). Metainfo
 * paths are sanitised by the parser already; this is the last line of defence.
 * @throws StorageError `path-escape` (disposition `reject`) when the path would
 *   land on or outside `dir`, or a component is empty or holds a NUL byte.
 * @see BEP 3, BEP 52 (path safety)
 */
export function resolveInside (dir: string, components: readonly string[]): string {
  const root = resolve(dir)
  const bad = components.length === 0 || components.some(c => c.length === 0 || c.includes('\0'))
  const full = bad ? root : resolve(root, ...components)
  const prefix = root.endsWith(sep) ? root : root + sep
  if (bad || !full.startsWith(prefix)) {
    throw new StorageError('path-escape', `refusing a path outside the download directory: ${JSON.stringify(components)}`, {
      disposition: 'reject',
      details: { dir: root, components: [...components] }
    })
  }
  return full
}

/**
 * Absolute path of a torrent file under the save directory, laid out as
 * libtorrent does (`<dir>/<name>` or `<dir>/<name>/<path…>`), with the name
 * checked to stay inside `dir` and a multi-file torrent's paths checked to
 * stay inside `<dir>/<name>`.
 * @throws StorageError `path-escape` (disposition `reject`)
 * @see BEP 3
 */
export function torrentFilePath (dir: string, torrent: Pick<Torrent, 'name' | 'multiFile'>, file: Pick<TorrentFile, 'path'>): string {
  const base = resolveInside(dir, [torrent.name])
  return torrent.multiFile ? resolveInside(base, file.path) : base
}
