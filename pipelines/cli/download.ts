import { UsageError } from '../../lib/errors.js'
import { download } from '../download.js'
import { FileStorage } from '../node/file-storage.js'
import { checkOutFolder, parsePeer, parsePort, parseStrict, positionals } from './args.js'
import type { CliIo } from './cli-io.js'
import { EXIT, exitCodeFor, exitCodeForSignal, reasonOf } from './exit-codes.js'
import { loadInput, reportTolerated } from './load-input.js'
import { downloadMagnet } from '../download-magnet.js'
import type { TorrentWarning } from '../types.js'
import { chooseMode, ProgressReporter } from './progress-reporter.js'
import { runUntilStopped } from './run-until-stopped.js'
import { hasSeedLimits, parseSeedLimits, SeedStopper } from './seed-limits.js'
import { DOWNLOAD_USAGE } from './usage.js'
import { downloadMany } from './download-many.js'
import { stateDirOption } from './session-run.js'
import { singleTorrentState } from './single-state.js'

/**
 * `rxtorrent download <file.torrent|magnet> --out <dir> [--peer host:port]...
 * [--port N] [--seed] [--seed-ratio R] [--seed-time MIN] [--quiet] [--json]`:
 * download into `<dir>`.
 *
 * Resolves the exit code: 0 once every piece is verified on disk (with
 * `--seed`: after SIGINT/SIGTERM once seeding, or once `--seed-ratio` or
 * `--seed-time` is reached, whichever first, see `SeedLimits`); 1 on a runtime failure; 2 for a
 * magnet link or bad torrent; 130/143 when stopped by SIGINT/SIGTERM before
 * completion. On a signal the pipeline is unsubscribed and the files flushed
 * and closed before it resolves.
 * @throws UsageError for bad flags, MetainfoError etc. for a bad torrent (before the run starts)
 * @see BEP 3
 */
export async function downloadCommand (argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals: pos } = parseStrict({
    args: [...argv],
    options: {
      out: { type: 'string' },
      peer: { type: 'string', multiple: true },
      port: { type: 'string' },
      host: { type: 'string' },
      only: { type: 'string', multiple: true },
      'download-limit': { type: 'string' },
      'upload-limit': { type: 'string' },
      seed: { type: 'boolean' },
      'seed-ratio': { type: 'string' },
      'seed-time': { type: 'string' },
      quiet: { type: 'boolean' },
      json: { type: 'boolean' },
      'no-direct-io': { type: 'boolean' },
      state: { type: 'string' },
      'no-state': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    },
    allowPositionals: true,
    strict: true
  })
  if (values.help === true) { io.stdout.write(DOWNLOAD_USAGE); return EXIT.OK }
  // Several inputs: one session (a line per torrent). One magnet link with
  // --state too (its resume data is kept once its metadata has come).
  const many = pos.length > 1 || (values.state !== undefined && pos[0]?.startsWith('magnet:') === true)
  const [input] = many && pos.length > 0 ? pos as [string] : positionals(pos, ['a .torrent file or magnet link']) as [string]
  if (values.out === undefined || values.out === '') throw new UsageError('bad-args', 'missing --out <dir>')
  if (values.quiet === true && values.json === true) throw new UsageError('bad-args', '--quiet and --json cannot be combined')
  const peers = (values.peer ?? []).map(parsePeer)
  const port = values.port === undefined ? undefined : parsePort(values.port)
  // --seed-ratio / --seed-time imply --seed (aria2's meaning; --seed-time 0: no seeding).
  const limits = parseSeedLimits(values['seed-ratio'], values['seed-time'])
  const seeding = (values.seed === true || hasSeedLimits(limits)) && limits.minutes !== 0
  const stopper = new SeedStopper(limits)
  const stateDir = stateDirOption(values)
  if (many && values.only !== undefined) throw new UsageError('bad-args', pos.length > 1 ? '--only selects files of one torrent: give one torrent' : '--only is not taken with a magnet link and --state')
  await checkOutFolder(values.out)
  if (many) {
    return await downloadMany({
      inputs: pos,
      out: values.out,
      peers,
      port,
      host: values.host,
      downloadLimit: values['download-limit'] === undefined ? undefined : parseRate(values['download-limit'], '--download-limit'),
      uploadLimit: values['upload-limit'] === undefined ? undefined : parseRate(values['upload-limit'], '--upload-limit'),
      seeding,
      limits,
      directIo: values['no-direct-io'] !== true,
      stateDir,
      mode: chooseMode(values, io.stderr)
    }, io)
  }
  const loaded = await loadInput(input, io, { warn: false })
  const reporter = new ProgressReporter(chooseMode(values, io.stderr), io.stdout, io.stderr)
  if (loaded.kind === 'torrent') reportTolerated(loaded.torrent, input, reporter, io)
  // What the magnet parser tolerated (a dropped tracker, a skipped `so` item).
  if (loaded.kind === 'magnet') for (const message of loaded.magnet.warnings ?? []) reporter.warning({ type: 'warning', message: `magnet: ${message}` })
  // Direct writes where the file system allows them (FileStorageOptions.directIo), unless turned off.
  const directIo = values['no-direct-io'] !== true
  const common = {
    out: values.out,
    peers,
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.only === undefined ? {} : { only: values.only }),
    ...(values['download-limit'] === undefined ? {} : { downloadLimit: parseRate(values['download-limit'], '--download-limit') }),
    ...(values['upload-limit'] === undefined ? {} : { uploadLimit: parseRate(values['upload-limit'], '--upload-limit') }),
    seed: seeding,
    directIo,
    onWarning: (w: TorrentWarning) => { reporter.warning(w) }
  }
  // A magnet link: the metadata comes from peers first (BEP 9); the pipeline
  // then owns its file storage. A .torrent: the storage is ours to close.
  const storage = loaded.kind === 'torrent' ? new FileStorage(loaded.torrent, values.out, { directIo }) : undefined
  // Resume data for a .torrent (--state, default $XDG_STATE_HOME/rxtorrent; --no-state: none).
  const state = loaded.kind === 'torrent' ? await singleTorrentState(stateDir, loaded.torrent, values.out, (w) => { reporter.warning(w) }) : undefined
  let named: { infoHash: string, name: string } = loaded.kind === 'torrent'
    ? { infoHash: loaded.torrent.infoHashHex, name: loaded.torrent.name }
    : { infoHash: loaded.magnet.infoHashHex, name: loaded.magnet.name ?? loaded.magnet.infoHashHex }
  const run$ = loaded.kind === 'torrent'
    ? download(loaded.torrent, { ...common, ...state?.runOptions, storage: storage as FileStorage })
    : downloadMagnet(loaded.magnet, { ...common, onMetadata: (m) => { named = { infoHash: m.torrent.infoHashHex, name: m.torrent.name } } })
  let stopReason: string | undefined
  const outcome = await runUntilStopped(run$, io, p => {
    reporter.progress(p)
    stopReason = seeding ? stopper.check(p) : undefined
    return stopReason === undefined ? undefined : 'stop'
  })

  let closeError: unknown
  await storage?.close().catch(async (e: unknown) => {
    closeError = e
    await storage.close().catch(() => {})
  })
  await state?.close()

  if (outcome.kind === 'error') {
    reporter.end()
    reporter.error(reasonOf(outcome.error), (outcome.error as { code?: string }).code)
    return exitCodeFor(outcome.error)
  }
  if (closeError !== undefined) {
    reporter.end()
    reporter.error(reasonOf(closeError), (closeError as { code?: string }).code)
    return EXIT.FAILURE
  }
  if (outcome.kind === 'signal') {
    const seeding = reporter.last?.state === 'seeding'
    reporter.end()
    if (seeding) return EXIT.OK
    const p = reporter.last
    const verified = p === undefined ? '' : `; ${p.piecesVerified} of ${p.pieceCount} pieces verified`
    reporter.error(`stopped by ${outcome.signal} before the download completed${verified}`, 'interrupted')
    return exitCodeForSignal(outcome.signal)
  }
  reporter.done(named.infoHash, named.name, stopReason)
  return EXIT.OK
}

/** A rate in bytes per second: a number with an optional k/M/G suffix (powers of 1024). @throws UsageError */
export function parseRate (text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(text.trim())
  if (m === null) throw new UsageError('bad-args', `${flag} must be bytes per second, e.g. 500k or 2M; got ${text}`)
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] as string).toLowerCase() as '' | 'k' | 'm' | 'g']
  return Math.round(Number(m[1]) * scale)
}
