import { stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { RxTorrentError, UsageError } from '../../lib/errors.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { formatAddress } from '../../lib/transport/types.js'
import { FileStorage } from '../node/file-storage.js'
import { seed } from '../seed.js'
import type { Progress } from '../types.js'
import { parsePort, parseStrict, positionals } from './args.js'
import type { CliIo } from './cli-io.js'
import { parseRate } from './download.js'
import { EXIT, exitCodeFor, reasonOf } from './exit-codes.js'
import { loadTorrent, reportTolerated } from './load-input.js'
import { formatBytes } from './progress.js'
import { chooseMode, ProgressReporter } from './progress-reporter.js'
import { runUntilStopped } from './run-until-stopped.js'
import { parseSeedLimits, SeedStopper } from './seed-limits.js'
import { SEED_USAGE } from './usage.js'
import { singleTorrentState } from './single-state.js'
import { seedMany } from './seed-many.js'
import { stateDirOption } from './session-run.js'

/** Default port of `rxtorrent seed`. */
export const DEFAULT_SEED_PORT = 6881

/**
 * Default regular unchoke slots of `rxtorrent seed` (an optimistic one
 * comes on top): libtorrent's default (`unchoke_slots_limit`). With the
 * library's 4, a sixth leecher waited for the others to finish: six
 * libtorrent leechers fetching 1 GiB at once took 4× as long from
 * `rxtorrent seed` as from a libtorrent seeder.
 */
export const DEFAULT_SEED_UPLOAD_SLOTS = 8

/**
 * `rxtorrent seed <file.torrent> --data <dir> [--port N] [--host ADDR]
 * [--upload-limit R] [--upload-slots N] [--seed-ratio R] [--seed-time MIN] [--superseed]
 * [--quiet | --json]`: check that the port is free, verify the data, print
 * how many pieces verified (a warning when not all), print the listening
 * address, and serve the verified pieces, reporting peers, upload rate and
 * bytes uploaded, until SIGINT/SIGTERM or a seeding limit.
 *
 * Resolves 0 after a signal or a limit (files closed); 1 when the port is in
 * use (before any data is read), when no piece of the data verifies, or on
 * another runtime failure; 2 for bad flags, a bad torrent or a `--data`
 * folder that does not exist.
 * @throws UsageError for bad flags, a missing `--data` folder or a magnet link; MetainfoError etc. for a bad torrent
 * @see BEP 3
 */
export async function seedCommand (argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals: pos } = parseStrict({
    args: [...argv],
    options: {
      data: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      superseed: { type: 'boolean' },
      'upload-limit': { type: 'string' },
      'upload-slots': { type: 'string' },
      'seed-ratio': { type: 'string' },
      'seed-time': { type: 'string' },
      quiet: { type: 'boolean' },
      json: { type: 'boolean' },
      torrents: { type: 'string' },
      state: { type: 'string' },
      'no-state': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    },
    allowPositionals: true,
    strict: true
  })
  if (values.help === true) { io.stdout.write(SEED_USAGE); return EXIT.OK }
  // Several torrents or a folder of them: one session.
  const many = pos.length > 1 || values.torrents !== undefined
  const [input] = many && (pos.length > 0 || values.torrents !== undefined) ? pos as [string] : positionals(pos, ['a .torrent file']) as [string]
  if (values.torrents === '') throw new UsageError('bad-args', '--torrents needs a folder')
  const data = values.data
  if (data === undefined || data === '') throw new UsageError('bad-args', 'missing --data <dir>')
  if (values.quiet === true && values.json === true) throw new UsageError('bad-args', '--quiet and --json cannot be combined')
  const port = values.port === undefined ? DEFAULT_SEED_PORT : parsePort(values.port)
  const uploadLimit = values['upload-limit'] === undefined ? undefined : parseRate(values['upload-limit'], '--upload-limit')
  const uploadSlots = values['upload-slots'] === undefined ? DEFAULT_SEED_UPLOAD_SLOTS : parseSlots(values['upload-slots'])
  const stopper = new SeedStopper(parseSeedLimits(values['seed-ratio'], values['seed-time']))
  const host = values.host ?? '0.0.0.0'
  const stateDir = stateDirOption(values)
  if (many) {
    await checkDataFolder(data)
    await checkPortFree(host, port)
    return await seedMany({
      inputs: pos,
      torrentsDir: values.torrents,
      data,
      port,
      host,
      uploadLimit,
      uploadSlots,
      superseed: values.superseed === true,
      limits: parseSeedLimits(values['seed-ratio'], values['seed-time']),
      stateDir,
      mode: chooseMode(values, io.stderr)
    }, io)
  }
  const torrent = await loadTorrent(input, io, { warn: false })
  await checkDataFolder(data)
  await checkPortFree(host, port)

  const reporter = new ProgressReporter(chooseMode(values, io.stderr), io.stdout, io.stderr)
  reportTolerated(torrent, input, reporter, io)
  const storage = new FileStorage(torrent, data)
  // Resume data (--state, default $XDG_STATE_HOME/rxtorrent; --no-state: none): a restart whose files match skips the check.
  const state = await singleTorrentState(stateDir, torrent, data, (w) => { reporter.warning(w) })
  let checked = false
  let refused = false
  let stopReason: string | undefined
  const onProgress = (p: Progress): 'stop' | undefined => {
    if (!checked && p.state !== 'checking') {
      checked = true
      // Nothing verified ends the run; the listening line must not follow.
      refused = true
      reportCheck(p, torrent, data, reporter, io)
      refused = false
    }
    reporter.progress(p)
    stopReason = stopper.check(p)
    return stopReason === undefined ? undefined : 'stop'
  }
  const outcome = await runUntilStopped(seed(torrent, {
    ...state?.runOptions,
    data,
    port,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.superseed === true ? { superseed: true } : {}),
    ...(uploadLimit === undefined ? {} : { uploadLimit }),
    uploadSlots,
    storage,
    onListening: a => {
      if (refused) return
      if (reporter.mode === 'json') io.stdout.write(JSON.stringify({ type: 'listening', infoHash: torrent.infoHashHex, name: torrent.name, address: formatAddress(a) }) + '\n')
      else if (reporter.mode !== 'quiet') io.stdout.write(`seeding ${torrent.name} (${torrent.infoHashHex}) on ${formatAddress(a)}\n`)
    },
    onWarning: w => { reporter.warning(w) }
  }), io, onProgress)
  await storage.close().catch(() => {})
  await state?.close()

  if (outcome.kind === 'error') {
    reporter.end()
    reporter.error(reasonOf(outcome.error), (outcome.error as { code?: string }).code)
    return exitCodeFor(outcome.error)
  }
  reporter.done(torrent.infoHashHex, torrent.name, stopReason)
  return EXIT.OK
}

/**
 * After the check: how many pieces verified (a warning when not all); none
 * at all is an error, not a seeder that serves nothing.
 * @throws RxTorrentError `nothing-to-seed` (exit 1)
 */
function reportCheck (p: Progress, torrent: Torrent, data: string, reporter: ProgressReporter, io: CliIo): void {
  if (p.pieceCount > 0 && p.piecesVerified === 0) {
    throw new RxTorrentError('nothing-to-seed', `no piece of ${torrent.name} verified in ${data}: nothing to seed (--data is the folder that holds ${torrent.multiFile ? `the folder ${torrent.name}` : torrent.name})`, { disposition: 'fatal' })
  }
  if (reporter.mode === 'tty' || reporter.mode === 'plain') {
    io.stdout.write(`verified ${p.piecesVerified}/${p.pieceCount} pieces (${formatBytes(p.bytesVerified)} of ${formatBytes(p.length)})\n`)
  }
  if (p.piecesVerified < p.pieceCount) {
    reporter.warning({ type: 'warning', message: `${p.pieceCount - p.piecesVerified} pieces are missing or bad in ${data}; serving the ${p.piecesVerified} that verified` })
  }
}

/**
 * `--upload-slots N`: a whole number from 1 to 1000.
 * @throws UsageError `bad-args` (exit 2)
 */
function parseSlots (text: string): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < 1 || n > 1000) throw new UsageError('bad-args', `--upload-slots must be a whole number from 1 to 1000, got ${text}`)
  return n
}

/**
 * `--data` must name an existing folder.
 * @throws UsageError `no-data` (exit 2)
 */
async function checkDataFolder (data: string): Promise<void> {
  const found = await stat(data).catch(() => undefined)
  if (found === undefined) throw new UsageError('no-data', `--data ${data} does not exist`)
  if (!found.isDirectory()) throw new UsageError('no-data', `--data ${data} is a file, not a folder (give the folder that holds it)`)
}

/**
 * Bind and release `host:port` first, so a port in use is reported in words
 * the user can act on. The pipeline then binds the port for good before it
 * checks the data (peers that connect during the check are closed), so a
 * port taken in between still fails before the check. Port 0 (any free
 * port) is always free.
 * @throws RxTorrentError `port-in-use` (exit 1, an environment problem), `listen-failed`
 */
async function checkPortFree (host: string, port: number): Promise<void> {
  if (port === 0) return
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new RxTorrentError('port-in-use', `port ${port} is in use on ${host}: stop what uses it or choose another with --port`, { disposition: 'fatal', cause: e }))
      else reject(new RxTorrentError('listen-failed', `cannot listen on ${host}:${port}: ${e.message}`, { disposition: 'fatal', cause: e }))
    })
    server.listen({ host, port, exclusive: true }, () => { server.close(() => { resolve() }) })
  })
}
