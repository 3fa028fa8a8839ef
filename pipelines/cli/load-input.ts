import { LIMITS } from '../../lib/constants.js'
import { BencodeError, MetainfoError, PathError, UsageError } from '../../lib/errors.js'
import { parseMagnet } from '../../lib/magnet/parse-magnet.js'
import type { Magnet } from '../../lib/magnet/types.js'
import { parseTorrent } from '../../lib/metainfo/parse-torrent.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { sha1 } from '../node/hasher.js'
import type { CliIo } from './cli-io.js'
import { fetchTorrentFile, isHttpUrl } from './fetch-torrent-file.js'
import { warningLine } from './progress.js'
import type { ProgressReporter } from './progress-reporter.js'

/** A command's input: a parsed .torrent file or a magnet link. */
export type LoadedInput =
  | { readonly kind: 'torrent', readonly torrent: Torrent }
  | { readonly kind: 'magnet', readonly magnet: Magnet }

/** True for an argument that is a magnet link rather than a file name. */
export function isMagnet (input: string): boolean {
  return /^magnet:/i.test(input)
}

/** Options of {@link loadInput}. */
export interface LoadInputOptions {
  /** Print a `rxtorrent: warning:` line on stderr for each thing the .torrent needed tolerated. Default `true`. */
  readonly warn?: boolean
}

/**
 * Parse a magnet link, or read and parse a .torrent file (its size is checked
 * against `LIMITS.maxTorrentFileSize` before it is read) or fetch one from an
 * `http(s)://` URL (same limit, see {@link fetchTorrentFile}). A .torrent is read
 * as libtorrent reads it; what had to be tolerated is printed as warnings
 * (see {@link printTolerated}) unless `warn` is false.
 * @throws UsageError `cannot-read` when the file cannot be read, `not-a-torrent`
 *   when it is not bencode, `cannot-fetch` for a URL refused; MetainfoError,
 *   PathError (named after the file), MagnetError for bad input (all exit 2);
 *   RxTorrentError `cannot-fetch` (exit 1) when a URL cannot be reached
 * @see BEP 3, BEP 9
 */
export async function loadInput (input: string, io: CliIo, options: LoadInputOptions = {}): Promise<LoadedInput> {
  if (isMagnet(input)) return { kind: 'magnet', magnet: parseMagnet(input) }
  const bytes = isHttpUrl(input) ? await fetchTorrentFile(input) : await readTorrentFile(input, io)
  let torrent: Torrent
  try {
    torrent = parseTorrent(bytes, { sha1, windowsPaths: process.platform === 'win32' })
  } catch (e) {
    throw namingTheFile(input, e)
  }
  if (options.warn !== false) printTolerated(torrent, input, io)
  return { kind: 'torrent', torrent }
}

/** A .torrent file's bytes, its size checked against `LIMITS.maxTorrentFileSize` first. @throws UsageError `too-large`, `cannot-read` */
async function readTorrentFile (input: string, io: CliIo): Promise<Uint8Array> {
  try {
    const size = await io.fileSize(input)
    if (size > LIMITS.maxTorrentFileSize) {
      throw new UsageError('too-large', `${input} is ${size} bytes; a .torrent may be at most ${LIMITS.maxTorrentFileSize}`)
    }
    return await io.readFile(input)
  } catch (e) {
    if (e instanceof UsageError) throw e
    throw new UsageError('cannot-read', `cannot read ${input}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
}

/**
 * A parse error that names the file: bytes that are not bencode are
 * `<file> is not a torrent file: …` (UsageError `not-a-torrent`); metainfo
 * that cannot be used keeps its class and code, its message prefixed with
 * the file (`<file> is not a valid torrent file: …`, or `<file>: …` for a
 * v2-only torrent, which is a torrent, just not one we read yet).
 */
function namingTheFile (input: string, e: unknown): unknown {
  if (e instanceof BencodeError) {
    return new UsageError('not-a-torrent', `${input} is not a torrent file: ${e.message}`, { cause: e, details: { file: input, ...e.details } })
  }
  if (e instanceof MetainfoError) {
    const message = e.code === 'v2-unsupported' ? `${input}: ${e.message}` : `${input} is not a valid torrent file: ${e.message}`
    return new MetainfoError(e.code, message, { cause: e, disposition: e.disposition, details: { file: input, ...e.details } })
  }
  if (e instanceof PathError) {
    return new PathError(e.code, `${input}: ${e.message}`, { cause: e, disposition: e.disposition, details: { file: input, ...e.details } })
  }
  return e
}

/**
 * One `rxtorrent: warning: <source>: <what>` line on stderr per entry of
 * `torrent.tolerated` (control and bidi characters escaped by `warningLine`).
 */
export function printTolerated (torrent: Torrent, source: string, io: CliIo): void {
  for (const line of torrent.tolerated ?? []) {
    io.stderr.write(warningLine({ type: 'warning', message: `${source}: ${line}` }) + '\n')
  }
}

/**
 * Each entry of `torrent.tolerated` as a warning: a `{"type":"warning"}`
 * record on stdout with `--json`, else a `rxtorrent: warning:` line on stderr
 * (with `--quiet` too: it is about the user's own file).
 */
export function reportTolerated (torrent: Torrent, source: string, reporter: ProgressReporter, io: CliIo): void {
  if (reporter.mode !== 'json') { printTolerated(torrent, source, io); return }
  for (const line of torrent.tolerated ?? []) reporter.warning({ type: 'warning', message: `${source}: ${line}` })
}


/**
 * Load a .torrent file, for commands that need the metadata up front (`seed`);
 * a magnet link is refused with a hint to fetch it first.
 * @throws UsageError `magnet-unsupported`, and as {@link loadInput}
 */
export async function loadTorrent (input: string, io: CliIo, options: LoadInputOptions = {}): Promise<Torrent> {
  const loaded = await loadInput(input, io, options)
  if (loaded.kind === 'magnet') {
    throw new UsageError('magnet-unsupported', 'this command needs a .torrent file; fetch one from a magnet link with `rxtorrent info <magnet> --fetch -o file.torrent`')
  }
  return loaded.torrent
}
