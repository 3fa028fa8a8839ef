/** Positional reads and writes of whole ranges, for the file storage's file segments. */
import { writeSync } from 'node:fs'
import { StorageError } from '../../lib/errors.js'
import type { FileHandleLike } from './file-handle-cache.js'

/** Largest single write in `'inline'` mode: a piece is written in steps of this size. */
export const INLINE_WRITE_BYTES = 64 * 1024

/** Wait for every promise; then reject with the first failure, if any. */
export async function settleAll (ps: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(ps)
  for (const r of results) if (r.status === 'rejected') throw r.reason
}

/** Views covering `[start, start + length)` of the concatenation of `chunks`; no copy. */
export function sliceChunks (chunks: readonly Uint8Array[], start: number, length: number): Uint8Array[] {
  const out: Uint8Array[] = []
  let skip = start
  let left = length
  for (const c of chunks) {
    if (left === 0) break
    if (skip >= c.length) { skip -= c.length; continue }
    const n = Math.min(c.length - skip, left)
    out.push(c.subarray(skip, skip + n))
    left -= n
    skip = 0
  }
  return out
}

/**
 * Write `views` at `position` with synchronous `pwrite`s of at most
 * {@link INLINE_WRITE_BYTES} each. Throws the system error of a failed write
 * (`ENOSPC`, `EIO`…) or StorageError `io` when a write makes no progress.
 */
export function writeInline (fd: number, views: readonly Uint8Array[], position: number): void {
  let pos = position
  for (const v of views) {
    let done = 0
    while (done < v.length) {
      const n = writeSync(fd, v, done, Math.min(INLINE_WRITE_BYTES, v.length - done), pos)
      if (n <= 0) throw new StorageError('io', 'write made no progress', { details: { position: pos } })
      done += n
      pos += n
    }
  }
}

/** Write `views` at `position` through `h.writev`, again from where a short write stopped. Throws the system error, or StorageError `io` when a write makes no progress. */
export async function writeFully (h: FileHandleLike, views: Uint8Array[], position: number): Promise<void> {
  let left = 0
  for (const v of views) left += v.length
  let pos = position
  while (left > 0) {
    const { bytesWritten } = await h.writev(views, pos)
    if (bytesWritten <= 0) throw new StorageError('io', 'write made no progress', { details: { position: pos } })
    left -= bytesWritten
    pos += bytesWritten
    if (left > 0) views = sliceChunks(views, bytesWritten, left)
  }
}

/** Fill `into` from `position`. Throws StorageError `short` (disposition `ignore`) when the file ends first. */
export async function readFully (h: FileHandleLike, into: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0
  while (done < into.length) {
    const { bytesRead } = await h.read(into, done, into.length - done, position + done)
    if (bytesRead <= 0) {
      throw new StorageError('short', `${path} ends before byte ${position + into.length}`, {
        disposition: 'ignore',
        details: { path, position, length: into.length, got: done }
      })
    }
    done += bytesRead
  }
}
