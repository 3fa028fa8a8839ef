import { UsageError } from '../../lib/errors.js'
import { formatAddress } from '../../lib/transport/types.js'
import { FileStorage } from '../node/file-storage.js'
import { seed } from '../seed.js'
import type { Progress } from '../types.js'
import { parsePort, parseStrict, positionals } from './args.js'
import type { CliIo } from './cli-io.js'
import { EXIT, exitCodeFor, reasonOf } from './exit-codes.js'
import { loadTorrent } from './load-input.js'
import { formatBytes, warningLine } from './progress.js'
import { runUntilStopped } from './run-until-stopped.js'
import { SEED_USAGE } from './usage.js'

/** Default port of `rxtorrent seed`. */
export const DEFAULT_SEED_PORT = 6881

/**
 * `rxtorrent seed <file.torrent> --data <dir> [--port N] [--host ADDR]`:
 * verify the data, print how many pieces verified (warning when not all),
 * print the listening address, and serve the verified pieces until
 * SIGINT/SIGTERM. Resolves 0 after a signal (files closed), 1 on a runtime
 * failure (e.g. the port is taken), 2 for a bad torrent.
 * @throws UsageError for bad flags or a magnet link; MetainfoError etc. for a bad torrent
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
      help: { type: 'boolean', short: 'h' }
    },
    allowPositionals: true,
    strict: true
  })
  if (values.help === true) { io.stdout.write(SEED_USAGE); return EXIT.OK }
  const [input] = positionals(pos, ['a .torrent file']) as [string]
  if (values.data === undefined || values.data === '') throw new UsageError('bad-args', 'missing --data <dir>')
  const port = values.port === undefined ? DEFAULT_SEED_PORT : parsePort(values.port)
  const torrent = await loadTorrent(input, io)
  const storage = new FileStorage(torrent, values.data)

  let reported = false
  const onProgress = (p: Progress): void => {
    if (reported || p.state === 'checking') return
    reported = true
    io.stdout.write(`verified ${p.piecesVerified}/${p.pieceCount} pieces (${formatBytes(p.bytesVerified)} of ${formatBytes(p.length)})\n`)
    if (p.piecesVerified < p.pieceCount) {
      io.stderr.write(warningLine({ type: 'warning', message: `${p.pieceCount - p.piecesVerified} pieces are missing or bad in ${values.data}; serving the ${p.piecesVerified} that verified` }) + '\n')
    }
  }
  const outcome = await runUntilStopped(seed(torrent, {
    data: values.data,
    port,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.superseed === true ? { superseed: true } : {}),
    storage,
    onListening: a => { io.stdout.write(`seeding ${torrent.name} (${torrent.infoHashHex}) on ${formatAddress(a)}\n`) },
    onWarning: w => { io.stderr.write(warningLine(w) + '\n') }
  }), io, onProgress)
  await storage.close().catch(() => {})

  if (outcome.kind === 'error') {
    io.stderr.write(`rxtorrent: ${reasonOf(outcome.error)}\n`)
    return exitCodeFor(outcome.error)
  }
  return EXIT.OK
}
