/**
 * A throwaway Linux network namespace for interop tests that need a peer
 * address outside 127.0.0.0/8 without touching the host's interfaces: its
 * own loopback, up, holding 127.0.0.1 and extra addresses (198.18.0.1 and
 * 198.18.0.2 by default, from the RFC 2544 benchmarking range). Nothing
 * inside can reach the host's network, so no traffic leaves the machine.
 *
 * What we found:
 * - `ip netns add` needs CAP_SYS_ADMIN (root in CI); {@link hasNetns} probes
 *   it once so a suite can skip (or fail under RXTORRENT_REQUIRE_INTEROP=1).
 * - `ip netns exec` setns()es and then exec()s the command in the same
 *   process, so the PR_SET_PDEATHSIG set by the process shim survives and
 *   the client still dies with the test process.
 * - A connection from inside the namespace to one of its own addresses gets
 *   that address as its source, so a client talking to a tracker on
 *   198.18.0.1 is seen by the tracker as 198.18.0.1.
 * - A named namespace outlives the test process (it is a bind mount under
 *   /run/netns), so names carry the creating pid and {@link createNetns}
 *   deletes those whose creator is gone.
 */
import { spawnSync } from 'node:child_process'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClientCheck } from './clients.js'
import { ManagedProcess, SYSTEM_PYTHON, describeExit } from './processes.js'
import type { ManagedOptions } from './processes.js'

const WATCHDOG = join(dirname(fileURLToPath(import.meta.url)), 'watchdog.py')
const PREFIX = 'rxt-'
let counter = 0

/** The extra addresses given to a namespace's loopback unless told otherwise. */
export const NETNS_ADDRESSES: readonly string[] = ['198.18.0.1', '198.18.0.2']

/** A network namespace made by {@link createNetns}. */
export interface Netns {
  readonly name: string
  /** The non-loopback addresses on its `lo`, e.g. 198.18.0.1 and 198.18.0.2. */
  readonly addresses: readonly string[]
  /** The argv that runs `command args…` inside the namespace. */
  wrap: (command: string, args: readonly string[]) => [string, string[]]
  /** Starts `command args…` inside the namespace as a {@link ManagedProcess}. */
  spawn: (command: string, args: readonly string[], options?: ManagedOptions) => ManagedProcess
  /**
   * Polls until `host:port` accepts TCP connections from inside the
   * namespace. Rejects when `owner` exits first or after `timeoutMs`.
   */
  waitForPort: (host: string, port: number, timeoutMs: number, owner?: ManagedProcess) => Promise<void>
  /** Stops what {@link spawn} started, kills anything left inside, deletes the namespace. */
  destroy: () => Promise<void>
}

function ip (args: readonly string[]): { ok: boolean, output: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error !== undefined ? r.error.message : ''}`.trim()
  return { ok: r.status === 0, output }
}

let probed: ClientCheck | undefined

/**
 * Whether this process may create network namespaces: `ip` (iproute2) is on
 * PATH and `ip netns add` succeeds (CAP_SYS_ADMIN). Probed once, with a
 * namespace that is deleted at once.
 */
export function hasNetns (): ClientCheck {
  if (probed !== undefined) return probed
  const name = `${PREFIX}${process.pid}-probe`
  const added = ip(['netns', 'add', name])
  if (added.ok) ip(['netns', 'del', name])
  probed = added.ok
    ? { name: 'network namespaces', available: true, detail: 'ip netns add works' }
    : {
        name: 'network namespaces',
        available: false,
        detail: `\`ip netns add\` failed (${added.output}); needs iproute2 and root (CAP_SYS_ADMIN)`
      }
  return probed
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Deletes `rxt-<pid>-…` namespaces whose creating process has exited. */
function removeStale (): void {
  const list = ip(['netns', 'list'])
  if (!list.ok) return
  for (const line of list.output.split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? ''
    const m = /^rxt-(\d+)-/.exec(name)
    if (m === null) continue
    if (!alive(Number(m[1]))) ip(['netns', 'del', name])
  }
}

async function delay (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Creates a namespace `rxt-<pid>-<n>` with `lo` up, holding 127.0.0.1 and
 * each of `addresses` as a /32. Throws with `ip`'s message when it cannot.
 */
export async function createNetns (addresses: readonly string[] = NETNS_ADDRESSES): Promise<Netns> {
  removeStale()
  const name = `${PREFIX}${process.pid}-${counter++}`
  const steps = [['netns', 'add', name], ['-n', name, 'link', 'set', 'lo', 'up'],
    ...addresses.map((a) => ['-n', name, 'addr', 'add', `${a}/32`, 'dev', 'lo'])]
  for (const args of steps) {
    const r = ip(args)
    if (!r.ok) {
      ip(['netns', 'del', name])
      throw new Error(`\`ip ${args.join(' ')}\` failed: ${r.output}`)
    }
  }
  const started = new Set<ManagedProcess>()
  const wrap = (command: string, args: readonly string[]): [string, string[]] => ['ip', ['netns', 'exec', name, command, ...args]]
  const spawn = (command: string, args: readonly string[], options: ManagedOptions = {}): ManagedProcess => {
    const [c, a] = wrap(command, args)
    const proc = new ManagedProcess(c, a, { label: command, ...options })
    started.add(proc)
    return proc
  }
  const probeScript = 'import socket,sys\nsocket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()\n'
  return {
    name,
    addresses,
    wrap,
    spawn,
    waitForPort: async (host, port, timeoutMs, owner) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        if (owner?.hasExited === true) throw new Error(`${owner.label} exited before listening on ${host}:${port}\n${owner.diagnostics()}`)
        const [c, a] = wrap(SYSTEM_PYTHON, ['-c', probeScript, host, String(port)])
        const probe = new ManagedProcess(c, a, { label: 'port probe' })
        const exit = await probe.exited
        if (exit.code === 0) return
        if (Date.now() > deadline) {
          throw new Error(`nothing listens on ${host}:${port} in ${name} after ${timeoutMs} ms (${describeExit(exit)})` +
            (owner !== undefined ? `\n${owner.diagnostics()}` : ''))
        }
        await delay(150)
      }
    },
    destroy: async () => {
      await Promise.all([...started].map(async (p) => await p.stop(2000)))
      started.clear()
      // Anything still inside was started by this test (through a wrapper).
      const pids = ip(['netns', 'pids', name])
      for (const pid of pids.ok ? pids.output.split(/\s+/).filter((s) => /^\d+$/.test(s)) : []) {
        try { process.kill(Number(pid), 'SIGKILL') } catch { /* already gone */ }
      }
      const r = ip(['netns', 'del', name])
      if (!r.ok) throw new Error(`\`ip netns del ${name}\` failed: ${r.output}`)
    }
  }
}

/** An opentracker running inside a namespace. */
export interface NetnsOpentracker {
  process: ManagedProcess
  host: string
  port: number
  /** `http://<host>:<port>/announce`. */
  httpAnnounce: string
  stop: () => Promise<void>
}

/**
 * Starts opentracker inside `ns`, listening (HTTP and UDP) on `host:port`
 * and serving only `infoHashes` (40 hex digits each), under `watchdog.py` as
 * the host-side helper does (opentracker drops to `nobody`, which clears
 * PR_SET_PDEATHSIG). `dir` is created and becomes its chroot. Resolves when
 * it accepts TCP connections; rejects if it exits first.
 */
export async function startOpentrackerIn (ns: Netns, dir: string, infoHashes: readonly string[], host: string, port: number): Promise<NetnsOpentracker> {
  await mkdir(dir, { recursive: true })
  await chmod(dir, 0o755)
  await writeFile(join(dir, 'whitelist'), infoHashes.map((h) => h.toLowerCase()).join('\n') + '\n', { mode: 0o644 })
  const args = ['-i', host, '-p', String(port), '-P', String(port), '-d', dir, '-w', 'whitelist']
  const proc = ns.spawn(SYSTEM_PYTHON, [WATCHDOG, 'opentracker', ...args], { label: 'opentracker (netns)', cwd: dir, dieWithParent: false })
  await ns.waitForPort(host, port, 20_000, proc)
  return {
    process: proc,
    host,
    port,
    httpAnnounce: `http://${host}:${port}/announce`,
    stop: async () => { await proc.stop(2000) }
  }
}
