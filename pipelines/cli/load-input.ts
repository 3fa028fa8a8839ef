import { LIMITS } from '../../lib/constants.js'
import { UsageError } from '../../lib/errors.js'
import { parseMagnet } from '../../lib/magnet/parse-magnet.js'
import type { Magnet } from '../../lib/magnet/types.js'
import { parseTorrent } from '../../lib/metainfo/parse-torrent.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { sha1 } from '../node/hasher.js'
import type { CliIo } from './cli-io.js'

/** A command's input: a parsed .torrent file or a magnet link. */
export type LoadedInput =
  | { readonly kind: 'torrent', readonly torrent: Torrent }
  | { readonly kind: 'magnet', readonly magnet: Magnet }

/** True for an argument that is a magnet link rather than a file name. */
export function isMagnet (input: string): boolean {
  return /^magnet:/i.test(input)
}

/**
 * Parse a magnet link, or read and parse a .torrent file (its size is checked
 * against `LIMITS.maxTorrentFileSize` before it is read).
 * @throws UsageError `cannot-read` when the file cannot be read; MetainfoError,
 *   BencodeError, PathError, MagnetError for bad input (all disposition `reject`)
 * @see BEP 3, BEP 9
 */
export async function loadInput (input: string, io: CliIo): Promise<LoadedInput> {
  if (isMagnet(input)) return { kind: 'magnet', magnet: parseMagnet(input) }
  let bytes: Uint8Array
  try {
    const size = await io.fileSize(input)
    if (size > LIMITS.maxTorrentFileSize) {
      throw new UsageError('too-large', `${input} is ${size} bytes; a .torrent may be at most ${LIMITS.maxTorrentFileSize}`)
    }
    bytes = await io.readFile(input)
  } catch (e) {
    if (e instanceof UsageError) throw e
    throw new UsageError('cannot-read', `cannot read ${input}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
  return { kind: 'torrent', torrent: parseTorrent(bytes, { sha1, windowsPaths: process.platform === 'win32' }) }
}

/**
 * Load a .torrent file, for commands that need the metadata up front (`seed`);
 * a magnet link is refused with a hint to fetch it first.
 * @throws UsageError `magnet-unsupported`, and as {@link loadInput}
 */
export async function loadTorrent (input: string, io: CliIo): Promise<Torrent> {
  const loaded = await loadInput(input, io)
  if (loaded.kind === 'magnet') {
    throw new UsageError('magnet-unsupported', 'this command needs a .torrent file; fetch one from a magnet link with `rxtorrent info <magnet> --fetch -o file.torrent`')
  }
  return loaded.torrent
}
