import { createSocket } from 'node:dgram'
/**
 * Child processes for the interop tests: spawned so that they die with the
 * test process, with their stdout split into lines (and JSON lines parsed),
 * a bounded stderr tail for diagnostics, and a hard kill on teardown.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (three levels above this file). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** The Python that has Debian's libtorrent bindings. */
export const SYSTEM_PYTHON = '/usr/bin/python3'

/**
 * A few lines of Python that ask the kernel to SIGKILL the process when its
 * parent exits (PR_SET_PDEATHSIG survives exec), then exec the real command.
 */
const PDEATHSIG_SHIM =
  'import ctypes,os,signal,sys\n' +
  'ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)\n' +
  'os.execvp(sys.argv[1], sys.argv[1:])\n'

const STDERR_TAIL = 16 * 1024
/** Lines of stdout kept per process (older ones are dropped). */
export const MAX_LINES = 20_000

/** How a child process ended. */
export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** Options for {@link ManagedProcess}. */
export interface ManagedOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** A short name used in diagnostics. */
  label?: string
  /**
   * SIGKILL the child when the test process dies (PR_SET_PDEATHSIG, set by
   * a Python shim before exec). Default true; turn off for a watchdog that
   * must outlive its parent long enough to kill its own child.
   */
  dieWithParent?: boolean
}

const live = new Set<ManagedProcess>()

/**
 * A spawned child that dies with us: PDEATHSIG when the system Python is
 * there to set it, plus an open stdin pipe whose EOF the helpers watch.
 */
export class ManagedProcess {
  readonly child: ChildProcess
  readonly label: string
  /** stdout split at `\n`, `\r\n` and bare `\r` (the most recent {@link MAX_LINES}). */
  readonly lines: string[] = []
  private readonly records: Array<Record<string, unknown>> = []
  readonly exited: Promise<Exit>
  private stderrTail = ''
  private exit: Exit | undefined
  private readonly waiters = new Set<() => void>()

  constructor (command: string, args: readonly string[], options: ManagedOptions = {}) {
    this.label = options.label ?? command
    const shim = options.dieWithParent !== false && existsSync(SYSTEM_PYTHON) && process.platform === 'linux'
    const [file, argv] = shim
      ? [SYSTEM_PYTHON, ['-c', PDEATHSIG_SHIM, command, ...args]]
      : [command, [...args]]
    this.child = spawn(file, argv, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe']
    })
    live.add(this)
    let partial = ''
    this.child.stdout?.setEncoding('utf8')
    this.child.stdout?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split(/\r\n|\n|\r/)
      partial = parts.pop() ?? ''
      for (const line of parts) this.addLine(line)
      this.notify()
    })
    this.child.stderr?.setEncoding('utf8')
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL)
      this.notify()
    })
    this.child.stdin?.on('error', () => {})
    this.exited = new Promise<Exit>((resolveExit) => {
      this.child.on('error', (err) => {
        this.stderrTail += `\n[spawn error] ${err.message}`
        this.exit = { code: null, signal: null }
        live.delete(this)
        this.notify()
        resolveExit(this.exit)
      })
      this.child.on('close', (code, signal) => {
        if (partial !== '') this.addLine(partial)
        partial = ''
        this.exit = { code, signal }
        live.delete(this)
        this.notify()
        resolveExit(this.exit)
      })
    })
  }

  get pid (): number | undefined { return this.child.pid }
  get stdout (): string { return this.lines.join('\n') }
  get stderr (): string { return this.stderrTail }
  get hasExited (): boolean { return this.exit !== undefined }

  /** Every stdout line that parsed as a JSON object (the most recent {@link MAX_LINES}). */
  json (): Array<Record<string, unknown>> {
    return this.records
  }

  /**
   * Resolves with the first JSON line for which `match` holds (looking at
   * lines already received too). Rejects when the process exits first or
   * after `timeoutMs`, with the output tail in the message.
   */
  async waitForJson (match: (value: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
    return await this.waitFor(() => this.json().find(match), timeoutMs, 'a matching JSON line')
  }

  /** Resolves when `probe` returns a value; rejects on exit or timeout. */
  async waitFor<T> (probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return await new Promise<T>((resolveWait, rejectWait) => {
      const check = (): boolean => {
        const value = probe()
        if (value !== undefined) {
          done()
          resolveWait(value)
          return true
        }
        if (this.exit !== undefined) {
          done()
          rejectWait(new Error(`${this.label} exited (${describeExit(this.exit)}) before ${what}\n${this.diagnostics()}`))
          return true
        }
        return false
      }
      const timer = setTimeout(() => {
        done()
        rejectWait(new Error(`${this.label}: no ${what} within ${timeoutMs} ms\n${this.diagnostics()}`))
      }, timeoutMs)
      const listener = (): void => { check() }
      const done = (): void => {
        clearTimeout(timer)
        this.waiters.delete(listener)
      }
      if (!check()) this.waiters.add(listener)
    })
  }

  /** Sends `signal` if the process is still running. */
  kill (signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.exit === undefined) this.child.kill(signal)
  }

  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves on exit. */
  async stop (graceMs = 2000, signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.exit !== undefined) return this.exit
    this.kill(signal)
    const timer = setTimeout(() => { this.kill('SIGKILL') }, graceMs)
    const result = await this.exited
    clearTimeout(timer)
    return result
  }

  /** The last lines of stdout and stderr, for assertion messages. */
  diagnostics (): string {
    return `--- ${this.label} stdout (tail) ---\n${this.lines.slice(-30).join('\n')}\n` +
      `--- ${this.label} stderr (tail) ---\n${this.stderrTail.slice(-4000)}`
  }

  private addLine (line: string): void {
    this.lines.push(line)
    if (this.lines.length > MAX_LINES) this.lines.shift()
    const value = parseJsonLine(line)
    if (value !== undefined) {
      this.records.push(value)
      if (this.records.length > MAX_LINES) this.records.shift()
    }
  }

  private notify (): void {
    for (const waiter of [...this.waiters]) waiter()
  }
}

/** Kills every process started through {@link ManagedProcess} still alive. */
export async function stopAll (): Promise<void> {
  await Promise.all([...live].map(async (p) => await p.stop(1000)))
}

/** Parses one line as a JSON object, or `undefined` if it is not one. */
export function parseJsonLine (line: string): Record<string, unknown> | undefined {
  const text = line.trim()
  if (!text.startsWith('{')) return undefined
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? value as Record<string, unknown>
      : undefined
  } catch {
    return undefined
  }
}

/** `code 0` or `signal SIGKILL`. */
export function describeExit (exit: Exit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `code ${String(exit.code)}`
}

/** The result of {@link runCli}. */
export interface CliResult extends Exit {
  stdout: string
  stderr: string
  timedOut: boolean
  /** The stdout lines that are JSON objects. */
  json: Array<Record<string, unknown>>
  /** stdout and stderr tails, for assertion messages. */
  diagnostics: string
}

/** Starts `node bin/rxtorrent.js <args>` as a {@link ManagedProcess}. */
export function spawnCli (args: readonly string[], options: ManagedOptions = {}): ManagedProcess {
  return new ManagedProcess(process.execPath, [resolve(REPO_ROOT, 'bin/rxtorrent.js'), ...args], {
    label: `rxtorrent ${args[0] ?? ''}`,
    ...options
  })
}

/**
 * Runs `node bin/rxtorrent.js <args>` to completion; after `timeoutMs` the
 * child is SIGKILLed and `timedOut` is set.
 */
export async function runCli (args: readonly string[], options: ManagedOptions & { timeoutMs?: number } = {}): Promise<CliResult> {
  const proc = spawnCli(args, options)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    proc.kill('SIGKILL')
  }, options.timeoutMs ?? 120_000)
  const exit = await proc.exited
  clearTimeout(timer)
  return {
    ...exit,
    stdout: proc.stdout,
    stderr: proc.stderr,
    timedOut,
    json: proc.json(),
    diagnostics: `${describeExit(exit)}${timedOut ? ' (timed out)' : ''}\n${proc.diagnostics()}`
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort (): Promise<number> {
  return await new Promise<number>((resolvePort, rejectPort) => {
    const server = createServer()
    server.on('error', rejectPort)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => { resolvePort(port) })
    })
  })
}

/** Whether a TCP connection to 127.0.0.1:`port` is accepted. */
export async function canConnect (port: number, host = '127.0.0.1'): Promise<boolean> {
  return await new Promise<boolean>((resolveProbe) => {
    const socket = connect({ port, host })
    const finish = (ok: boolean): void => {
      socket.destroy()
      resolveProbe(ok)
    }
    socket.once('connect', () => { finish(true) })
    socket.once('error', () => { finish(false) })
    socket.setTimeout(1000, () => { finish(false) })
  })
}

/**
 * A privileged port on 127.0.0.1 with nothing on it over TCP or UDP. A low
 * port (not on the fetch "bad ports" list) stays closed while the test runs,
 * where an ephemeral one could be taken by another process in the meantime.
 */
export async function closedPort (): Promise<number> {
  for (const port of [2, 3, 4, 5, 6, 8, 10]) {
    if (await canConnect(port)) continue
    const socket = createSocket('udp4')
    const free = await new Promise<boolean>((resolve) => {
      socket.once('error', () => { resolve(false) })
      socket.bind(port, '127.0.0.1', () => { resolve(true) })
    })
    await new Promise<void>((resolve) => { socket.close(() => { resolve() }) })
    if (free) return port
  }
  throw new Error('no closed low port on 127.0.0.1 (tests run as root in CI)')
}

/**
 * Polls until 127.0.0.1:`port` accepts connections. Rejects when `owner`
 * exits first or after `timeoutMs`.
 */
export async function waitForPort (port: number, timeoutMs: number, owner?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (owner?.hasExited === true) {
      throw new Error(`${owner.label} exited before listening on ${port}\n${owner.diagnostics()}`)
    }
    if (await canConnect(port)) return
    if (Date.now() > deadline) {
      throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms${owner !== undefined ? `\n${owner.diagnostics()}` : ''}`)
    }
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 100))
  }
}
