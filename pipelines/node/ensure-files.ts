import { dirname } from 'node:path'
import type { Torrent } from '../../lib/metainfo/types.js'
import { nodeFileSystem, type FileSystemLike } from './file-handle-cache.js'
import { torrentFilePath } from './resolve-inside.js'
import { toStorageError } from './storage-errors.js'

/**
 * Create the directories of every non-padding file and every zero-length
 * file, which no write ever touches. Existing files are left as they are
 * (opened for append, never truncated). Call it when a download completes.
 * @throws StorageError `path-escape` (a path outside `dir`), `disk-full`,
 *   `permission` or `io`.
 * @see BEP 3, BEP 47 (padding files are never created)
 */
export async function ensureFiles (torrent: Pick<Torrent, 'name' | 'multiFile' | 'files'>, dir: string, options: { fs?: FileSystemLike } = {}): Promise<void> {
  const fs = options.fs ?? nodeFileSystem
  for (const file of torrent.files) {
    if (file.padding) continue
    const path = torrentFilePath(dir, torrent, file)
    try {
      await fs.mkdir(dirname(path), { recursive: true })
      if (file.length === 0) await (await fs.open(path, 'a')).close()
    } catch (e) {
      throw toStorageError(e, path, 'write')
    }
  }
}
