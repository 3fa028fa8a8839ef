import { stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from '../../lib/errors.js'
import { parsePeerAddress } from '../../lib/magnet/peer-address.js'
import type { PeerAddress } from '../../lib/transport/types.js'

/**
 * `node:util` `parseArgs` (callers pass `strict: true`) with its errors
 * (unknown flag, missing value, stray argument) turned into UsageError `bad-args`.
 * @throws UsageError `bad-args`
 */
export function parseStrict<T extends ParseArgsConfig> (config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config)
  } catch (e) {
    throw new UsageError('bad-args', argsMessage(e))
  }
}

/** node's parseArgs message, short: `unknown option '--x'` rather than a paragraph on `--`. */
function argsMessage (e: unknown): string {
  const text = e instanceof Error ? e.message : String(e)
  const unknown = /^Unknown option '([^']*)'/.exec(text)
  if (unknown !== null) return `unknown option '${unknown[1] ?? ''}'`
  const positional = /^Unexpected argument '([^']*)'/.exec(text)
  if (positional !== null) return `unexpected argument '${positional[1] ?? ''}'`
  return text
}

/** True when `--json` is among the flags (before a `--` terminator): errors are then JSON records on stdout. */
export function wantsJson (argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json')
}

/**
 * A folder the command will write into (`--out`): fine when missing (it is
 * created) or a folder; a file there, or a file where one of the folders to
 * create would go (`file.bin/sub`), is a usage error, found before any
 * network work.
 * @throws UsageError `bad-out`
 */
export async function checkOutFolder (out: string, flag = '--out'): Promise<void> {
  const found = await stat(out).catch(() => undefined)
  if (found !== undefined && !found.isDirectory()) throw new UsageError('bad-out', `${flag} ${out} is a file, not a folder`)
  if (found !== undefined) return
  // Missing: the nearest existing ancestor must be a folder for it to be made.
  for (let dir = dirname(resolve(out)); ; dir = dirname(dir)) {
    const above = await stat(dir).catch(() => undefined)
    if (above !== undefined) {
      if (!above.isDirectory()) throw new UsageError('bad-out', `${flag} ${out} cannot be made: ${dir} is a file, not a folder`)
      return
    }
    if (dirname(dir) === dir) return
  }
}

/**
 * Check the count of positional arguments.
 * @throws UsageError `bad-args` naming a missing or unexpected argument
 */
export function positionals (list: readonly string[], names: readonly string[]): string[] {
  if (list.length > names.length) throw new UsageError('bad-args', `unexpected argument '${list[names.length] ?? ''}'`)
  names.forEach((name, i) => {
    if (list[i] === undefined || list[i] === '') throw new UsageError('bad-args', `missing ${name}`)
  })
  return [...list]
}

/**
 * A `--peer` value: `host:port` or `[v6]:port`, port 1–65535.
 * @throws UsageError `bad-peer` with the offending text and the expected form
 */
export function parsePeer (text: string): PeerAddress {
  const peer = parsePeerAddress(text)
  if (peer === undefined) {
    throw new UsageError('bad-peer', `bad --peer '${text}': expected host:port or [ipv6]:port with a port from 1 to 65535`)
  }
  return peer
}

/**
 * A `--port` value: an integer from 0 (any free port) to 65535.
 * @throws UsageError `bad-port`
 */
export function parsePort (text: string): number {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN
  if (!(n >= 0 && n <= 65535)) throw new UsageError('bad-port', `bad --port '${text}': expected an integer from 0 to 65535`)
  return n
}

/**
 * A `--piece-length` value in bytes: a power of two from 16 KiB to 512 MiB.
 * @throws UsageError `bad-piece-length`
 */
export function parsePieceLength (text: string): number {
  const n = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN
  if (!(n >= 16384 && n <= 512 * 1024 * 1024 && (n & (n - 1)) === 0)) {
    throw new UsageError('bad-piece-length', `bad --piece-length '${text}': expected a power of two from 16384 to 536870912 bytes`)
  }
  return n
}
