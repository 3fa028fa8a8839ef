/**
 * Runs one child process and measures it: wall time, user and system CPU
 * seconds, and peak resident memory. GNU time (`/usr/bin/time -f`) reports
 * the child's own rusage when it is installed; otherwise /proc/<pid> is
 * sampled while the child runs (CPU from `stat`, peak RSS from `VmHWM`).
 */
import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManagedProcess, describeExit } from '../test/interop/helpers/processes.js'
import type { Exit } from '../test/interop/helpers/processes.js'

/** What one measured run cost. */
export interface Measurement {
  exit: Exit
  wallSeconds: number
  userSeconds: number
  sysSeconds: number
  /** Peak resident set size in KiB. */
  maxRssKiB: number
  /** How the figures were taken. */
  method: 'gnu-time' | 'procfs'
  process: ManagedProcess
}

const GNU_TIME = '/usr/bin/time'
/** Clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100

/** Whether GNU time is installed (it understands `-f` and `-o`). */
export function hasGnuTime (): boolean {
  return existsSync(GNU_TIME)
}

/**
 * Runs `command args` to completion and measures it. Rejects only if the
 * measurement itself fails; a non-zero exit is reported in `exit`.
 */
export async function measure (command: string, args: readonly string[], label: string, env: NodeJS.ProcessEnv = process.env, options: MeasureOptions = {}): Promise<Measurement> {
  return hasGnuTime() ? await measureWithGnuTime(command, args, label, env, options) : await measureWithProcfs(command, args, label, env, options)
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Called once the process is started, with its pid (GNU time's, when it wraps the command). */
  onStart?: (pid: number) => void
}

async function measureWithGnuTime (command: string, args: readonly string[], label: string, env: NodeJS.ProcessEnv, options: MeasureOptions): Promise<Measurement> {
  const report = join(tmpdir(), `rxtorrent-bench-time-${process.pid}-${Date.now()}.txt`)
  const started = process.hrtime.bigint()
  const proc = new ManagedProcess(GNU_TIME, ['-f', '%e %U %S %M', '-o', report, command, ...args], { label, env })
  if (proc.pid !== undefined) options.onStart?.(proc.pid)
  const exit = await proc.exited
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9
  const text = await readFile(report, 'utf8').catch(() => '')
  await rm(report, { force: true })
  // With a failing child GNU time first writes "Command exited with non-zero status N".
  const figures = text.trim().split('\n').pop()?.split(/\s+/).map(Number) ?? []
  const [, user, sys, rss] = figures
  if (user === undefined || sys === undefined || rss === undefined || figures.some(Number.isNaN)) {
    throw new Error(`could not read GNU time's report for ${label} (${describeExit(exit)}): ${JSON.stringify(text)}\n${proc.diagnostics()}`)
  }
  return { exit, wallSeconds, userSeconds: user, sysSeconds: sys, maxRssKiB: rss, method: 'gnu-time', process: proc }
}

async function measureWithProcfs (command: string, args: readonly string[], label: string, env: NodeJS.ProcessEnv, options: MeasureOptions): Promise<Measurement> {
  const started = process.hrtime.bigint()
  const proc = new ManagedProcess(command, args, { label, env })
  if (proc.pid !== undefined) options.onStart?.(proc.pid)
  let user = 0
  let sys = 0
  let rss = 0
  const sample = async (): Promise<void> => {
    const pid = proc.pid
    if (pid === undefined) return
    const [stat, status] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''),
      readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
    ])
    // Fields after the parenthesised command name: utime is the 14th field, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    if (Number.isFinite(utime) && Number.isFinite(stime)) {
      user = utime / CLOCK_TICKS
      sys = stime / CLOCK_TICKS
    }
    const hwm = /VmHWM:\s+(\d+)/.exec(status)?.[1]
    if (hwm !== undefined) rss = Math.max(rss, Number(hwm))
  }
  const timer = setInterval(() => { void sample() }, 100)
  const exit = await proc.exited
  clearInterval(timer)
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9
  return { exit, wallSeconds, userSeconds: user, sysSeconds: sys, maxRssKiB: rss, method: 'procfs', process: proc }
}

/** CPU and memory of a running process, read from /proc/<pid>. */
export interface ProcSnapshot {
  userSeconds: number
  sysSeconds: number
  /** Peak resident set size (`VmHWM`) in KiB since start or the last {@link resetPeakRss}. */
  peakRssKiB: number
  /** Resident set size now (`VmRSS`) in KiB. */
  rssKiB: number
}

/** Reads `pid`'s CPU seconds and resident memory; rejects when the process is gone. */
export async function procSnapshot (pid: number): Promise<ProcSnapshot> {
  const [stat, status] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/status`, 'utf8')])
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return {
    userSeconds: Number(fields[11]) / CLOCK_TICKS,
    sysSeconds: Number(fields[12]) / CLOCK_TICKS,
    peakRssKiB: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN),
    rssKiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN)
  }
}

/**
 * Resets `pid`'s peak RSS (`VmHWM`) to its current RSS (Linux 4.0+: `5` to
 * /proc/<pid>/clear_refs). Resolves false where that is refused.
 */
export async function resetPeakRss (pid: number): Promise<boolean> {
  return await writeFile(`/proc/${pid}/clear_refs`, '5').then(() => true, () => false)
}
