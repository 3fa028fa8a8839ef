import { UsageError } from '../../lib/errors.js'
import { createTorrentFromPath } from '../node/create-torrent.js'
import { parsePieceLength, parseStrict, positionals } from './args.js'
import type { CliIo } from './cli-io.js'
import { EXIT } from './exit-codes.js'
import { CREATE_USAGE } from './usage.js'

/**
 * `rxtorrent create <path> -o <file.torrent> [--announce URL]...
 * [--piece-length BYTES] [--private] [--web-seed URL]... [--comment TEXT]`:
 * hash the file or folder, write the .torrent, print the info-hash (hex) on
 * stdout. Resolves 0.
 * @throws UsageError for bad flags or a path that does not exist; errors of
 *   `createTorrentFromPath` (I/O failures) otherwise
 * @see BEP 3, BEP 12, BEP 19, BEP 27
 */
export async function createCommand (argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals: pos } = parseStrict({
    args: [...argv],
    options: {
      output: { type: 'string', short: 'o' },
      announce: { type: 'string', multiple: true },
      'web-seed': { type: 'string', multiple: true },
      'piece-length': { type: 'string' },
      private: { type: 'boolean' },
      comment: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    allowPositionals: true,
    strict: true
  })
  if (values.help === true) { io.stdout.write(CREATE_USAGE); return EXIT.OK }
  const [path] = positionals(pos, ['the file or folder to share']) as [string]
  if (values.output === undefined || values.output === '') throw new UsageError('bad-args', 'missing -o <file.torrent>')
  const pieceLength = values['piece-length'] === undefined ? undefined : parsePieceLength(values['piece-length'])
  let created
  try {
    created = await createTorrentFromPath(path, {
      announce: values.announce ?? [],
      webSeeds: values['web-seed'] ?? [],
      ...(pieceLength === undefined ? {} : { pieceLength }),
      private: values.private === true,
      ...(values.comment === undefined ? {} : { comment: values.comment }),
      creationDate: io.nowSeconds()
    })
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') throw new UsageError('no-such-path', `${path} does not exist`, { cause: e })
    throw e
  }
  await io.writeFile(values.output, created.bytes)
  io.stdout.write(`${created.torrent.infoHashHex}\n`)
  return EXIT.OK
}
