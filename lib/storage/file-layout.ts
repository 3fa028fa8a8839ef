import { StorageError } from '../errors.js'
import type { Torrent, TorrentFile } from '../metainfo/types.js'

/** The part of a file list that the layout needs: files in torrent order, contiguous. */
export interface LayoutFile {
  readonly length: number
  /** Absolute offset of the file's first byte in the torrent's byte stream. */
  readonly offset: number
  /** BEP 47 padding file: writes skip it, reads return zeros. */
  readonly padding?: boolean
}

/** One piece of a torrent byte range that falls inside one file. */
export interface FileSegment {
  /** Index of the file in the file list. */
  readonly file: number
  /** Offset of the segment's first byte inside the file. */
  readonly fileOffset: number
  readonly length: number
  /** Offset of the segment's first byte inside the caller's buffer (relative to the range start). */
  readonly bufferOffset: number
  /** True for a BEP 47 padding file: never written, reads as zeros. */
  readonly padding: boolean
}

/**
 * Map the absolute torrent byte range `[offset, offset + length)` onto files.
 * Files must be in torrent order with contiguous offsets (as the metainfo
 * parser produces them). Zero-length files never appear in the result;
 * padding files do, flagged `padding: true`. A zero-length range maps to `[]`.
 * Finds the first file by binary search, so the cost is O(log files + segments).
 * @throws StorageError `out-of-range` when the range is negative, not an
 *   integer, or runs past the end of the last file.
 * @see BEP 3 (files are concatenated in order), BEP 47 (padding files)
 */
export function mapRange (files: readonly LayoutFile[], offset: number, length: number): FileSegment[] {
  const total = layoutLength(files)
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > total) {
    throw new StorageError('out-of-range', `range ${offset}+${length} is outside the torrent (${total} bytes)`, {
      details: { offset, length, total }
    })
  }
  const out: FileSegment[] = []
  if (length === 0) return out
  let i = firstFileAt(files, offset)
  let pos = offset
  const end = offset + length
  while (pos < end) {
    const f = files[i] as LayoutFile
    i++
    if (f.length === 0) continue
    const inFile = pos - f.offset
    const n = Math.min(f.length - inFile, end - pos)
    out.push({ file: i - 1, fileOffset: inFile, length: n, bufferOffset: pos - offset, padding: f.padding === true })
    pos += n
  }
  return out
}

/** Total bytes covered by a file list (end of the last file; 0 when empty). */
export function layoutLength (files: readonly LayoutFile[]): number {
  const last = files[files.length - 1]
  return last === undefined ? 0 : last.offset + last.length
}

/** Index of the last file whose offset is ≤ `pos`; with contiguous files, the non-empty file holding `pos`. */
function firstFileAt (files: readonly LayoutFile[], pos: number): number {
  let lo = 0
  let hi = files.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1
    if ((files[mid] as LayoutFile).offset <= pos) lo = mid
    else hi = mid - 1
  }
  return lo
}

/**
 * Path components of a file under the save directory, as libtorrent lays a
 * torrent out: a single-file torrent is `[name]`; a multi-file torrent is
 * `[name, ...file.path]`. Components come from the (already sanitised)
 * metainfo; callers joining them onto a directory still check the result
 * stays inside it.
 * @see BEP 3 (info.name, info.files[].path)
 */
export function filePath (torrent: Pick<Torrent, 'name' | 'multiFile'>, file: Pick<TorrentFile, 'path'>): string[] {
  return torrent.multiFile ? [torrent.name, ...file.path] : [torrent.name]
}
