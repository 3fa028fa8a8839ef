/**
 * Resume data: what a session keeps of a torrent between runs so that a
 * restart need not re-read its data. One bencoded record per torrent: the
 * info-hash, the verified-pieces bitfield, and each file's size and mtime
 * when the record was written. Reading a record is checking it: a record
 * for another torrent, a truncated or garbled one, or a bitfield of the
 * wrong length is refused with a typed error (the caller re-checks
 * everything); a file whose size or mtime changed has its pieces re-checked,
 * the rest are trusted.
 * @see ADVERSARIAL G62-G65, J
 */
import { decode, encode, isBDict, type BDict } from '../bencode/index.js'
import { RxTorrentError } from '../errors.js'
import { Bitfield } from '../pieces/bitfield.js'

/** Version of the record format this code writes and reads. */
export const RESUME_FORMAT_VERSION = 1
const FORMAT = 'rxtorrent resume data'

/** A file's identity on disk when the record was written. */
export interface ResumeFile {
  /** Bytes on disk (may be less than the torrent file's length while downloading). */
  readonly size: number
  /** Modification time, whole milliseconds since the epoch. */
  readonly mtimeMs: number
}

/** What the session records of one torrent. */
export interface ResumeRecord {
  readonly infoHash: Uint8Array
  /** Pieces verified and written before the record was made. */
  readonly have: Bitfield
  /** Every file of the torrent, in torrent order (padding files included). */
  readonly files: readonly ResumeFile[]
  /** When the record was made (ms since the epoch), for the user. */
  readonly savedAt: number
}

/** Refused resume data: the torrent is re-checked in full. */
export class ResumeDataError extends RxTorrentError {
  override name = 'ResumeDataError'
  constructor (code: string, message: string) {
    super(code, message, { disposition: 'reject' })
  }
}

/** The record as bytes (bencoded, keys sorted). */
export function encodeResume (record: ResumeRecord): Uint8Array {
  return encode({
    format: FORMAT,
    version: RESUME_FORMAT_VERSION,
    'info-hash': record.infoHash,
    pieces: record.have.bytes,
    'piece-count': record.have.length,
    files: record.files.map((f) => ({ size: f.size, mtime: f.mtimeMs })),
    'saved-at': record.savedAt
  })
}

/** What a torrent looks like to the reader of a record. */
export interface ResumeTarget {
  readonly infoHash: Uint8Array
  readonly pieceCount: number
  readonly fileCount: number
}

/**
 * Read and check a record for `target`.
 * @throws ResumeDataError `resume-garbled` (not a record of ours),
 *   `resume-version`, `resume-other-torrent`, `resume-bitfield` (wrong
 *   length or spare bits), `resume-files` (another file count or bad
 *   numbers)
 */
export function decodeResume (bytes: Uint8Array, target: ResumeTarget): ResumeRecord {
  let d: BDict
  try {
    const v = decode(bytes)
    if (!isBDict(v)) throw new Error('not a dictionary')
    d = v
  } catch (e) {
    throw new ResumeDataError('resume-garbled', `resume data is not readable: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (text(d.format) !== FORMAT) throw new ResumeDataError('resume-garbled', 'resume data is not an rxtorrent record')
  if (d.version !== RESUME_FORMAT_VERSION) throw new ResumeDataError('resume-version', `resume data version ${String(d.version)} is not ${RESUME_FORMAT_VERSION}`)
  const ih = d['info-hash']
  if (!(ih instanceof Uint8Array) || !equal(ih, target.infoHash)) throw new ResumeDataError('resume-other-torrent', 'resume data is for another torrent')
  const have = readBitfield(d, target.pieceCount)
  const files = readFiles(d.files, target.fileCount)
  const savedAt = typeof d['saved-at'] === 'number' ? d['saved-at'] : 0
  return { infoHash: ih, have, files, savedAt }
}

function readBitfield (d: BDict, pieceCount: number): Bitfield {
  const bits = d.pieces
  if (d['piece-count'] !== pieceCount || !(bits instanceof Uint8Array) || bits.length !== Math.ceil(pieceCount / 8)) {
    throw new ResumeDataError('resume-bitfield', `resume data's bitfield does not fit ${pieceCount} pieces`)
  }
  try {
    return Bitfield.fromWire(bits, pieceCount)
  } catch {
    throw new ResumeDataError('resume-bitfield', 'resume data\'s bitfield has spare bits set')
  }
}

function readFiles (value: unknown, fileCount: number): ResumeFile[] {
  if (!Array.isArray(value) || value.length !== fileCount) throw new ResumeDataError('resume-files', `resume data does not list the torrent's ${fileCount} files`)
  return value.map((f: unknown) => {
    const size = isBDict(f) ? f.size : undefined
    const mtime = isBDict(f) ? f.mtime : undefined
    if (typeof size !== 'number' || typeof mtime !== 'number' || size < 0 || !Number.isSafeInteger(size) || !Number.isSafeInteger(mtime)) {
      throw new ResumeDataError('resume-files', 'resume data lists a file without a size and mtime')
    }
    return { size, mtimeMs: mtime }
  })
}

function text (v: unknown): string | undefined {
  if (!(v instanceof Uint8Array)) return undefined
  let s = ''
  for (const b of v) s += String.fromCharCode(b)
  return s
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
