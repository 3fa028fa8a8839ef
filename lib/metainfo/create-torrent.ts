/**
 * Building v1 metainfo from file entries and piece hashes. Hashing and the
 * file system are the caller's (`pipelines/node/create-torrent.ts`); this is
 * the pure part, so it is deterministic for the same input.
 * @see BEP 3, BEP 12, BEP 19, BEP 27
 */
import { encode } from '../bencode/encode.js'
import { compareBytes } from '../bencode/encode.js'
import type { BEncodable } from '../bencode/types.js'
import { LIMITS } from '../constants.js'
import { UsageError } from '../errors.js'

/** The `created by` value written into new torrents. */
export const CREATED_BY = 'rxtorrent/0.1.0'

/** One file of a torrent being created. */
export interface CreateFileEntry {
  /** Components below the torrent's folder; ignored for a single-file torrent. */
  readonly path: readonly string[]
  readonly length: number
}

/** What {@link createInfoDict} needs: the name, the files, the piece length and the piece hashes. */
export interface CreateInfoOptions {
  /** The torrent name: the file name (single file) or the folder name. */
  readonly name: string
  /** `false` for one file given on its own, `true` for a folder (even of one file). */
  readonly multiFile: boolean
  /** In torrent order; for a folder, sorted with {@link compareFilePaths}. */
  readonly files: readonly CreateFileEntry[]
  readonly pieceLength: number
  /** 20 bytes per piece, over the concatenation of the files in order. */
  readonly pieceHashes: Uint8Array
  /** BEP 27: write `private: 1`. */
  readonly private?: boolean
}

/** What {@link createTorrent} needs: the info dictionary's fields and the keys around it. */
export interface CreateTorrentOptions extends CreateInfoOptions {
  /** Tracker URLs, one tier each; `announce` is the first, `announce-list` is written when there are two or more. */
  readonly announce?: readonly string[]
  /** BEP 19 web seeds (`url-list`). */
  readonly webSeeds?: readonly string[]
  readonly comment?: string
  /** Seconds since the epoch; omitted when absent (`lib/` has no clock). */
  readonly creationDate?: number
  /** Default {@link CREATED_BY}. */
  readonly createdBy?: string
}

const utf8 = new TextEncoder()

/**
 * Order of files in a new multi-file torrent: bytewise on the UTF-8 path
 * joined with `/`, as mktorrent orders them, so the same folder gives the
 * same info-hash. Never throws.
 */
export function compareFilePaths (a: readonly string[], b: readonly string[]): number {
  return compareBytes(utf8.encode(a.join('/')), utf8.encode(b.join('/')))
}

/**
 * Encode the `info` dictionary.
 * @throws UsageError `bad-name`, `bad-path`, `no-files`, `bad-length`,
 *   `unsorted-files`, `bad-piece-length`, `bad-hashes` for inconsistent input
 *   (a multi-file `files` list must already be in {@link compareFilePaths} order).
 * @see BEP 3
 */
export function createInfoDict (options: CreateInfoOptions): Uint8Array {
  return encode(buildInfo(options))
}

/**
 * Encode a whole `.torrent`: `announce`, `announce-list` (when more than one
 * tracker), `comment`, `created by`, `creation date`, `url-list`, and `info`.
 * @throws UsageError as {@link createInfoDict}, `bad-url`, `bad-date`
 * @see BEP 3, BEP 12, BEP 19
 */
export function createTorrent (options: CreateTorrentOptions): Uint8Array {
  const trackers = checkUrls(options.announce ?? [])
  const webSeeds = checkUrls(options.webSeeds ?? [])
  if (options.creationDate !== undefined && !Number.isSafeInteger(options.creationDate)) {
    throw new UsageError('bad-date', 'creation date must be an integer number of seconds')
  }
  return encode({
    announce: trackers[0],
    'announce-list': trackers.length > 1 ? trackers.map((t) => [t]) : undefined,
    comment: options.comment,
    'created by': options.createdBy ?? CREATED_BY,
    'creation date': options.creationDate,
    'url-list': webSeeds.length === 0 ? undefined : webSeeds.length === 1 ? webSeeds[0] : webSeeds,
    info: buildInfo(options)
  })
}

function buildInfo (o: CreateInfoOptions): Record<string, BEncodable | undefined> {
  checkComponent(o.name, 'bad-name')
  if (o.files.length === 0) throw new UsageError('no-files', 'a torrent needs at least one file')
  if (!o.multiFile && o.files.length !== 1) throw new UsageError('no-files', 'a single-file torrent has exactly one file')
  if (!Number.isSafeInteger(o.pieceLength) || o.pieceLength <= 0 || o.pieceLength > LIMITS.maxPieceLength) {
    throw new UsageError('bad-piece-length', `piece length must be an integer in 1..${LIMITS.maxPieceLength}`)
  }
  let total = 0
  o.files.forEach((f, i) => {
    if (!Number.isSafeInteger(f.length) || f.length < 0 || f.length > LIMITS.maxFileLength) throw new UsageError('bad-length', `bad length for file ${i}`)
    total += f.length
    if (!o.multiFile) return
    if (f.path.length === 0) throw new UsageError('bad-path', `file ${i} has an empty path`)
    for (const c of f.path) checkComponent(c, 'bad-path')
    const prev = o.files[i - 1]
    if (prev !== undefined && compareFilePaths(prev.path, f.path) >= 0) throw new UsageError('unsorted-files', `file ${i} is out of order or repeated`)
  })
  if (total === 0 || total > Number.MAX_SAFE_INTEGER) throw new UsageError('bad-length', 'total length must be positive')
  const pieceCount = Math.ceil(total / o.pieceLength)
  if (o.pieceHashes.length !== pieceCount * 20) throw new UsageError('bad-hashes', `expected ${pieceCount} piece hashes`)
  const first = o.files[0] as CreateFileEntry
  return {
    files: o.multiFile ? o.files.map((f) => ({ length: f.length, path: [...f.path] })) : undefined,
    length: o.multiFile ? undefined : first.length,
    name: o.name,
    'piece length': o.pieceLength,
    pieces: o.pieceHashes,
    private: o.private === true ? 1 : undefined
  }
}

function checkComponent (c: string, code: string): void {
  if (c === '' || c === '.' || c === '..' || /[/\\\u0000]/.test(c)) throw new UsageError(code, `unusable path component ${JSON.stringify(c)}`)
}

function checkUrls (urls: readonly string[]): string[] {
  const out: string[] = []
  for (const u of urls) {
    const url = u.trim()
    if (url === '') throw new UsageError('bad-url', 'empty URL')
    if (!out.includes(url)) out.push(url)
  }
  return out
}
