/**
 * `.torrent` file parsing (v1 metainfo).
 * @see BEP 3, BEP 12, BEP 17, BEP 19, BEP 27, BEP 47
 */
import { LIMITS } from '../constants.js'
import { decodeWithInfo } from '../bencode/decode.js'
import { optionalInt, optionalString } from '../bencode/read-dict.js'
import { isBDict } from '../bencode/types.js'
import { MetainfoError } from '../errors.js'
import type { Torrent } from './types.js'
import { formatInfoHash } from './info-hash.js'
import { bencodeOptions, readInfo, type InfoLimits, type Sha1 } from './parse-info-dict.js'
import { describeTolerated } from './tolerated.js'
import { parseAnnounceTiers, parseHttpSeeds, parseUrlList } from './trackers.js'

/** Options of {@link parseTorrent}: the SHA-1 function and the limits. */
export interface ParseTorrentOptions extends InfoLimits {
  /** SHA-1 of one buffer (`lib/` has no crypto): in Node, `(d) => createHash('sha1').update(d).digest()`. */
  readonly sha1: Sha1
}

/**
 * Parse and validate a `.torrent` file, accepting what libtorrent accepts
 * (keys out of order, a trailing newline, colliding names renamed…; each
 * listed in `tolerated`) unless `strict`. The size limit is checked before
 * decoding; the info-hash is SHA-1 of the `info` bytes exactly as they appear
 * in the file. The result owns its bytes: `infoBytes` is a copy and
 * `pieceHashes` a view into it, so `bytes` may be reused afterwards.
 *
 * Trackers: `announce-list` wins over `announce` when it has a usable entry
 * (BEP 12); entries that are not UTF-8 strings or are empty are dropped and
 * duplicates removed. `private` is true only for `private: 1` in `info`
 * (BEP 27). `url-list` may be a string or a list (BEP 19).
 *
 * @throws MetainfoError `too-large`, `not-a-dict`, `no-info`, `bad-info`, and
 *   every code of `readInfo`; BencodeError for malformed or over-limit
 *   bencode; PathError `path-too-deep`
 * @see BEP 3
 */
export function parseTorrent (bytes: Uint8Array, options: ParseTorrentOptions): Torrent {
  const maxSize = options.maxSize ?? LIMITS.maxTorrentFileSize
  if (bytes.length > maxSize) throw new MetainfoError('too-large', `torrent of ${bytes.length} bytes exceeds ${maxSize}`)
  const decoded = decodeWithInfo(bytes, bencodeOptions(options))
  const { value, infoRange } = decoded
  if (!isBDict(value)) throw new MetainfoError('not-a-dict', 'a torrent is a dictionary')
  if (value.info === undefined || infoRange === undefined) throw new MetainfoError('no-info', 'torrent has no info dictionary')
  if (!isBDict(value.info)) throw new MetainfoError('bad-info', 'info is not a dictionary')

  const infoBytes = bytes.slice(infoRange.start, infoRange.end)
  const infoHash = options.sha1(infoBytes)
  const infoHashHex = formatInfoHash(infoHash)
  const tolerated = describeTolerated(decoded.tolerated, infoRange)
  const fields = readInfo(value.info, options, { infoHashHex, tolerated, pieceLayers: value['piece layers'] })
  const hashesAt = fields.pieceHashes.byteOffset - bytes.byteOffset - infoRange.start
  const pieceHashes = infoBytes.subarray(hashesAt, hashesAt + fields.pieceHashes.length)

  const comment = optionalString(value, 'comment.utf-8') ?? optionalString(value, 'comment')
  const createdBy = optionalString(value, 'created by')
  const creationDate = optionalInt(value, 'creation date')
  return {
    infoHash,
    infoHashHex,
    ...fields,
    pieceHashes,
    announce: parseAnnounceTiers(value),
    urlList: parseUrlList(value['url-list']),
    httpSeeds: parseHttpSeeds(value.httpseeds),
    ...(comment === undefined ? {} : { comment }),
    ...(createdBy === undefined ? {} : { createdBy }),
    ...(creationDate === undefined ? {} : { creationDate }),
    infoBytes,
    ...(tolerated.length === 0 ? {} : { tolerated })
  }
}
