/**
 * Validation of a v1 `info` dictionary into the fields of a `Torrent`.
 * Shared by `.torrent` parsing and BEP 9 metadata, so both get the same
 * limits and the same path sanitising.
 * @see BEP 3, BEP 9, BEP 27, BEP 47
 */
import { LIMITS } from '../constants.js'
import { decodeWithInfo, type DecodeOptions } from '../bencode/decode.js'
import { utf8Lenient } from '../bencode/read-dict.js'
import type { BDict, BValue } from '../bencode/types.js'
import { isBDict } from '../bencode/types.js'
import { MetainfoError } from '../errors.js'
import type { Torrent } from './types.js'
import { checkHybrid, checkPieceLayers } from './hybrid.js'
import { formatInfoHash } from './info-hash.js'
import { assignOffsets, readAttr, readFileList, readLength, renameCollisions, dropDanglingSymlinks, typeName, type RawFile } from './read-files.js'
import { sanitizeComponent } from './sanitize-path.js'
import { describeTolerated } from './tolerated.js'

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
  /** Where a long path component is cut (see `SanitizeOptions.maxElementBytes`). Default 240, as libtorrent. */
  readonly maxPathElementBytes?: number
  /** Sanitise paths with libtorrent's Windows rules as well (see `SanitizeOptions.windows`). Default `false`. */
  readonly windowsPaths?: boolean
  /**
   * `false` (default) reads as libtorrent does: dictionary keys out of order
   * are accepted, of two equal keys the first is used, bytes after a
   * .torrent's root dictionary are ignored, and integers and string lengths
   * may have leading zeros (`i-0e` too); each is reported in `tolerated`.
   * The info-hash is SHA-1 of the `info` bytes as received. `true` refuses
   * all of them (BencodeError), as for data we write ourselves.
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
  const decoded = decodeWithInfo(infoBytes, { ...bencodeOptions(options), allowTrailing: false })
  const info = decoded.value
  if (!isBDict(info)) throw fail('bad-info', 'info is not a dictionary')
  const infoHash = sha1(infoBytes)
  const infoHashHex = formatInfoHash(infoHash)
  const tolerated = describeTolerated(decoded.tolerated, { start: 0, end: infoBytes.length })
  const fields = readInfo(info, options, { infoHashHex, tolerated })
  return {
    infoHash,
    infoHashHex,
    ...fields,
    announce: [],
    urlList: [],
    httpSeeds: [],
    infoBytes,
    ...(tolerated.length === 0 ? {} : { tolerated })
  }
}

/** Decoder options from metainfo limits: tolerant as libtorrent unless `strict`. */
export function bencodeOptions (options: InfoLimits): DecodeOptions {
  const strict = options.strict ?? false
  return {
    duplicateKeys: 'first',
    allowTrailing: !strict,
    lenientNumbers: !strict,
    // BEP 52 `piece layers` (in hybrid torrents) is keyed by raw hashes
    lenientKeys: true,
    maxDepth: options.maxBencodeDepth ?? LIMITS.maxBencodeDepth,
    maxTokens: options.maxBencodeTokens ?? LIMITS.maxBencodeTokens,
    maxStringLength: options.maxBencodeStringLength ?? LIMITS.maxBencodeStringLength,
    strict
  }
}

/** What `readInfo` needs besides limits. */
export interface ReadInfoContext {
  /** Hex info-hash: the name of a multi-file torrent whose name sanitises to nothing (as libtorrent names it). */
  readonly infoHashHex?: string
  /** Receives one line for each thing tolerated (a renamed file, a symlink's length…). */
  readonly tolerated?: string[]
  /** The torrent's BEP 52 `piece layers` (outside `info`), checked for a hybrid. */
  readonly pieceLayers?: BValue
}

/**
 * Validate a decoded `info` dictionary, as libtorrent 2.0 reads it (see
 * `docs/bep-status.md`). Byte strings in the result (`pieceHashes`) are views
 * into the decoded input.
 * @throws MetainfoError `no-name`, `bad-piece-length`, `invalid-hashes`,
 *   `too-many-pieces`, `no-files`, `bad-file`, `bad-file-length`,
 *   `missing-path`, `bad-path`, `total-too-large`, `zero-length`, and the
 *   hybrid codes of `checkHybrid`, `v2-unsupported` for a v2-only torrent; PathError `path-too-deep`. A field of the
 *   wrong type is one of these codes, never a TypeError.
 * @see BEP 3, BEP 27, BEP 47, BEP 52 (hybrids)
 */
export function readInfo (info: BDict, options: InfoLimits = {}, context: ReadInfoContext = {}): InfoFields {
  const log = context.tolerated ?? []
  const maxPieces = options.maxPieces ?? LIMITS.maxPieces
  const maxPieceLength = options.maxPieceLength ?? LIMITS.maxPieceLength
  const maxFileLength = options.maxFileLength ?? LIMITS.maxFileLength
  const pathOptions = {
    maxDepth: options.maxPathDepth ?? LIMITS.maxPathDepth,
    ...(options.maxPathElementBytes === undefined ? {} : { maxElementBytes: options.maxPathElementBytes }),
    windows: options.windowsPaths === true
  }

  const pieceLength = info['piece length']
  if (typeof pieceLength !== 'number' || pieceLength <= 0 || pieceLength > maxPieceLength) {
    throw fail('bad-piece-length', `piece length must be an integer in 1..${maxPieceLength}, got ${typeof pieceLength === 'number' ? pieceLength : typeName(pieceLength)}`, { pieceLength: typeName(pieceLength) })
  }
  const pieces = info.pieces
  // BEP 52 without the v1 half (a hybrid has both): say what it is rather than "pieces is missing".
  if (pieces === undefined && info['meta version'] === 2) {
    throw fail('v2-unsupported', 'a BitTorrent v2-only torrent (meta version 2, no v1 piece hashes): v2 is not supported yet; a hybrid (v1 + v2) torrent works')
  }
  if (!(pieces instanceof Uint8Array)) throw fail('invalid-hashes', `pieces is ${typeName(pieces)}, not a byte string`)
  if (pieces.length % 20 !== 0) throw fail('invalid-hashes', 'pieces is not a multiple of 20 bytes')
  if (pieces.length / 20 > maxPieces) throw fail('too-many-pieces', `more than ${maxPieces} pieces`)

  // as libtorrent: `files` counts only when it is a list; otherwise `length` is read
  const list = Array.isArray(info.files) ? info.files : undefined
  const multiFile = list !== undefined
  if (info.files !== undefined && !multiFile && info.length !== undefined) log.push(`files is ${typeName(info.files)}, not a list; the single-file length is used`)
  const nameBytes = info['name.utf-8'] instanceof Uint8Array ? info['name.utf-8'] : info.name
  if (!(nameBytes instanceof Uint8Array) || (!multiFile && nameBytes.length === 0)) throw fail('no-name', `info has no name (${typeName(nameBytes)})`)
  let name = sanitizeComponent(nameBytes, pathOptions)
  if (name === undefined && multiFile && context.infoHashHex !== undefined) {
    name = context.infoHashHex
    log.push(`the name "${utf8Lenient(nameBytes)}" is not a usable folder name; the folder is named after the info-hash`)
  }
  if (name === undefined) throw fail('no-name', `the name "${utf8Lenient(nameBytes)}" is not a usable file name`)
  if (name !== context.infoHashHex && name !== utf8Lenient(nameBytes)) log.push(`name renamed: ${utf8Lenient(nameBytes)} -> ${name}`)

  let raw: RawFile[]
  const limits = { maxFileLength, path: pathOptions }
  if (multiFile) {
    if (info.length !== undefined) log.push('info has both length and files; the files are used')
    if (list.length === 0) throw fail('no-files', 'files is empty')
    raw = readFileList(list, name, limits, log)
    // links are checked against the paths as given, before any rename, as libtorrent does
    dropDanglingSymlinks(raw, log)
    renameCollisions(raw, log)
  } else {
    if (info.length === undefined) throw fail('no-files', `info has neither length nor a files list${info.files === undefined ? '' : ` (files is ${typeName(info.files)})`}`)
    const attr = readAttr(info).replaceAll('p', '')
    const length = readLength(info, attr, 0, maxFileLength, log, name)
    // libtorrent takes BitComet's padding-file name as a padding flag even here
    const padding = name.includes('_____padding_file_')
    raw = [{ path: [name], originalPath: [utf8Lenient(nameBytes)], length, attr: attr.replaceAll('l', ''), padding }]
  }
  const { files, total } = assignOffsets(raw)
  if (total === 0) throw fail('zero-length', 'torrent has no data')

  const pieceCount = Math.ceil(total / pieceLength)
  if (pieceCount > maxPieces) throw fail('too-many-pieces', `${pieceCount} pieces exceed ${maxPieces}`)
  if (pieces.length !== pieceCount * 20) {
    throw fail('invalid-hashes', `pieces holds ${pieces.length / 20} hashes, the files need ${pieceCount}`)
  }
  checkPieceLayers(context.pieceLayers, checkHybrid(info, { name, multiFile, pieceLength, files }, pathOptions))
  return { name, pieceLength, pieceCount, pieceHashes: pieces, length: total, multiFile, files, private: typeof info.private === 'number' && info.private !== 0 }
}
