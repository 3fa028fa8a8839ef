import type { Magnet } from '../../lib/magnet/types.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { filePath } from '../../lib/storage/file-layout.js'
import { formatAddress } from '../../lib/transport/types.js'
import { RxTorrentError, UsageError } from '../../lib/errors.js'
import { parsePeer, parseStrict, positionals } from './args.js'
import type { CliIo } from './cli-io.js'
import { EXIT } from './exit-codes.js'
import { loadInput, printTolerated } from './load-input.js'
import { formatBytes } from './progress.js'
import { INFO_USAGE } from './usage.js'

/**
 * `rxtorrent info <file.torrent|magnet> [--json] [--scrape]`: describe a
 * torrent or a magnet link on stdout. Resolves 0; with `--scrape` the
 * trackers are scraped too (a `scrape` array in JSON) and it resolves 1 when
 * none answered.
 * @throws UsageError for bad flags; MetainfoError, BencodeError, MagnetError for bad input
 * @see BEP 3, BEP 9, BEP 12, BEP 19, BEP 27, BEP 47
 */
export async function infoCommand (argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals: pos } = parseStrict({
    args: [...argv],
    options: {
      json: { type: 'boolean' },
      scrape: { type: 'boolean' },
      fetch: { type: 'boolean' },
      peer: { type: 'string', multiple: true },
      output: { type: 'string', short: 'o' },
      'timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    allowPositionals: true,
    strict: true
  })
  if (values.help === true) { io.stdout.write(INFO_USAGE); return EXIT.OK }
  const [input] = positionals(pos, ['a .torrent file or magnet link']) as [string]
  let loaded = await loadInput(input, io, { warn: false })
  if (values.fetch === true || values.output !== undefined) {
    if (loaded.kind !== 'magnet') throw new UsageError('bad-args', '--fetch and -o need a magnet link')
    // BEP 9: the metadata from the magnet's peers, --peer and its trackers.
    const { fetchMetadata } = await import('../magnet-metadata.js')
    const seconds = values.timeout === undefined ? 60 : Number(values.timeout)
    if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError('bad-args', `--timeout must be a positive number of seconds, got ${values.timeout}`)
    const fetched = await fetchMetadata(loaded.magnet.infoHash, {
      peers: [...loaded.magnet.peers, ...(values.peer ?? []).map(parsePeer)],
      trackers: loaded.magnet.trackers.map((t) => [t]),
      signal: AbortSignal.timeout(seconds * 1000)
    }).catch((e: unknown) => {
      if (e instanceof Error && e.name === 'TimeoutError' && !(e instanceof RxTorrentError)) throw new RxTorrentError('metadata-timeout', `no metadata within ${seconds} s`, { disposition: 'fatal' })
      throw e
    })
    if (values.output !== undefined) await io.writeFile(values.output, fetched.torrentFile)
    loaded = { kind: 'torrent', torrent: fetched.torrent }
  }
  const record = loaded.kind === 'torrent' ? torrentInfo(loaded.torrent) : magnetInfo(loaded.magnet)
  // --json carries what was tolerated in the record; text mode warns on stderr
  if (loaded.kind === 'torrent' && values.json !== true) printTolerated(loaded.torrent, input, io)
  if (values.scrape === true) {
    const { scrapeInput, formatScrape, anyAnswered } = await import('./scrape.js')
    const scraped = await scrapeInput(loaded)
    io.stdout.write(values.json === true ? JSON.stringify({ ...record, scrape: scraped.trackers }) + '\n' : formatInfo(record) + formatScrape(scraped))
    return anyAnswered(scraped) ? EXIT.OK : EXIT.FAILURE
  }
  io.stdout.write(values.json === true ? JSON.stringify(record) + '\n' : formatInfo(record))
  return EXIT.OK
}

/** What `info --json` prints for a .torrent. Padding files are left out. */
export interface TorrentInfoRecord {
  readonly type: 'torrent'
  readonly name: string
  readonly infoHash: string
  readonly length: number
  readonly pieceLength: number
  readonly pieceCount: number
  readonly private: boolean
  readonly files: readonly { readonly path: string, readonly length: number }[]
  readonly trackers: readonly (readonly string[])[]
  readonly webSeeds: readonly string[]
  readonly comment?: string
  readonly createdBy?: string
  readonly creationDate?: number
  /** What had to be tolerated to read the torrent as libtorrent does (absent when nothing). */
  readonly tolerated?: readonly string[]
}

/** What `info --json` prints for a magnet link. */
export interface MagnetInfoRecord {
  readonly type: 'magnet'
  readonly infoHash: string
  readonly name?: string
  readonly trackers: readonly string[]
  readonly webSeeds: readonly string[]
  readonly peers: readonly string[]
  /** What the parser tolerated (see `Magnet.warnings`); absent when nothing was. */
  readonly warnings?: readonly string[]
}

/** The info record of a torrent: file paths as laid out on disk (`name/…`), padding hidden. */
export function torrentInfo (t: Torrent): TorrentInfoRecord {
  return {
    type: 'torrent',
    name: t.name,
    infoHash: t.infoHashHex,
    length: t.length,
    pieceLength: t.pieceLength,
    pieceCount: t.pieceCount,
    private: t.private,
    files: t.files.filter(f => !f.padding).map(f => ({ path: filePath(t, f).join('/'), length: f.length })),
    trackers: t.announce,
    webSeeds: t.urlList,
    ...(t.comment === undefined ? {} : { comment: t.comment }),
    ...(t.createdBy === undefined ? {} : { createdBy: t.createdBy }),
    ...(t.creationDate === undefined ? {} : { creationDate: t.creationDate }),
    ...(t.tolerated === undefined || t.tolerated.length === 0 ? {} : { tolerated: t.tolerated })
  }
}

/** The info record of a magnet link. */
export function magnetInfo (m: Magnet): MagnetInfoRecord {
  return {
    type: 'magnet',
    infoHash: m.infoHashHex,
    ...(m.name === undefined ? {} : { name: m.name }),
    trackers: m.trackers,
    webSeeds: m.webSeeds,
    peers: m.peers.map(formatAddress),
    ...(m.warnings === undefined ? {} : { warnings: m.warnings })
  }
}

/** The text form of an info record. Names and paths are printed as data, control characters escaped. */
export function formatInfo (r: TorrentInfoRecord | MagnetInfoRecord): string {
  const lines: string[] = []
  const row = (k: string, v: string): void => { lines.push(`${(k + ':').padEnd(14)}${safe(v)}`) }
  if (r.type === 'torrent') {
    row('name', r.name)
    row('info-hash', r.infoHash)
    row('size', `${formatBytes(r.length)} (${r.length} bytes)`)
    row('piece length', `${formatBytes(r.pieceLength)} (${r.pieceLength} bytes)`)
    row('pieces', String(r.pieceCount))
    row('private', r.private ? 'yes' : 'no')
    if (r.comment !== undefined) row('comment', r.comment)
    if (r.createdBy !== undefined) row('created by', r.createdBy)
    lines.push(`trackers:${r.trackers.length === 0 ? ' none' : ''}`)
    r.trackers.forEach((tier, i) => { lines.push(`  tier ${i + 1}: ${safe(tier.join(' '))}`) })
    lines.push(`web seeds:${r.webSeeds.length === 0 ? ' none' : ''}`)
    for (const w of r.webSeeds) lines.push(`  ${safe(w)}`)
    lines.push(`files (${r.files.length}):`)
    for (const f of r.files) lines.push(`  ${formatBytes(f.length).padStart(10)}  ${safe(f.path)}`)
  } else {
    row('magnet', 'yes')
    row('info-hash', r.infoHash)
    if (r.name !== undefined) row('name', r.name)
    lines.push(`trackers:${r.trackers.length === 0 ? ' none' : ''}`)
    for (const t of r.trackers) lines.push(`  ${safe(t)}`)
    lines.push(`web seeds:${r.webSeeds.length === 0 ? ' none' : ''}`)
    for (const w of r.webSeeds) lines.push(`  ${safe(w)}`)
    lines.push(`peers:${r.peers.length === 0 ? ' none' : ''}`)
    for (const p of r.peers) lines.push(`  ${p}`)
    for (const w of r.warnings ?? []) lines.push(`warning: ${safe(w)}`)
  }
  return lines.join('\n') + '\n'
}

/** Escape control and bidi-override characters so a hostile name cannot rewrite the terminal. */
function safe (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
