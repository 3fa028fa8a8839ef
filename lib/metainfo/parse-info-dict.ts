/**
 * Validation of a v1 `info` dictionary into the fields of a `Torrent`.
 * Shared by `.torrent` parsing and BEP 9 metadata, so both get the same
 * limits and the same path sanitising.
 * @see BEP 3, BEP 9, BEP 27, BEP 47
 */
import { LIMITS } from '../constants.js'
import { decode } from '../bencode/decode.js'
import { utf8Lenient, utf8OrUndefined } from '../bencode/read-dict.js'
import type { BDict, BValue } from '../bencode/types.js'
import { isBDict } from '../bencode/types.js'
import { MetainfoError } from '../errors.js'
import type { Torrent, TorrentFile } from './types.js'
import { formatInfoHash } from './info-hash.js'
import { sanitizeComponent, sanitizePath, sanitizeSymlinkTarget } from './sanitize-path.js'

/** SHA-1 of one buffer, injected because `lib/` has no crypto. */
export type Sha1 = (data: Uint8Array) => Uint8Array

/** Limits applied while parsing an info dictionary (see {@link parseInfoDict}); defaults in `LIMITS`. */
export interface InfoLimits {
  /** Largest input in bytes, checked before decoding. Default `LIMITS.maxTorrentFileSize` (10 MB). */
  readonly maxSize?: number
  readonly maxBencodeDepth?: number
  readonly maxBencodeTokens?: number
  readonly maxBencodeStringLength?: number
  /** Default `LIMITS.maxPieces`. */
  readonly maxPieces?: number
  /** Default `LIMITS.maxPieceLength` (512 MiB). */
  readonly maxPieceLength?: number
  /** Default `LIMITS.maxFileLength` (2^48). */
  readonly maxFileLength?: number
  /** Default `LIMITS.maxPathDepth`. */
  readonly maxPathDepth?: number
  /** Default `LIMITS.maxPathElementBytes`. */
  readonly maxPathElementBytes?: number
  /**
   * `true` (default) rejects unsorted or duplicate dictionary keys. `false`
   * accepts them; the info-hash is still SHA-1 of the bytes as received.
   */
  readonly strict?: boolean
}

/** The part of a `Torrent` that comes from the `info` dictionary. */
export type InfoFields = Pick<Torrent, 'name' | 'pieceLength' | 'pieceCount' | 'pieceHashes' | 'length' | 'multiFile' | 'files' | 'private'>

const fail = (code: string, message: string, details?: Record<string, unknown>): MetainfoError =>
  new MetainfoError(code, message, details === undefined ? {} : { details })

/**
 * Parse BEP 9 metadata: the bencoded `info` dictionary on its own. The
 * info-hash is `sha1(infoBytes)`; trackers and web seeds are empty. The result
 * keeps views into `infoBytes` (`infoBytes`, `pieceHashes`): do not mutate it.
 * @throws MetainfoError (codes as {@link readInfo}, plus `too-large`, `bad-info`),
 *   BencodeError, PathError `path-too-deep`
 * @see BEP 9
 */
export function parseInfoDict (infoBytes: Uint8Array, sha1: Sha1, options: InfoLimits = {}): Torrent {
  const maxSize = options.maxSize ?? LIMITS.maxTorrentFileSize
  if (infoBytes.length > maxSize) throw fail('too-large', `metadata of ${infoBytes.length} bytes exceeds ${maxSize}`)
  const info = decode(infoBytes, bencodeOptions(options))
  if (!isBDict(info)) throw fail('bad-info', 'info is not a dictionary')
  const infoHash = sha1(infoBytes)
  return {
    infoHash,
    infoHashHex: formatInfoHash(infoHash),
    ...readInfo(info, options),
    announce: [],
    urlList: [],
    httpSeeds: [],
    infoBytes
  }
}

/** Decoder options from metainfo limits. */
export function bencodeOptions (options: InfoLimits): { maxDepth: number, maxTokens: number, maxStringLength: number, strict: boolean, lenientKeys: boolean } {
  return {
    // BEP 52 `piece layers` (in hybrid torrents) is keyed by raw hashes
    lenientKeys: true,
    maxDepth: options.maxBencodeDepth ?? LIMITS.maxBencodeDepth,
    maxTokens: options.maxBencodeTokens ?? LIMITS.maxBencodeTokens,
    maxStringLength: options.maxBencodeStringLength ?? LIMITS.maxBencodeStringLength,
    strict: options.strict ?? true
  }
}

/**
 * Validate a decoded `info` dictionary. Byte strings in the result
 * (`pieceHashes`) are views into the decoded input.
 * @throws MetainfoError `no-name`, `bad-piece-length`, `invalid-hashes`,
 *   `too-many-pieces`, `bad-layout`, `no-files`, `bad-file`, `bad-file-length`,
 *   `missing-path`, `empty-path`, `bad-path`, `total-too-large`, `zero-length`,
 *   `duplicate-path`, `path-conflict`; PathError `path-too-deep`
 * @see BEP 3, BEP 27, BEP 47
 */
export function readInfo (info: BDict, options: InfoLimits = {}): InfoFields {
  const maxPieces = options.maxPieces ?? LIMITS.maxPieces
  const maxPieceLength = options.maxPieceLength ?? LIMITS.maxPieceLength
  const maxFileLength = options.maxFileLength ?? LIMITS.maxFileLength
  const pathOptions = { maxDepth: options.maxPathDepth ?? LIMITS.maxPathDepth, maxElementBytes: options.maxPathElementBytes ?? LIMITS.maxPathElementBytes }

  const nameBytes = preferUtf8(info['name.utf-8'], info.name)
  if (nameBytes === undefined) throw fail('no-name', 'info has no name')
  const originalName = utf8Lenient(nameBytes)
  const name = sanitizeComponent(nameBytes, pathOptions) ?? '_'

  const pieceLength = info['piece length']
  if (typeof pieceLength !== 'number' || !Number.isSafeInteger(pieceLength) || pieceLength <= 0 || pieceLength > maxPieceLength) {
    throw fail('bad-piece-length', `piece length must be an integer in 1..${maxPieceLength}`, { pieceLength: String(pieceLength) })
  }

  const pieces = info.pieces
  if (!(pieces instanceof Uint8Array) || pieces.length % 20 !== 0) throw fail('invalid-hashes', 'pieces is not a multiple of 20 bytes')
  if (pieces.length / 20 > maxPieces) throw fail('too-many-pieces', `more than ${maxPieces} pieces`)

  const files: TorrentFile[] = []
  let total = 0
  const addLength = (length: BValue | undefined, index: number): number => {
    if (typeof length !== 'number' || length < 0 || length > maxFileLength) {
      throw fail('bad-file-length', `file length must be an integer in 0..${maxFileLength}`, { file: index })
    }
    const offset = total
    total += length
    if (total > Number.MAX_SAFE_INTEGER) throw fail('total-too-large', 'total length overflows', { file: index })
    return offset
  }

  const list = info.files
  const multiFile = list !== undefined
  if (multiFile) {
    if (info.length !== undefined) throw fail('bad-layout', 'info has both length and files')
    if (!Array.isArray(list)) throw fail('bad-layout', 'files is not a list')
    if (list.length === 0) throw fail('no-files', 'files is empty')
    list.forEach((entry, index) => {
      if (!isBDict(entry)) throw fail('bad-file', 'file entry is not a dictionary', { file: index })
      const offset = addLength(entry.length, index)
      const raw = preferUtf8Path(entry['path.utf-8'], entry.path, index)
      files.push(makeFile(entry, raw, sanitizePath(raw, pathOptions), entry.length as number, offset, pathOptions))
    })
  } else {
    if (info.length === undefined) throw fail('no-files', 'info has neither length nor files')
    const offset = addLength(info.length, 0)
    files.push(makeFile(info, [nameBytes], [name], info.length as number, offset, pathOptions, false))
  }
  if (total === 0) throw fail('zero-length', 'torrent has no data')

  const pieceCount = Math.ceil(total / pieceLength)
  if (pieceCount > maxPieces) throw fail('too-many-pieces', `${pieceCount} pieces exceed ${maxPieces}`)
  if (pieces.length !== pieceCount * 20) {
    throw fail('invalid-hashes', `pieces holds ${pieces.length / 20} hashes, the files need ${pieceCount}`)
  }
  checkCollisions(files)

  return { name, pieceLength, pieceCount, pieceHashes: pieces, length: total, multiFile, files, private: info.private === 1 }

  function makeFile (entry: BDict, raw: readonly Uint8Array[], path: string[], length: number, offset: number, opts: typeof pathOptions, allowPadding = true): TorrentFile {
    let attr = entry.attr instanceof Uint8Array ? utf8Lenient(entry.attr) : ''
    const padding = allowPadding && attr.includes('p')
    let symlinkPath: string[] | undefined
    if (attr.includes('l')) {
      const target = entry['symlink path']
      const parts = Array.isArray(target) && target.every((t) => t instanceof Uint8Array) ? target as Uint8Array[] : undefined
      symlinkPath = parts === undefined ? undefined : sanitizeSymlinkTarget(parts, opts)
      if (symlinkPath === undefined) attr = attr.replaceAll('l', '')
    }
    const originalPath = multiFile ? raw.map(utf8Lenient) : [originalName]
    const file: TorrentFile = { path, originalPath, length, offset, attr, padding }
    return symlinkPath === undefined ? file : { ...file, symlinkPath }
  }
}

/** `name.utf-8` when it is valid UTF-8, else `name`; `undefined` when neither is a byte string. */
function preferUtf8 (utf8: BValue | undefined, plain: BValue | undefined): Uint8Array | undefined {
  if (utf8 instanceof Uint8Array && utf8OrUndefined(utf8) !== undefined) return utf8
  return plain instanceof Uint8Array ? plain : undefined
}

/** `path.utf-8` when it is a non-empty list of valid UTF-8 strings, else the checked `path`. */
function preferUtf8Path (utf8: BValue | undefined, plain: BValue | undefined, index: number): Uint8Array[] {
  if (Array.isArray(utf8) && utf8.length > 0 && utf8.every((c) => c instanceof Uint8Array && utf8OrUndefined(c) !== undefined)) {
    return utf8 as Uint8Array[]
  }
  if (plain === undefined) throw fail('missing-path', 'file entry has no path', { file: index })
  if (!Array.isArray(plain)) throw fail('bad-path', 'path is not a list', { file: index })
  if (plain.length === 0) throw fail('empty-path', 'path list is empty', { file: index })
  if (!plain.every((c) => c instanceof Uint8Array)) throw fail('bad-path', 'path component is not a byte string', { file: index })
  return plain as Uint8Array[]
}

/**
 * Two files at one sanitised path, or a file where another file needs a
 * directory, are rejected rather than renamed: a renamed file would not match
 * what other clients write. Padding files are never written, so they may repeat.
 */
function checkCollisions (files: readonly TorrentFile[]): void {
  const paths = new Set<string>()
  const dirs = new Set<string>()
  for (const f of files) {
    if (f.padding) continue
    const key = f.path.join('/')
    if (paths.has(key)) throw fail('duplicate-path', `two files at ${key}`, { path: key })
    paths.add(key)
    for (let i = 1; i < f.path.length; i++) dirs.add(f.path.slice(0, i).join('/'))
  }
  for (const key of paths) {
    if (dirs.has(key)) throw fail('path-conflict', `${key} is both a file and a directory`, { path: key })
  }
}
