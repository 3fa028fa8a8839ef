import { UsageError } from '../../lib/errors.js'
import { fromHex } from '../../lib/magnet/info-hash.js'
import { startTracker } from '../tracker-server.js'
import { parsePort, parseStrict, positionals } from './args.js'
import type { CliIo } from './cli-io.js'
import { EXIT } from './exit-codes.js'
import { TRACKER_USAGE } from './usage.js'

/** Default HTTP and UDP port of `rxtorrent tracker`. */
export const DEFAULT_TRACKER_PORT = 6969

/**
 * `rxtorrent tracker [--http-port N] [--udp-port N] [--host ADDR]
 * [--interval S] [--allow HEX]...`: run a tracker (HTTP and UDP on 6969 by
 * default, on 0.0.0.0), print its announce URLs, and serve until
 * SIGINT/SIGTERM, then exit 0. `--http-port off` or `--udp-port off` turns a
 * front end off. Rejects (exit 1) when a port cannot be bound.
 * @throws UsageError for bad flags
 * @see BEP 3, BEP 15
 */
export async function trackerCommand (argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals: pos } = parseStrict({
    args: [...argv],
    options: {
      'http-port': { type: 'string' },
      'udp-port': { type: 'string' },
      host: { type: 'string' },
      interval: { type: 'string' },
      allow: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' }
    },
    allowPositionals: true,
    strict: true
  })
  if (values.help === true) { io.stdout.write(TRACKER_USAGE); return EXIT.OK }
  positionals(pos, [])
  const port = (v: string | undefined): number | undefined =>
    v === 'off' ? undefined : v === undefined ? DEFAULT_TRACKER_PORT : parsePort(v)
  const httpPort = port(values['http-port'])
  const udpPort = port(values['udp-port'])
  if (httpPort === undefined && udpPort === undefined) throw new UsageError('bad-args', 'both --http-port and --udp-port are off')
  let interval: number | undefined
  if (values.interval !== undefined) {
    interval = /^\d{1,7}$/.test(values.interval) ? Number(values.interval) : Number.NaN
    if (!(interval >= 1)) throw new UsageError('bad-interval', `bad --interval '${values.interval}': expected seconds, at least 1`)
  }
  const allowList = values.allow?.map(hex => {
    const bytes = hex.length === 40 ? fromHex(hex) : undefined
    if (bytes === undefined) throw new UsageError('bad-info-hash', `bad --allow '${hex}': expected a 40-digit hex info-hash`)
    return bytes
  })
  const server = await startTracker({
    host: values.host ?? '0.0.0.0',
    ...(httpPort === undefined ? {} : { httpPort }),
    ...(udpPort === undefined ? {} : { udpPort }),
    ...(interval === undefined ? {} : { interval }),
    ...(allowList === undefined ? {} : { allowList })
  })
  try {
    if (server.httpUrl !== undefined) io.stdout.write(`tracker: ${server.httpUrl}\n`)
    if (server.udpUrl !== undefined) io.stdout.write(`tracker: ${server.udpUrl}\n`)
    await new Promise<void>(resolve => {
      const stop = io.onSignal(() => { stop(); resolve() })
    })
  } finally {
    await server.close()
  }
  return EXIT.OK
}
