/**
 * What a restart may trust. A piece recorded as verified is trusted when
 * every file it touches still has the size and mtime of the record; every
 * piece touching a file that changed (or is gone) is re-checked, whether the
 * record had it or not: data written after the record (a kill -9 between a
 * write and the next save) is verified before it counts, never assumed.
 * @see ADVERSARIAL G63, G64
 */
import { Bitfield } from '../pieces/bitfield.js'
import type { ResumeFile, ResumeRecord } from './resume-data.js'

/** A file of the torrent, as the plan needs it. */
export interface PlanFile {
  readonly offset: number
  readonly length: number
  /** BEP 47 padding: nothing on disk, never changes. */
  readonly padding?: boolean
}

/** The outcome of {@link resumePlan}. */
export interface ResumePlan {
  /** Pieces verified without reading. */
  readonly trusted: Bitfield
  /** Pieces to read and hash (they touch a file that changed since the record). */
  readonly recheck: Bitfield
  /** Indices of the files that changed. */
  readonly changedFiles: readonly number[]
}

/**
 * Compare the record with the files as they are now (`current[i]`
 * undefined: the file is missing).
 * @throws nothing (a record whose file list does not match the torrent is
 *   refused earlier, by `decodeResume`)
 */
export function resumePlan (record: ResumeRecord, current: ReadonlyArray<ResumeFile | undefined>, files: readonly PlanFile[], pieceLength: number): ResumePlan {
  const pieceCount = record.have.length
  const recheck = new Bitfield(pieceCount)
  const changedFiles: number[] = []
  files.forEach((f, i) => {
    if (f.padding === true || f.length === 0) return
    const was = record.files[i]
    const now = current[i]
    if (was !== undefined && now !== undefined && was.size === now.size && was.mtimeMs === now.mtimeMs) return
    changedFiles.push(i)
    const first = Math.floor(f.offset / pieceLength)
    const last = Math.min(pieceCount - 1, Math.floor((f.offset + f.length - 1) / pieceLength))
    for (let p = first; p <= last; p++) recheck.set(p)
  })
  const trusted = record.have.clone()
  for (const p of recheck.indices()) trusted.clear(p)
  return { trusted, recheck, changedFiles }
}
