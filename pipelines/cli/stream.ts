import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { UsageError } from '../../lib/errors.js'
import { FileStorage } from '../node/file-storage.js'
import { checkFileIndex, streamTorrent } from '../stream.js'
import type { TorrentWarning } from '../types.js'
import { parseRate } from './download.js'
import { checkOutFolder, parsePeer, parsePort, parseStrict, positionals } from './args.js'
import type { CliIo } from './cli-io.js'
import { EXIT, exitCodeFor, reasonOf } from './exit-codes.js'
import { loadInput, reportTolerated } from './load-input.js'
import { chooseMode, ProgressReporter } from './progress-reporter.js'
import { runUntilStopped } from './run-until-stopped.js'
import { STREAM_USAGE } from './usage.js'

/**
 * `rxtorrent stream <file.torrent|magnet> [--file N] [--http-port N]
 * [--http-host ADDR] [--out DIR] [--peer host:port]... [--port N] [--host ADDR]
 * [--download-limit R] [--upload-limit R] [--quiet]
 * [--json]`: download with a sequential picker and serve one file over HTTP
 * (Range requests) while it downloads. Prints `stream: http://HOST:PORT/` on
 * stdout once listening (in `--json` mode a `{"type":"stream","url":…}`
 * record instead), progress on stderr like `download`.
 *
 * Resolves the exit code: 0 after SIGINT/SIGTERM; 1 on a runtime failure
 * (the HTTP port cannot be bound, no peer); 2 for a bad `--file` or input.
 * Without `--out` the data goes to a fresh directory under the OS temp
 * directory, removed on exit.
 * @throws UsageError for bad flags; MetainfoError etc. for a bad torrent (before the run starts)
 * @see BEP 3, BEP 9
 */
export async function streamCommand (argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals: pos } = parseStrict({
    args: [...argv],
    options: {
      file: { type: 'string' },
      'http-port': { type: 'string' },
      'http-host': { type: 'string' },
      out: { type: 'string' },
      peer: { type: 'string', multiple: true },
      port: { type: 'string' },
      host: { type: 'string' },
      'download-limit': { type: 'string' },
      'upload-limit': { type: 'string' },
      quiet: { type: 'boolean' },
      json: { type: 'boolean' },
      'no-direct-io': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    },
    allowPositionals: true,
    strict: true
  })
  if (values.help === true) { io.stdout.write(STREAM_USAGE); return EXIT.OK }
  const [input] = positionals(pos, ['a .torrent file or magnet link']) as [string]
  if (values.quiet === true && values.json === true) throw new UsageError('bad-args', '--quiet and --json cannot be combined')
  if (values.out === '') throw new UsageError('bad-args', '--out needs a directory')
  const fileIndex = values.file === undefined ? undefined : parseFileIndex(values.file)
  const httpPort = values['http-port'] === undefined ? 0 : parsePort(values['http-port'])
  const httpHost = values['http-host'] ?? '127.0.0.1'
  const peers = (values.peer ?? []).map(parsePeer)
  const port = values.port === undefined ? undefined : parsePort(values.port)
  const downloadLimit = values['download-limit'] === undefined ? undefined : parseRate(values['download-limit'], '--download-limit')
  const uploadLimit = values['upload-limit'] === undefined ? undefined : parseRate(values['upload-limit'], '--upload-limit')
  if (values.out !== undefined) await checkOutFolder(values.out)
  const loaded = await loadInput(input, io, { warn: false })
  if (loaded.kind === 'torrent' && fileIndex !== undefined) checkFileIndex(loaded.torrent, fileIndex)

  const tempDir = values.out === undefined ? await mkdtemp(join(tmpdir(), 'rxtorrent-stream-')) : undefined
  const out = values.out ?? tempDir as string
  const mode = chooseMode(values, io.stderr)
  const reporter = new ProgressReporter(mode, io.stdout, io.stderr)
  if (loaded.kind === 'torrent') reportTolerated(loaded.torrent, input, reporter, io)
  // What the magnet parser tolerated (a dropped tracker, a skipped `so` item).
  if (loaded.kind === 'magnet') for (const message of loaded.magnet.warnings ?? []) reporter.warning({ type: 'warning', message: `magnet: ${message}` })
  // Direct writes where the file system allows them (FileStorageOptions.directIo), unless turned off.
  const directIo = values['no-direct-io'] !== true
  const storage = loaded.kind === 'torrent' ? new FileStorage(loaded.torrent, out, { directIo }) : undefined
  const options = {
    out,
    peers,
    httpPort,
    httpHost,
    ...(fileIndex === undefined ? {} : { fileIndex }),
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(downloadLimit === undefined ? {} : { downloadLimit }),
    ...(uploadLimit === undefined ? {} : { uploadLimit }),
    ...(storage === undefined ? {} : { storage }),
    directIo,
    onWarning: (w: TorrentWarning) => { reporter.warning(w) },
    onHttp: (url: string) => {
      io.stdout.write(mode === 'json' ? `${JSON.stringify({ type: 'stream', url })}\n` : `stream: ${url}\n`)
    }
  }
  try {
    const outcome = await runUntilStopped(streamTorrent(loaded.kind === 'torrent' ? loaded.torrent : loaded.magnet, options), io, p => { reporter.progress(p) })
    let closeError: unknown
    await storage?.close().catch((e: unknown) => { closeError = e })
    reporter.end()
    const failure = outcome.kind === 'error' ? outcome.error : closeError
    if (failure !== undefined) {
      reporter.error(reasonOf(failure), (failure as { code?: string }).code)
      return exitCodeFor(failure)
    }
    return EXIT.OK
  } finally {
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true }).catch(() => {})
  }
}

/**
 * A `--file` value: a file index, a non-negative integer.
 * @throws UsageError `bad-file`
 */
function parseFileIndex (text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new UsageError('bad-file', `bad --file '${text}': expected a file index (see rxtorrent info)`)
  return Number(text)
}
