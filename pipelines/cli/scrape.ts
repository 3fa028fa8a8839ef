import { toHex } from '../../lib/magnet/info-hash.js'
import { RxTorrentError, UsageError } from '../../lib/errors.js'
import { nodeTrackerClient, type TrackerClient } from '../node/tracker-client.js'
import { parseStrict, positionals } from './args.js'
import type { CliIo } from './cli-io.js'
import { EXIT, reasonOf } from './exit-codes.js'
import { loadInput, type LoadedInput } from './load-input.js'
import { oneLine } from './progress.js'
import { SCRAPE_USAGE } from './usage.js'

/** One tracker's scrape answer, or why there is none. */
export type ScrapeRow =
  | { readonly tracker: string, readonly seeders: number, readonly leechers: number, readonly completed: number }
  | { readonly tracker: string, readonly error: string }

/** What `scrape --json` prints. */
export interface ScrapeRecord {
  readonly infoHash: string
  readonly trackers: readonly ScrapeRow[]
}

/** Default deadline of one tracker's scrape, in seconds. */
export const DEFAULT_SCRAPE_TIMEOUT_S = 15

/**
 * Scrape every tracker in `trackers` for `infoHash` at once: HTTP trackers by
 * the BEP 48 URL rule, `udp://` trackers with a BEP 15 scrape. Never rejects;
 * each failure becomes a row with its reason. Rows keep the order of `trackers`.
 * @see BEP 15, BEP 48
 */
export async function scrapeTrackers (client: Pick<TrackerClient, 'scrape'>, infoHash: Uint8Array, trackers: readonly string[], options: { signal?: AbortSignal } = {}): Promise<ScrapeRow[]> {
  const hex = toHex(infoHash)
  return await Promise.all(trackers.map(async (tracker): Promise<ScrapeRow> => {
    try {
      const r = await client.scrape(tracker, [infoHash], options)
      const entry = r.files.get(hex)
      if (entry === undefined) return { tracker, error: 'the tracker does not know this torrent' }
      return { tracker, seeders: entry.complete, leechers: entry.incomplete, completed: entry.downloaded }
    } catch (e) {
      return { tracker, error: oneLine(reasonOf(e)) }
    }
  }))
}

/** The trackers of a loaded torrent or magnet link, tiers flattened, duplicates dropped. */
export function trackersOf (loaded: LoadedInput): string[] {
  const all = loaded.kind === 'torrent' ? loaded.torrent.announce.flat() : [...loaded.magnet.trackers]
  return [...new Set(all)]
}

/**
 * Scrape the trackers of a loaded input with a fresh client (deadline
 * `timeoutS` per tracker) and close it.
 * @throws RxTorrentError `no-trackers` (disposition `fatal`, exit 1) when the input lists none
 */
export async function scrapeInput (loaded: LoadedInput, timeoutS: number = DEFAULT_SCRAPE_TIMEOUT_S): Promise<ScrapeRecord> {
  const trackers = trackersOf(loaded)
  const infoHash = loaded.kind === 'torrent' ? loaded.torrent.infoHash : loaded.magnet.infoHash
  if (trackers.length === 0) throw new RxTorrentError('no-trackers', 'this torrent lists no trackers to scrape', { disposition: 'fatal' })
  // Interactive use: UDP retransmits every 5 s (not 15 s · 2^n) within the deadline.
  const client = nodeTrackerClient({ timeoutMs: timeoutS * 1000, udp: { retransmitBaseMs: 5000, maxRetransmit: 3 } })
  try {
    return { infoHash: toHex(infoHash), trackers: await scrapeTrackers(client, infoHash, trackers) }
  } finally {
    await client.close()
  }
}

/** True when at least one tracker answered. */
export function anyAnswered (record: ScrapeRecord): boolean {
  return record.trackers.some(r => !('error' in r))
}

/**
 * `rxtorrent scrape <file.torrent|magnet> [--json] [--timeout S]`: seeders,
 * leechers and completed downloads per tracker. Resolves 0 when at least one
 * tracker answered, 1 otherwise.
 * @throws UsageError for bad flags or no trackers; MetainfoError, BencodeError, MagnetError for bad input
 * @see BEP 15, BEP 48
 */
export async function scrapeCommand (argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals: pos } = parseStrict({
    args: [...argv],
    options: { json: { type: 'boolean' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true
  })
  if (values.help === true) { io.stdout.write(SCRAPE_USAGE); return EXIT.OK }
  const [input] = positionals(pos, ['a .torrent file or magnet link']) as [string]
  const timeoutS = parseTimeout(values.timeout)
  const record = await scrapeInput(await loadInput(input, io), timeoutS)
  io.stdout.write(values.json === true ? JSON.stringify(record) + '\n' : formatScrape(record))
  return anyAnswered(record) ? EXIT.OK : EXIT.FAILURE
}

/**
 * A `--timeout` value in seconds, 1–600.
 * @throws UsageError `bad-timeout`
 */
export function parseTimeout (text: string | undefined): number {
  if (text === undefined) return DEFAULT_SCRAPE_TIMEOUT_S
  const n = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN
  if (!(n >= 1 && n <= 600)) throw new UsageError('bad-timeout', `bad --timeout '${text}': expected whole seconds from 1 to 600`)
  return n
}

/** The text form: one line per tracker, URLs and errors escaped as inert text. */
export function formatScrape (record: ScrapeRecord): string {
  const lines = [`scrape of ${record.infoHash}:`]
  for (const row of record.trackers) {
    lines.push('error' in row
      ? `  ${safe(row.tracker)}: error: ${safe(row.error)}`
      : `  ${safe(row.tracker)}: ${row.seeders} seeders, ${row.leechers} leechers, ${row.completed} completed`)
  }
  return lines.join('\n') + '\n'
}

function safe (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
