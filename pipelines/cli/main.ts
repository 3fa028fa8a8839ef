/**
 * The `rxtorrent` command line: `create`, `info`, `download`, `seed`, `demo`.
 * `bin/rxtorrent.js` calls {@link main} and exits with what it resolves.
 *
 * @example
 * ```ts
 * import { main } from './main.js'
 * process.exitCode = await main(['info', 'ubuntu.torrent', '--json'])
 * ```
 */
import { readFileSync } from 'node:fs'
import { isRxTorrentError, UsageError } from '../../lib/errors.js'
import { wantsJson } from './args.js'
import { nodeIo, type CliIo } from './cli-io.js'
import { EXIT, exitCodeFor, reasonOf } from './exit-codes.js'
import { errorRecord, oneLine } from './progress.js'
import { MAIN_USAGE, usageOf } from './usage.js'

type Command = (argv: readonly string[], io: CliIo) => Promise<number>

/** Commands are loaded when used, so one command's dependencies never slow or break another. */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  create: async () => (await import('./create.js')).createCommand,
  info: async () => (await import('./info.js')).infoCommand,
  download: async () => (await import('./download.js')).downloadCommand,
  seed: async () => (await import('./seed.js')).seedCommand,
  demo: async () => (await import('./demo.js')).demoCommand,
  tracker: async () => (await import('./tracker.js')).trackerCommand,
  scrape: async () => (await import('./scrape.js')).scrapeCommand,
  stream: async () => (await import('./stream.js')).streamCommand
}

/**
 * Run the CLI with `argv` (without the node and script names). Resolves the
 * exit code and never rejects: 0 ok; 1 runtime failure; 2 usage error or bad
 * torrent input (with the command's usage on stderr for flag errors);
 * 130/143 when `download` is stopped by SIGINT/SIGTERM before completing.
 * Errors are reported as one line, `rxtorrent: <reason>`, on stderr; with
 * `--json` also as one `{"type":"error","message":…,"code":…}` line on stdout
 * (and without the usage text).
 */
export async function main (argv: readonly string[], io: CliIo = nodeIo()): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === undefined) {
      io.stderr.write(MAIN_USAGE)
      return EXIT.USAGE
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      const topic = rest[0]
      const text = topic === undefined ? MAIN_USAGE : usageOf(topic)
      if (text === undefined) throw new UsageError('bad-args', `unknown command '${topic ?? ''}'`)
      io.stdout.write(text)
      return EXIT.OK
    }
    if (command === '--version' || command === '-V') {
      io.stdout.write(`rxtorrent ${version()}\n`)
      return EXIT.OK
    }
    const load = COMMANDS[command]
    if (load === undefined || !Object.hasOwn(COMMANDS, command)) {
      throw new UsageError('bad-args', command.startsWith('-') ? `unknown option '${command}'` : `unknown command '${command}'`)
    }
    if (asksForHelp(rest)) {
      io.stdout.write(usageOf(command) ?? MAIN_USAGE)
      return EXIT.OK
    }
    return await (await load())(rest, io)
  } catch (e) {
    io.stderr.write(`rxtorrent: ${oneLine(reasonOf(e))}\n`)
    if (wantsJson(rest)) {
      // --json: the error is also one record on stdout, the shape `download --json` prints.
      const code = isRxTorrentError(e) ? e.code : undefined
      io.stdout.write(errorRecord(oneLine(reasonOf(e)), code) + '\n')
    } else if (e instanceof UsageError && e.code === 'bad-args') {
      const usage = (command === undefined ? undefined : usageOf(command)) ?? MAIN_USAGE
      io.stderr.write(usage)
    }
    return exitCodeFor(e)
  }
}

/** `--help` or `-h` among the flags (before a `--` terminator). */
function asksForHelp (argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).some(a => a === '--help' || a === '-h')
}

/**
 * Our version from package.json: two levels up from the sources
 * (`pipelines/cli/`), three from the build (`dist/pipelines/cli/`).
 */
function version (): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8'))
      const { name, version: v } = pkg as { name?: unknown, version?: unknown }
      if (name === 'rxtorrent' && typeof v === 'string') return v
    } catch {
      // not here (or unreadable): try the next level
    }
  }
  return 'unknown'
}
