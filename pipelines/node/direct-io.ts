import { constants } from 'node:fs'
import { mkdir, open } from 'node:fs/promises'
import { DIRECT_IO_ALIGNMENT, isAligned } from './aligned-memory.js'
import type { FileSystemLike } from './file-handle-cache.js'

/** `O_DIRECT` where the platform has it (Linux), else `undefined`. */
export const O_DIRECT: number | undefined = (constants as { O_DIRECT?: number }).O_DIRECT

/** How a file system says it does not do direct I/O (at the open or the write). */
export const DIRECT_REFUSALS = new Set(['EINVAL', 'EOPNOTSUPP', 'ENOTSUP'])

/** `node:fs/promises` opening files for direct writes (`O_DIRECT`, write-only). */
export function directFileSystem (oDirect: number): FileSystemLike {
  const flags = {
    r: constants.O_RDONLY,
    'r+': constants.O_WRONLY,
    'wx+': constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
    a: constants.O_WRONLY | constants.O_APPEND
  }
  return { open: async (path, f) => await open(path, flags[f] | oDirect), mkdir }
}

/**
 * How many bytes from the start of `view` may be written directly at file
 * offset `position`: the whole multiple of {@link DIRECT_IO_ALIGNMENT} when
 * the memory and the offset are aligned, else 0.
 */
export function directSpan (view: Uint8Array, position: number): number {
  if (position % DIRECT_IO_ALIGNMENT !== 0 || !isAligned(view)) return 0
  return view.length - (view.length % DIRECT_IO_ALIGNMENT)
}
