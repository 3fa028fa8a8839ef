import type { Progress, TorrentWarning } from '../types.js'
import type { CliOutput } from './cli-io.js'
import { doneRecord, errorRecord, formatProgressBar, formatProgressLine, oneLine, progressRecord, warningLine, warningRecord } from './progress.js'

/**
 * How `download` reports: `tty` redraws one line on stderr; `plain` prints a
 * line every few seconds; `json` prints one object per line on stdout;
 * `quiet` prints only errors.
 */
export type OutputMode = 'tty' | 'plain' | 'json' | 'quiet'

/** Pick the mode from the flags and whether stderr is a terminal. */
export function chooseMode (flags: { json?: boolean, quiet?: boolean }, stderr: CliOutput): OutputMode {
  if (flags.json === true) return 'json'
  if (flags.quiet === true) return 'quiet'
  return stderr.isTTY === true ? 'tty' : 'plain'
}

/**
 * Writes progress, warnings, the final record and errors in one
 * {@link OutputMode}. The plain mode throttles on `Progress.elapsedMs` (the
 * pipeline's scheduler time), so it needs no clock of its own.
 */
export class ProgressReporter {
  readonly mode: OutputMode
  readonly #out: CliOutput
  readonly #err: CliOutput
  readonly #plainIntervalMs: number
  #last: Progress | undefined
  #lastPrintedAt = Number.NEGATIVE_INFINITY
  #lastPrintedState: Progress['state'] | undefined
  #lineShown = false

  constructor (mode: OutputMode, out: CliOutput, err: CliOutput, options: { plainIntervalMs?: number } = {}) {
    this.mode = mode
    this.#out = out
    this.#err = err
    this.#plainIntervalMs = options.plainIntervalMs ?? 5000
  }

  /** The latest progress seen. */
  get last (): Progress | undefined {
    return this.#last
  }

  progress (p: Progress): void {
    this.#last = p
    switch (this.mode) {
      case 'json':
        this.#out.write(progressRecord(p) + '\n')
        break
      case 'tty':
        this.#err.write(`\r\x1b[2K${formatProgressBar(p, this.#err.columns ?? 80)}`)
        this.#lineShown = true
        break
      case 'plain':
        if (p.elapsedMs - this.#lastPrintedAt >= this.#plainIntervalMs || p.state !== this.#lastPrintedState) this.#plain(p)
        break
      case 'quiet':
        break
    }
  }

  warning (w: TorrentWarning): void {
    if (this.mode === 'json') this.#out.write(warningRecord(w) + '\n')
    else if (this.mode !== 'quiet') this.#line(warningLine(w))
  }

  /** A note for the user (not a warning): stderr in tty/plain, nothing otherwise. */
  note (text: string): void {
    if (this.mode === 'tty' || this.mode === 'plain') this.#line(`rxtorrent: ${oneLine(text)}`)
  }

  /**
   * The end of a successful run: a last line (plain/tty) or the `done` record
   * (json). `stopped`: why seeding stopped (a seeding limit), noted on stderr
   * in tty/plain mode and as the record's `stopped` field in json mode.
   */
  done (infoHash: string, name: string, stopped?: string): void {
    const p = this.#last
    if (stopped !== undefined) this.note(`${stopped}; stopped seeding`)
    if (this.mode === 'json') this.#out.write(doneRecord(p, infoHash, name, stopped) + '\n')
    else if (this.mode === 'plain' && p !== undefined && this.#lastPrintedAt !== p.elapsedMs) this.#plain(p)
    this.end()
  }

  /** An error line `rxtorrent: <reason>` on stderr (and an `error` record in json mode). */
  error (message: string, code?: string): void {
    if (this.mode === 'json') this.#out.write(errorRecord(oneLine(message), code) + '\n')
    this.#line(`rxtorrent: ${oneLine(message)}`)
  }

  /** Leave the redrawn line, if any, so later output starts on a fresh line. */
  end (): void {
    if (this.#lineShown) {
      this.#err.write('\n')
      this.#lineShown = false
    }
  }

  #plain (p: Progress): void {
    this.#lastPrintedAt = p.elapsedMs
    this.#lastPrintedState = p.state
    this.#err.write(formatProgressLine(p) + '\n')
  }

  #line (text: string): void {
    if (this.#lineShown) this.#err.write('\r\x1b[2K')
    this.#err.write(text + '\n')
    if (this.#lineShown && this.#last !== undefined) this.#err.write(formatProgressBar(this.#last, this.#err.columns ?? 80))
  }
}
