/**
 * Upload benchmark: libtorrent's downloader fetching one single-file torrent
 * from `rxtorrent seed` (the CLI, as a user runs it) and from a libtorrent
 * seeder, side by side in one run, on 127.0.0.1. Each round starts each
 * seeder afresh (it checks the data, then serves), has one libtorrent
 * downloader fetch everything from it, then `--leechers N` downloaders at
 * once, and stops it; the seeders' order alternates from round to round.
 * Prints a table and updates the upload section of docs/benchmarks.md.
 *
 *   npm run bench:upload -- [--size MiB] [--rounds N] [--leechers N]
 *                           [--piece-length KiB] [--dir PATH] [--no-write]
 *                           [--seeders rxtorrent,libtorrent[,null]]
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { sha1File } from '../test/interop/helpers/data.js'
import { LT_PEER_SCRIPT, startLtSeeder } from '../test/interop/helpers/lt-peer.js'
import { ManagedProcess, REPO_ROOT, SYSTEM_PYTHON, describeExit, stopAll } from '../test/interop/helpers/processes.js'
import { prepareTorrent, type Prepared, positiveInt } from './fixture.js'
import { measure, procSnapshot, resetPeakRss, type Measurement, type ProcSnapshot } from './measure.js'
import { describeMachine } from './report.js'
import { median, updateUploadSection, uploadTable, type SeederResult, type UploadReport } from './upload-report.js'

/** `null` is bench/null-seeder.ts: the least work a seeder can do, a ceiling for the other two. */
type Seeder = 'rxtorrent' | 'libtorrent' | 'null'
const SEEDERS: readonly Seeder[] = ['rxtorrent', 'libtorrent', 'null']

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '3' },
    leechers: { type: 'string', default: '6' },
    seeders: { type: 'string', default: 'rxtorrent,libtorrent' },
    'piece-length': { type: 'string', default: '1024' },
    dir: { type: 'string', default: join(REPO_ROOT, '.bench') },
    'no-write': { type: 'boolean', default: false }
  }
})

const sizeMiB = positiveInt('size', values.size)
const rounds = positiveInt('rounds', values.rounds)
const leechers = positiveInt('leechers', values.leechers)
const pieceLengthKiB = positiveInt('piece-length', values['piece-length'])
const workDir = resolve(values.dir)
const bytes = sizeMiB * 1024 * 1024
const seeders = values.seeders.split(',').map((name) => {
  const s = SEEDERS.find((k) => k === name)
  if (s === undefined) throw new Error(`--seeders: unknown seeder ${name} (known: ${SEEDERS.join(', ')})`)
  return s
})

/** As in bench/run.ts: Node parses `NODE_EXTRA_CA_CERTS` at every start; neither client needs it. */
const CLIENT_ENV: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS'))

/** A seeder that has checked its data and listens. */
interface RunningSeeder { process: ManagedProcess, address: string, pid: number }

async function startSeeder (seeder: Seeder, prepared: Prepared): Promise<RunningSeeder> {
  if (seeder === 'libtorrent') {
    const s = await startLtSeeder(prepared.torrent, prepared.dataDir)
    return { process: s.process, address: s.address, pid: s.process.pid as number }
  }
  if (seeder === 'null') {
    const proc = new ManagedProcess(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench/null-seeder.ts'), prepared.torrent, prepared.dataDir], { label: 'null seeder', env: CLIENT_ENV })
    const listening = await proc.waitForJson((v) => v.type === 'listening', 60_000)
    return { process: proc, address: String(listening.address), pid: proc.pid as number }
  }
  const args = [join(REPO_ROOT, 'bin/rxtorrent.js'), 'seed', prepared.torrent, '--data', prepared.dataDir, '--host', '127.0.0.1', '--port', '0', '--json', '--no-state']
  const proc = new ManagedProcess(process.execPath, args, { label: 'rxtorrent seed', env: CLIENT_ENV })
  const listening = await proc.waitForJson((v) => v.type === 'listening', 60_000)
  // The port is bound before the check; serving starts once the check is done.
  await proc.waitForJson((v) => v.type === 'progress' && v.state !== 'checking', 120_000)
  return { process: proc, address: String(listening.address), pid: proc.pid as number }
}

/** Deletes the previous output and lets the file system settle (see bench/run.ts `settleFileSystem`). */
async function freshDir (path: string): Promise<void> {
  await rm(path, { recursive: true, force: true })
  await mkdir(path, { recursive: true })
}

function sync (): void {
  try { execFileSync('sync', { stdio: 'ignore' }) } catch { /* no sync(1): noisier runs */ }
}

/** `count` libtorrent downloaders at once from `address`; each sees only the seeder (no PEX). */
async function download (prepared: Prepared, address: string, count: number): Promise<{ wall: number, each: Measurement[], ok: boolean }> {
  const outs = Array.from({ length: count }, (_, i) => join(workDir, `upload-out-${i}`))
  for (const out of outs) await freshDir(out)
  sync()
  const started = process.hrtime.bigint()
  const each = await Promise.all(outs.map(async (out, i) => await measure(SYSTEM_PYTHON,
    [LT_PEER_SCRIPT, 'bench', prepared.torrent, out, '--peer', address, '--no-pex', '--timeout', '900'], `libtorrent leecher ${i + 1}`, CLIENT_ENV)))
  const wall = Number(process.hrtime.bigint() - started) / 1e9
  let ok = true
  for (const [i, m] of each.entries()) {
    const file = join(outs[i] as string, prepared.name)
    // A block served from a reused buffer too early would fail libtorrent's piece check (and be fetched again).
    const hashFailures = Number(m.process.json().find((v) => v.event === 'bench')?.hashFailures ?? 0)
    const good = m.exit.code === 0 && existsSync(file) && hashFailures === 0 && (i > 0 || await sha1File(file) === prepared.sha1)
    if (!good) {
      ok = false
      console.log(`\n  leecher ${i + 1} FAILED (${describeExit(m.exit)}, ${hashFailures} pieces failed the hash check)\n${m.process.diagnostics()}`)
    }
  }
  for (const out of outs) await rm(out, { recursive: true, force: true })
  return { wall, each, ok }
}

/** The figures of one seeder in one round. */
interface RoundFigures {
  single: { mbps: number, cpu: number, ok: boolean }
  many: { mbps: number, cpu: number, ok: boolean, fastest: number, slowest: number }
  checkPeakMiB: number
  servePeakMiB: number
  totalCpu: number
}

const cpuOf = (s: ProcSnapshot): number => s.userSeconds + s.sysSeconds

async function round (seeder: Seeder, prepared: Prepared): Promise<RoundFigures> {
  const s = await startSeeder(seeder, prepared)
  try {
    const ready = await procSnapshot(s.pid)
    await resetPeakRss(s.pid)
    const one = await download(prepared, s.address, 1)
    const afterOne = await procSnapshot(s.pid)
    const many = await download(prepared, s.address, leechers)
    const end = await procSnapshot(s.pid)
    const figures: RoundFigures = {
      single: { mbps: bytes / (one.each[0]?.wallSeconds ?? Number.NaN) / 1e6, cpu: cpuOf(afterOne) - cpuOf(ready), ok: one.ok },
      many: {
        mbps: leechers * bytes / many.wall / 1e6,
        cpu: cpuOf(end) - cpuOf(afterOne),
        ok: many.ok,
        fastest: Math.min(...many.each.map((m) => m.wallSeconds)),
        slowest: Math.max(...many.each.map((m) => m.wallSeconds))
      },
      checkPeakMiB: ready.peakRssKiB / 1024,
      servePeakMiB: end.peakRssKiB / 1024,
      totalCpu: cpuOf(end)
    }
    return figures
  } finally {
    await s.process.stop()
  }
}

function summarize (seeder: Seeder, all: RoundFigures[]): SeederResult {
  const gib = bytes / 2 ** 30
  return {
    seeder,
    rounds: all.length,
    failures: all.filter((r) => !r.single.ok || !r.many.ok).length,
    singleMbps: median(all.map((r) => r.single.mbps)),
    manyMbps: median(all.map((r) => r.many.mbps)),
    singleCpuPerGiB: median(all.map((r) => r.single.cpu / gib)),
    manyCpuPerGiB: median(all.map((r) => r.many.cpu / (leechers * gib))),
    checkPeakMiB: median(all.map((r) => r.checkPeakMiB)),
    servePeakMiB: median(all.map((r) => r.servePeakMiB)),
    totalCpu: median(all.map((r) => r.totalCpu))
  }
}

async function main (): Promise<void> {
  console.log('building dist/ (npm run build) …')
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'inherit' })
  const machine = describeMachine(SYSTEM_PYTHON)
  const prepared = await prepareTorrent(workDir, sizeMiB, pieceLengthKiB)
  const figures = new Map<Seeder, RoundFigures[]>(seeders.map((s) => [s, []]))
  try {
    for (let r = 1; r <= rounds; r++) {
      const turn: Seeder[] = r % 2 === 1 ? [...seeders] : [...seeders].reverse()
      for (const seeder of turn) {
        process.stdout.write(`round ${r}/${rounds}: ${seeder} seeder … `)
        const f = await round(seeder, prepared)
        figures.get(seeder)?.push(f)
        console.log(`1 leecher ${f.single.mbps.toFixed(1)} MB/s (${f.single.cpu.toFixed(2)} s CPU), ` +
          `${leechers} leechers ${f.many.mbps.toFixed(1)} MB/s in all (${f.many.fastest.toFixed(1)}-${f.many.slowest.toFixed(1)} s each, ${f.many.cpu.toFixed(2)} s CPU), ` +
          `peak RSS ${f.checkPeakMiB.toFixed(0)} MiB checking, ${f.servePeakMiB.toFixed(0)} MiB serving` +
          `${f.single.ok && f.many.ok ? '' : ' — FAILED'}`)
      }
    }
  } finally {
    await stopAll()
  }
  const results = seeders.map((s) => summarize(s, figures.get(s) ?? []))
  const argv = process.argv.slice(2)
  const report: UploadReport = {
    command: `npm run bench:upload${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    date: new Date().toISOString().slice(0, 10),
    sizeMiB,
    pieceLengthKiB,
    leechers,
    machine,
    results
  }
  console.log(`\n${uploadTable(report)}`)
  if (!values['no-write']) {
    await updateUploadSection(join(REPO_ROOT, 'docs/benchmarks.md'), report)
    console.log('updated docs/benchmarks.md')
  }
  if (results.some((r) => r.failures > 0)) process.exitCode = 1
}

await main()
