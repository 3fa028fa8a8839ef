import { StorageError } from '../../lib/errors.js'
import { errno } from './file-handle-cache.js'

/**
 * Map a file-system failure onto a typed StorageError:
 * `ENOENT` on read → `missing` (disposition `ignore`: the data is simply not
 * there, a recheck counts the piece as not had); `ENOSPC`/`EDQUOT` →
 * `disk-full`; `EACCES`/`EPERM`/`EROFS` → `permission`; anything else → `io`
 * (all `fatal`). StorageErrors and aborts pass through unchanged.
 * @see ADVERSARIAL G61, G68
 */
export function toStorageError (e: unknown, path: string, op: 'read' | 'write'): unknown {
  if (e instanceof StorageError) return e
  if (e instanceof Error && e.name === 'AbortError') return e
  const code = errno(e)
  const details = { path, op, errno: code }
  if (code === 'ENOENT' && op === 'read') {
    return new StorageError('missing', `${path} does not exist`, { disposition: 'ignore', cause: e, details })
  }
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new StorageError('disk-full', `no space left writing ${path}`, { cause: e, details })
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new StorageError('permission', `permission denied on ${path}`, { cause: e, details })
  }
  const why = e instanceof Error ? e.message : String(e)
  return new StorageError('io', `${op} failed on ${path}: ${why}`, { cause: e, details })
}
