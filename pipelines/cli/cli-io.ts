import { readFile, stat, writeFile } from 'node:fs/promises'

/** A place the CLI writes text to. */
export interface CliOutput {
  write: (text: string) => void
  /** True when a terminal is attached (redrawn progress line). */
  readonly isTTY?: boolean
  /** Terminal width, when known. */
  readonly columns?: number
}

/** Signals that stop the CLI. */
export type StopSignal = 'SIGINT' | 'SIGTERM'

/**
 * Everything the CLI touches outside its arguments, injectable so commands run
 * in-process under test: output streams, file reads and writes, signals, and
 * the wall clock (only for `creation date` in new torrents).
 */
export interface CliIo {
  readonly stdout: CliOutput
  readonly stderr: CliOutput
  readFile: (path: string) => Promise<Uint8Array>
  /** Size of a file in bytes (checked before reading a .torrent). */
  fileSize: (path: string) => Promise<number>
  writeFile: (path: string, data: Uint8Array) => Promise<void>
  /** Call `handler` on SIGINT or SIGTERM; returns the function that stops listening. */
  onSignal: (handler: (signal: StopSignal) => void) => () => void
  /** Seconds since the epoch. */
  nowSeconds: () => number
}

/** The real process: stdout, stderr, node:fs, process signals. */
export function nodeIo (): CliIo {
  // A reader that went away (`rxtorrent info x.torrent | head`): stop
  // quietly, as a command killed by SIGPIPE would, instead of an unhandled
  // EPIPE error with its stack.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    throw err
  })
  return {
    stdout: { write: t => { process.stdout.write(t) }, isTTY: process.stdout.isTTY === true, columns: process.stdout.columns },
    stderr: { write: t => { process.stderr.write(t) }, isTTY: process.stderr.isTTY === true, columns: process.stderr.columns },
    readFile: async p => await readFile(p),
    fileSize: async p => (await stat(p)).size,
    writeFile: async (p, d) => { await writeFile(p, d) },
    onSignal (handler) {
      const onInt = (): void => { handler('SIGINT') }
      const onTerm = (): void => { handler('SIGTERM') }
      process.on('SIGINT', onInt)
      process.on('SIGTERM', onTerm)
      return () => {
        process.off('SIGINT', onInt)
        process.off('SIGTERM', onTerm)
      }
    },
    nowSeconds: () => Math.floor(Date.now() / 1000)
  }
}
