import { dirname } from 'node:path'
import type { Torrent } from '../../lib/metainfo/types.js'
import { nodeFileSystem, type FileSystemLike } from './file-handle-cache.js'
import { torrentFilePath } from './resolve-inside.js'
import { toStorageError } from './storage-errors.js'

/**
 * Create the directories of every non-padding file and every zero-length
 * file, which no write ever touches. Existing files are left as they are
 * (opened for append, never truncated). Call it when a download completes.
 * Each directory is made once (a 100,000-file torrent in 500 folders makes
 * 500 `mkdir` calls, not 100,000), and one file is open at a time.
 * @throws StorageError `path-escape` (a path outside `dir`), `disk-full`,
 *   `permission` or `io`.
 * @see BEP 3, BEP 47 (padding files are never created)
 */
export async function ensureFiles (torrent: Pick<Torrent, 'name' | 'multiFile' | 'files'>, dir: string, options: { fs?: FileSystemLike } = {}): Promise<void> {
  const fs = options.fs ?? nodeFileSystem
  const made = new Set<string>()
  for (const file of torrent.files) {
    if (file.padding) continue
    const path = torrentFilePath(dir, torrent, file)
    try {
      const parent = dirname(path)
      if (!made.has(parent)) {
        await fs.mkdir(parent, { recursive: true })
        made.add(parent)
      }
      if (file.length === 0) await (await fs.open(path, 'a')).close()
    } catch (e) {
      throw toStorageError(e, path, 'write')
    }
  }
}
