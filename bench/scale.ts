/**
 * Scale benchmark: one rxtorrent session (`createSession` with a state
 * directory, run as its own process: `bench/scale-seeder.ts`) seeding
 * `--torrents` single-file torrents of `--size` KiB on 127.0.0.1.
 *
 * 1. Start without resume data (every piece hashed) until every torrent
 *    seeds, then stop (the session writes its resume data).
 * 2. Start again with the resume data until every torrent seeds: the time,
 *    and the pieces hashed (counted by the seeder's hasher; must be 0).
 * 3. While it runs, one libtorrent session downloads every K-th torrent
 *    from it (`--peers` torrents, one connection each, all at once: each
 *    torrent limited to `--torrent-limit` B/s, default 50 KiB/s, so that a
 *    1 MiB torrent takes ~20 s), and must complete them all.
 * 4. libtorrent (`bench/lt_scale.py`) adds the same torrents to one session
 *    without and with its own resume data, side by side (`--no-libtorrent`
 *    skips it).
 *
 * Times are the whole process's, from spawn to its line saying every
 * torrent seeds; peak RSS is `VmHWM` from /proc. Prints a Markdown table.
 *
 *   npm run bench:scale -- [--torrents N] [--size KiB] [--piece-length KiB]
 *                          [--peers N] [--torrent-limit B/s] [--dir PATH] [--no-libtorrent]
 */
import { execFileSync } from 'node:child_process'
import { mkdir, rm } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ManagedProcess, REPO_ROOT, SYSTEM_PYTHON, describeExit, stopAll } from '../test/interop/helpers/processes.js'
import { positiveInt } from './fixture.js'
import { procSnapshot } from './measure.js'
import { describeMachine } from './report.js'
import { prepareScaleFixture, type ScaleFixture } from './scale-fixture.js'

const { values } = parseArgs({
  options: {
    torrents: { type: 'string', default: '1000' },
    size: { type: 'string', default: '1024' },
    'piece-length': { type: 'string', default: '256' },
    peers: { type: 'string', default: '200' },
    'torrent-limit': { type: 'string', default: '51200' },
    dir: { type: 'string', default: join(REPO_ROOT, '.bench') },
    'no-libtorrent': { type: 'boolean', default: false }
  }
})

const workDir = resolve(values.dir)
const count = positiveInt('torrents', values.torrents)
const peerTorrents = Math.min(count, positiveInt('peers', values.peers))
const LT_SCALE = join(REPO_ROOT, 'bench/lt_scale.py')
/** As in bench/run.ts: Node parses `NODE_EXTRA_CA_CERTS` at every start; neither client needs it. */
const CLIENT_ENV: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS'))

/** One start of a seeding process, up to every torrent seeding. */
interface Start {
  label: string
  seconds: number
  /** Pieces hashed before every torrent seeded (libtorrent: pieces' worth of blocks its check read). */
  hashed: number
  peakMiB: number
}

/** Follows a process's peak RSS (`VmHWM`) until `stop`. */
function peakRss (proc: ManagedProcess): { read: () => Promise<number>, stop: () => void } {
  let peak = 0
  const sample = async (): Promise<number> => {
    const pid = proc.pid
    if (pid !== undefined && !proc.hasExited) peak = Math.max(peak, await procSnapshot(pid).then((s) => s.peakRssKiB, () => 0))
    return peak / 1024
  }
  const timer = setInterval(() => { void sample() }, 100)
  return { read: sample, stop: () => { clearInterval(timer) } }
}

function bundleSeeder (): string {
  const out = join(workDir, 'scale-seeder.mjs')
  execFileSync(join(REPO_ROOT, 'node_modules/.bin/esbuild'), [join(REPO_ROOT, 'bench/scale-seeder.ts'), '--bundle', '--platform=node', '--format=esm',
    '--target=node20', `--outfile=${out}`, '--log-level=warning', '--banner:js=import { createRequire } from "node:module"; const require = createRequire(import.meta.url);'], { stdio: 'inherit' })
  return out
}

/** A running rxtorrent seeder that has reported every torrent seeding. */
interface Seeder { proc: ManagedProcess, rss: ReturnType<typeof peakRss>, start: Start, port: number }

async function startSeeder (bundle: string, fixture: ScaleFixture, stateDir: string, label: string): Promise<Seeder> {
  const t0 = process.hrtime.bigint()
  const proc = new ManagedProcess(process.execPath, [...(process.env.SCALE_GC === undefined ? [] : ['--expose-gc']), bundle, fixture.list, fixture.dataDir, stateDir], { label, env: CLIENT_ENV })
  const rss = peakRss(proc)
  const seeding = await proc.waitForJson((v) => v.event === 'seeding', 900_000)
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const port = Number((await proc.waitForJson((v) => v.event === 'listening', 1000)).port)
  return { proc, rss, port, start: { label, seconds, hashed: Number(seeding.piecesHashed), peakMiB: await rss.read() } }
}

async function stopSeeder (s: Seeder): Promise<{ closeSeconds: number, peakMiB: number }> {
  const peakMiB = await s.rss.read()
  const t0 = process.hrtime.bigint()
  s.proc.child.stdin?.write('stop\n')
  await s.proc.waitForJson((v) => v.event === 'closed', 120_000)
  const closeSeconds = Number(process.hrtime.bigint() - t0) / 1e9
  s.rss.stop()
  const exit = await s.proc.exited
  if (exit.code !== 0) throw new Error(`${s.proc.label} exited ${describeExit(exit)}\n${s.proc.diagnostics()}`)
  return { closeSeconds, peakMiB }
}

/** The swarm phase: one libtorrent session downloads `peerTorrents` torrents from the seeder at once. */
async function swarm (fixture: ScaleFixture, seeder: Seeder): Promise<{ seconds: number, torrents: number, maxPeers: number, maxFds: number, hashFailures: number, ok: boolean }> {
  const out = join(workDir, 'scale-download')
  await rm(out, { recursive: true, force: true })
  await mkdir(out, { recursive: true })
  const every = Math.max(1, Math.floor(count / peerTorrents))
  const lt = new ManagedProcess(SYSTEM_PYTHON, [LT_SCALE, 'download', fixture.list, out, '--peer', `127.0.0.1:${seeder.port}`,
    '--every', String(every), '--torrent-limit', values['torrent-limit']], { label: 'libtorrent downloader', env: CLIENT_ENV })
  const exit = await lt.exited
  if (process.env.SCALE_TRACE !== undefined) for (const v of seeder.proc.json().filter((v) => v.event === 'stats')) console.log(JSON.stringify(v))
  const finished = lt.json().find((v) => v.event === 'finished')
  await rm(out, { recursive: true, force: true })
  const stats = seeder.proc.json().filter((v) => v.event === 'stats')
  const seen = stats.map((v) => Number(v.peers))
  if (finished === undefined) console.log(`libtorrent downloader failed (${describeExit(exit)})\n${lt.diagnostics()}`)
  return {
    seconds: Number(finished?.seconds ?? Number.NaN),
    torrents: Number(finished?.torrents ?? 0),
    maxPeers: Math.max(0, ...seen),
    maxFds: Math.max(0, ...stats.map((v) => Number(v.fds))),
    hashFailures: Number(finished?.hashFailures ?? 0),
    ok: exit.code === 0 && Number(finished?.torrents) === Math.ceil(count / every)
  }
}

async function libtorrentStart (fixture: ScaleFixture, resumeDir: string, resume: boolean): Promise<Start> {
  const label = `libtorrent ${resume ? 'with' : 'without'} resume data`
  const t0 = process.hrtime.bigint()
  const proc = new ManagedProcess(SYSTEM_PYTHON, [LT_SCALE, 'seed', fixture.list, fixture.dataDir, resumeDir, ...(resume ? ['--resume'] : [])], { label, env: CLIENT_ENV })
  const rss = peakRss(proc)
  const seeding = await proc.waitForJson((v) => v.event === 'seeding', 900_000)
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const peakMiB = await rss.read()
  const exit = await proc.exited
  rss.stop()
  if (exit.code !== 0) throw new Error(`${label} exited ${describeExit(exit)}\n${proc.diagnostics()}`)
  // libtorrent counts 16 KiB blocks read from disk (while seeding without peers, only its check reads): as pieces.
  return { label, seconds, hashed: Number(seeding.blocksRead) * 16384 / fixture.pieceLength, peakMiB }
}

const f1 = (n: number): string => n.toFixed(1)
const f2 = (n: number): string => n.toFixed(2)

async function main (): Promise<void> {
  const fixture = await prepareScaleFixture(workDir, count, positiveInt('size', values.size), positiveInt('piece-length', values['piece-length']))
  const bundle = bundleSeeder()
  const stateDir = join(workDir, 'scale-state')
  await rm(stateDir, { recursive: true, force: true })
  const load = loadavg().map(f2).join(' ')
  const starts: Start[] = []
  try {
    const cold = await startSeeder(bundle, fixture, stateDir, 'rxtorrent without resume data')
    const coldStop = await stopSeeder(cold)
    starts.push({ ...cold.start, peakMiB: coldStop.peakMiB })
    console.log(`${cold.start.label}: all seeding after ${f2(cold.start.seconds)} s, ${cold.start.hashed} pieces hashed; close ${f2(coldStop.closeSeconds)} s`)
    const warm = await startSeeder(bundle, fixture, stateDir, 'rxtorrent with resume data')
    console.log(`${warm.start.label}: all seeding after ${f2(warm.start.seconds)} s, ${warm.start.hashed} pieces hashed, peak RSS ${f1(warm.start.peakMiB)} MiB`)
    const s = await swarm(fixture, warm)
    const warmStop = await stopSeeder(warm)
    starts.push(warm.start)
    console.log(`${s.torrents} torrents downloaded by libtorrent in ${f1(s.seconds)} s (${s.hashFailures} hash failures), ` +
      `at most ${s.maxPeers} peers and ${s.maxFds} descriptors at once; seeder peak RSS ${f1(warmStop.peakMiB)} MiB${s.ok ? '' : ' — FAILED'}`)
    if (!values['no-libtorrent']) {
      const ltResume = join(workDir, 'scale-lt-resume')
      await rm(ltResume, { recursive: true, force: true })
      starts.push(await libtorrentStart(fixture, ltResume, false))
      starts.push(await libtorrentStart(fixture, ltResume, true))
    }
    const m = describeMachine(SYSTEM_PYTHON)
    console.log(`\n${new Date().toISOString()}: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, libtorrent ${m.libtorrent}; load average at start ${load}, now ${loadavg().map(f2).join(' ')}\n`)
    console.log('| start | all seeding after | pieces hashed | peak RSS |\n| --- | --- | --- | --- |')
    for (const st of starts) console.log(`| ${st.label} | ${f2(st.seconds)} s | ${Math.round(st.hashed)} | ${f1(st.peakMiB)} MiB |`)
    console.log(`| rxtorrent with resume data, then ${peerTorrents} downloaders | — | — | ${f1(warmStop.peakMiB)} MiB |`)
    if (!s.ok || warm.start.hashed !== 0) process.exitCode = 1
  } finally {
    await stopAll()
  }
}

await main()
