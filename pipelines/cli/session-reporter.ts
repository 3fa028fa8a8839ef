import type { SessionTotals } from '../session/session-progress.js'
import type { Progress, TorrentWarning } from '../types.js'
import type { CliOutput } from './cli-io.js'
import { doneRecord, errorRecord, escapeControls, formatBytes, formatPercent, formatProgressLine, formatRate, formatRatio, oneLine, progressFraction, progressRecord, warningLine, warningRecord } from './progress.js'
import type { OutputMode } from './progress-reporter.js'

/**
 * One torrent of a several-torrent command as the display shows it: its
 * latest progress, or what stands in for it (a magnet still fetching its
 * metadata, a torrent that failed or was skipped).
 */
export interface TorrentRow {
  /** The info-hash, lowercase hex. */
  readonly infoHash: string
  /** The torrent's name, or the magnet's `dn` or short info-hash before the metadata. */
  readonly name: string
  readonly progress?: Progress | undefined
  /** Shown instead of the progress: `metadata`, `failed: …`, `skipped: …`, `stopped: …`. */
  readonly status?: string | undefined
}

/** Width of the name column on a terminal. */
const NAME_WIDTH = 24

/**
 * Writes the progress of several torrents run in one session, in one
 * {@link OutputMode}: `tty` redraws one line per torrent plus a total line
 * on stderr; `plain` prints every torrent's line and the total every few
 * seconds, and a torrent's line when its state changes; `json` prints each
 * torrent's new progress as a `progress` record (it carries `infoHash`) and
 * a `totals` record at most once a second; `quiet` prints only errors.
 * Time comes from `now` (the CLI's clock), only to space plain lines and
 * totals records.
 */
export class SessionReporter {
  readonly mode: OutputMode
  readonly #out: CliOutput
  readonly #err: CliOutput
  readonly #now: () => number
  readonly #plainIntervalMs: number
  readonly #seen = new Map<string, Progress>()
  #rows: readonly TorrentRow[] = []
  #totals: SessionTotals | undefined
  #shownLines = 0
  #lastPlainAt = Number.NEGATIVE_INFINITY
  #lastTotalsAt = Number.NEGATIVE_INFINITY

  constructor (mode: OutputMode, out: CliOutput, err: CliOutput, options: { now: () => number, plainIntervalMs?: number }) {
    this.mode = mode
    this.#out = out
    this.#err = err
    this.#now = options.now
    this.#plainIntervalMs = options.plainIntervalMs ?? 5000
  }

  /** The rows and totals now (after each session progress and each status change). */
  update (rows: readonly TorrentRow[], totals: SessionTotals): void {
    const changed = rows.filter((r) => r.progress !== undefined && this.#seen.get(r.infoHash) !== r.progress)
    const stateChanged = changed.filter((r) => this.#seen.get(r.infoHash)?.state !== r.progress?.state)
    for (const r of changed) this.#seen.set(r.infoHash, r.progress as Progress)
    this.#rows = rows
    this.#totals = totals
    const now = this.#now()
    switch (this.mode) {
      case 'json':
        for (const r of changed) this.#out.write(progressRecord(r.progress as Progress) + '\n')
        if (this.#seen.size > 0 && now - this.#lastTotalsAt >= 1000) this.#totalsRecord(now)
        break
      case 'tty':
        this.#redraw()
        break
      case 'plain':
        if (this.#seen.size > 0 && now - this.#lastPlainAt >= this.#plainIntervalMs) this.#plainAll(now)
        else for (const r of stateChanged) this.#err.write(rowPlainLine(r) + '\n')
        break
      case 'quiet':
        break
    }
  }

  /** A torrent is complete (or stopped by a seeding limit): its `done` record in json mode. */
  done (p: Progress, stopped?: string): void {
    if (stopped !== undefined) this.note(`${p.name}: ${stopped}; stopped seeding`)
    if (this.mode === 'json') this.#out.write(doneRecord(p, p.infoHash, p.name, stopped) + '\n')
  }

  /** A warning line on stderr, a `warning` record (with `infoHash` when given) in json mode. */
  warning (w: TorrentWarning & { readonly infoHash?: string | undefined }): void {
    if (this.mode === 'json') {
      const record = JSON.parse(warningRecord(w)) as Record<string, unknown>
      this.#out.write(JSON.stringify(w.infoHash === undefined ? record : { ...record, infoHash: w.infoHash }) + '\n')
    } else if (this.mode !== 'quiet') this.#line(warningLine(w))
  }

  /** A note for the user: stderr in tty/plain, nothing otherwise. */
  note (text: string): void {
    if (this.mode === 'tty' || this.mode === 'plain') this.#line(`rxtorrent: ${oneLine(text)}`)
  }

  /** A line on stdout in tty/plain mode (`verified …`, `seeding … on …`), kept apart from the redrawn lines. */
  say (text: string): void {
    if (this.mode !== 'tty' && this.mode !== 'plain') return
    this.#clear()
    this.#out.write(text + '\n')
    this.#redraw()
  }

  /** A json record on stdout (json mode only). */
  record (value: Record<string, unknown>): void {
    if (this.mode === 'json') this.#out.write(JSON.stringify(value) + '\n')
  }

  /** An error line `rxtorrent: <reason>` on stderr; in json mode also an `error` record, with `infoHash` when given. */
  error (message: string, code?: string, infoHash?: string): void {
    if (this.mode === 'json') {
      const record = JSON.parse(errorRecord(oneLine(message), code)) as Record<string, unknown>
      this.#out.write(JSON.stringify(infoHash === undefined ? record : { ...record, infoHash }) + '\n')
    }
    this.#line(`rxtorrent: ${oneLine(message)}`)
  }

  /** The end: a last plain block or totals record, and the redrawn lines left behind. */
  end (): void {
    if (this.mode === 'plain' && this.#rows.length > 0 && this.#lastPlainAt !== this.#now()) this.#plainAll(this.#now())
    if (this.mode === 'json' && this.#totals !== undefined) this.#totalsRecord(this.#now())
    if (this.#shownLines > 0) this.#err.write('\n')
    this.#shownLines = 0
  }

  #totalsRecord (now: number): void {
    if (this.#totals === undefined) return
    this.#lastTotalsAt = now
    this.#out.write(JSON.stringify({ type: 'totals', ...this.#totals }) + '\n')
  }

  #plainAll (now: number): void {
    this.#lastPlainAt = now
    for (const r of this.#rows) this.#err.write(rowPlainLine(r) + '\n')
    if (this.#totals !== undefined) this.#err.write(totalLine(this.#totals, this.#rows) + '\n')
  }

  #redraw (): void {
    if (this.mode !== 'tty' || this.#rows.length === 0) return
    const columns = this.#err.columns ?? 80
    const lines = [...this.#rows.map((r) => rowTtyLine(r, columns)), totalLine(this.#totals, this.#rows).slice(0, columns - 1)]
    this.#clear()
    this.#err.write(lines.join('\n'))
    this.#shownLines = lines.length
  }

  /** Move to the first redrawn line and erase it and everything below. */
  #clear (): void {
    if (this.#shownLines === 0) return
    this.#err.write(`\r${this.#shownLines > 1 ? `\x1b[${this.#shownLines - 1}A` : ''}\x1b[J`)
    this.#shownLines = 0
  }

  #line (text: string): void {
    this.#clear()
    this.#err.write(text + '\n')
    this.#redraw()
  }
}

/** The name column: control characters escaped, cut or padded to `width`. */
function nameColumn (name: string, width: number): string {
  const safe = escapeControls(name)
  return safe.length > width ? `${safe.slice(0, width - 1)}…` : safe.padEnd(width)
}

/** A torrent's line on a terminal: name, state, percent, rates, what went up while seeding, peers. */
export function rowTtyLine (r: TorrentRow, columns = 80): string {
  const p = r.progress
  const head = nameColumn(r.name, NAME_WIDTH)
  if (r.status !== undefined || p === undefined) return `${head} ${escapeControls(oneLine(r.status ?? 'waiting'))}`.slice(0, Math.max(0, columns - 1))
  const what = p.state === 'seeding' ? ` sent ${formatBytes(p.uploaded)} ratio ${formatRatio(p)}` : ''
  const line = `${head} ${p.state.padEnd(11)} ${formatPercent(progressFraction(p)).padStart(6)} ↓${formatRate(p.downloadRate)} ↑${formatRate(p.uploadRate)}${what} peers ${p.peers}`
  return line.slice(0, Math.max(0, columns - 1))
}

/** A torrent's plain line: `<name>: ` and the single-torrent plain line (or its status). */
export function rowPlainLine (r: TorrentRow): string {
  const name = escapeControls(r.name)
  if (r.status !== undefined || r.progress === undefined) return `${name}: ${escapeControls(oneLine(r.status ?? 'waiting'))}`
  return `${name}: ${formatProgressLine(r.progress)}`
}

/** The total line: torrents complete, bytes verified of the total, summed rates and peers. */
export function totalLine (totals: SessionTotals | undefined, rows: readonly TorrentRow[]): string {
  const t = totals ?? { torrents: 0, complete: 0, downloadRate: 0, uploadRate: 0, peers: 0, left: 0, downloaded: 0, uploaded: 0 }
  const length = rows.reduce((n, r) => n + (r.progress?.length ?? 0), 0)
  return `total: ${t.complete}/${rows.length} complete ${formatBytes(length - t.left)}/${formatBytes(length)} ↓${formatRate(t.downloadRate)} ↑${formatRate(t.uploadRate)} peers ${t.peers}`
}
