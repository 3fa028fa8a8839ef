import { runDemo } from '../demo.js'
import { parseStrict, positionals } from './args.js'
import type { CliIo } from './cli-io.js'
import { EXIT } from './exit-codes.js'
import { DEMO_USAGE } from './usage.js'

/**
 * `rxtorrent demo`: run the loopback swarm demonstration of `pipelines/demo.ts`.
 * Resolves `runDemo`'s exit code when it returns a number, else 0.
 * @throws UsageError for bad flags; whatever `runDemo` rejects with
 */
export async function demoCommand (argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals: pos } = parseStrict({
    args: [...argv],
    options: { help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true
  })
  if (values.help === true) { io.stdout.write(DEMO_USAGE); return EXIT.OK }
  positionals(pos, [])
  const result: unknown = await runDemo()
  return typeof result === 'number' ? result : EXIT.OK
}
