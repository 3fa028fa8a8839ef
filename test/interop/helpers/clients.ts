/**
 * Which real BitTorrent clients this machine has, and the rule for tests
 * that need one: when a client is absent the suite is skipped with a printed
 * reason, unless `RXTORRENT_REQUIRE_INTEROP=1` (set by CI), in which case
 * the suite fails instead.
 *
 * Also re-exports the process and data helpers so a test imports one module.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, it } from 'vitest'
import { SYSTEM_PYTHON } from './processes.js'

export * from './processes.js'
export * from './data.js'

/** The outcome of looking for one client. */
export interface ClientCheck {
  /** The client's name, as printed in skip reasons. */
  name: string
  available: boolean
  /** Why it is unavailable, or its version when it is available. */
  detail: string
}

const cache = new Map<string, ClientCheck>()

function probe (name: string, command: string, args: readonly string[], hint: string): ClientCheck {
  const cached = cache.get(name)
  if (cached !== undefined) return cached
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim()
  const check: ClientCheck = result.status === 0
    ? { name, available: true, detail: output.split('\n')[0] ?? '' }
    : {
        name,
        available: false,
        detail: result.error !== undefined
          ? `${command} not runnable (${result.error.message}); ${hint}`
          : `\`${[command, ...args].join(' ')}\` failed: ${output.split('\n').slice(-1)[0] ?? ''}; ${hint}`
      }
  cache.set(name, check)
  return check
}

/** libtorrent's Python bindings, as Debian's /usr/bin/python3 sees them. */
export function hasLibtorrent (): ClientCheck {
  if (!existsSync(SYSTEM_PYTHON)) {
    return { name: 'libtorrent', available: false, detail: `${SYSTEM_PYTHON} not found; install python3-libtorrent` }
  }
  return probe('libtorrent', SYSTEM_PYTHON, ['-c', 'import libtorrent; print("libtorrent " + libtorrent.__version__)'],
    'install python3-libtorrent')
}

/** transmission-cli (Transmission 3.x). */
export function hasTransmission (): ClientCheck {
  return probe('transmission-cli', 'transmission-cli', ['--version'], 'install transmission-cli')
}

/** mktorrent. */
export function hasMktorrent (): ClientCheck {
  const check = probe('mktorrent', 'mktorrent', ['-h'], 'install mktorrent')
  return check
}

/** aria2c. */
export function hasAria2 (): ClientCheck {
  return probe('aria2c', 'aria2c', ['--version'], 'install aria2')
}

/** opentracker (it has no version flag; being on PATH is enough). */
export function hasOpentracker (): ClientCheck {
  const found = spawnSync('sh', ['-c', 'command -v opentracker'], { encoding: 'utf8' })
  return found.status === 0
    ? { name: 'opentracker', available: true, detail: found.stdout.trim() }
    : { name: 'opentracker', available: false, detail: 'opentracker not on PATH; install opentracker' }
}

/** Whether CI demands every interop client (absent ones fail the run). */
export function interopRequired (): boolean {
  return process.env.RXTORRENT_REQUIRE_INTEROP === '1'
}

/**
 * A `describe` that needs `clients`. All present: runs `body`. One missing:
 * skips with the reason printed, or, when {@link interopRequired}, registers
 * one failing test naming what is missing.
 */
export function describeWithClients (name: string, clients: readonly ClientCheck[], body: () => void): void {
  const missing = clients.filter((c) => !c.available)
  const reason = missing.map((c) => `${c.name}: ${c.detail}`).join('; ')
  if (missing.length > 0 && interopRequired()) {
    describe(name, () => {
      it('has the interop clients it needs (RXTORRENT_REQUIRE_INTEROP=1)', () => {
        throw new Error(`missing interop client(s) — ${reason}`)
      })
    })
    return
  }
  if (missing.length > 0) {
    console.warn(`[interop] skipping "${name}": ${reason} (set RXTORRENT_REQUIRE_INTEROP=1 to fail instead)`)
  }
  describe.skipIf(missing.length > 0)(name, body)
}
