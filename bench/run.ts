/**
 * Download benchmark: rxtorrent's CLI against libtorrent's own downloader,
 * both fetching the same single-file torrent from one libtorrent seeder on
 * 127.0.0.1 (or from `--seeders N` libtorrent seeders on different ports,
 * all serving the same data, every one given to both downloaders). Prints a
 * table and updates docs/benchmarks.md (one section per seeder count).
 *
 *   npm run bench -- [--size MiB] [--runs N] [--warmup N] [--order paired|interleaved]
 *                    [--piece-length KiB] [--seeders N] [--tracker silent-udp|closed-http|none]
 *                    [--clients rxtorrent,libtorrent] [--dir PATH] [--no-write] [--timeline]
 *
 * The torrent announces to a tracker that never answers (`--tracker`, as
 * real torrents' trackers often do): by default a UDP tracker on 127.0.0.1
 * that takes every packet and replies to none; `closed-http` an HTTP URL to
 * a closed port on 127.0.0.1 (connection refused); `none` no announce URL.
 * The peers are given on the command line either way. `--timeline` prints,
 * after each rxtorrent run, the megabytes it read in each 100 ms
 * (`ReadTimeline`): where a slow run lost its time.
 */
import { execFileSync } from 'node:child_process'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { sha1File } from '../test/interop/helpers/data.js'
import { LT_PEER_SCRIPT, startLtSeeder } from '../test/interop/helpers/lt-peer.js'
import { REPO_ROOT, SYSTEM_PYTHON, closedPort, describeExit, stopAll } from '../test/interop/helpers/processes.js'
import { prepareTorrent, type Prepared, positiveInt } from './fixture.js'
import { hasGnuTime, measure } from './measure.js'
import { ReadTimeline } from './timeline.js'
import type { Measurement } from './measure.js'
import { describeMachine, resultsTable, ratiosText, updateBenchmarksDoc } from './report.js'
import type { ClientResult } from './report.js'

type Client = 'rxtorrent' | 'libtorrent'

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '1' },
    order: { type: 'string', default: 'paired' },
    'piece-length': { type: 'string', default: '1024' },
    seeders: { type: 'string', default: '1' },
    tracker: { type: 'string', default: 'silent-udp' },
    clients: { type: 'string', default: 'rxtorrent,libtorrent' },
    dir: { type: 'string', default: join(REPO_ROOT, '.bench') },
    'no-write': { type: 'boolean', default: false },
    timeline: { type: 'boolean', default: false }
  }
})

const sizeMiB = positiveInt('size', values.size)
const runs = positiveInt('runs', values.runs)
const warmups = values.warmup === '0' ? 0 : positiveInt('warmup', values.warmup)
const order = values.order
if (order !== 'paired' && order !== 'interleaved') throw new Error(`--order must be paired or interleaved, got ${order}`)
const pieceLengthKiB = positiveInt('piece-length', values['piece-length'])
const seederCount = positiveInt('seeders', values.seeders)
const clients = values.clients.split(',').map((c) => c.trim()).filter((c) => c !== '') as Client[]
for (const c of clients) {
  if (c !== 'rxtorrent' && c !== 'libtorrent') throw new Error(`unknown client ${c} (rxtorrent, libtorrent)`)
}
const workDir = resolve(values.dir)
const tracker = values.tracker
if (tracker !== 'silent-udp' && tracker !== 'closed-http' && tracker !== 'none') throw new Error(`--tracker must be silent-udp, closed-http or none, got ${tracker}`)

/**
 * The announce URL of a tracker that never answers, and what to close
 * after the run: a UDP socket on 127.0.0.1 that reads every packet and
 * replies to none (a client waits out its own timeouts), or a closed TCP
 * port (the connection is refused at once).
 */
async function deadTracker (): Promise<{ url: string | undefined, close: () => void, describe: string }> {
  if (tracker === 'none') return { url: undefined, close: () => {}, describe: 'none (peers given on the command line)' }
  if (tracker === 'closed-http') {
    const port = await closedPort()
    return { url: `http://127.0.0.1:${port}/announce`, close: () => {}, describe: `http://127.0.0.1:${port}/announce, a closed port (connection refused)` }
  }
  const socket: UdpSocket = createSocket('udp4')
  socket.on('message', () => {})
  await new Promise<void>((resolve) => { socket.bind(0, '127.0.0.1', resolve) })
  const url = `udp://127.0.0.1:${socket.address().port}/announce`
  return { url, close: () => { socket.close() }, describe: `${url}, a UDP socket that reads every packet and answers none` }
}

/**
 * The clients' environment: ours without `NODE_EXTRA_CA_CERTS`. Node reads
 * and parses that file at every start (~0.06 s for a system CA bundle here),
 * whether or not the process ever makes a TLS connection; neither downloader
 * does, and Python does not read the variable. Machines that set it for
 * their own tools (this one does) would otherwise charge it to Node alone.
 */
const CLIENT_ENV: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS'))

function commandFor (client: Client, prepared: Prepared, out: string, peers: readonly string[]): [string, string[]] {
  const peerArgs = peers.flatMap((peer) => ['--peer', peer])
  if (client === 'rxtorrent') {
    return [process.execPath, [join(REPO_ROOT, 'bin/rxtorrent.js'), 'download', prepared.torrent, '--out', out, ...peerArgs, '--quiet']]
  }
  return [SYSTEM_PYTHON, [LT_PEER_SCRIPT, 'bench', prepared.torrent, out, ...peerArgs, '--timeout', '3600']]
}

/**
 * Let the file system finish with the previous run before the next starts:
 * `sync` waits for the journal commit of the deleted output (and, on a
 * file system mounted with `discard`, for its trims), which otherwise runs
 * during the next download and is charged to whichever client comes next.
 */
function settleFileSystem (): void {
  try {
    execFileSync('sync', { stdio: 'ignore' })
  } catch {
    // No sync(1): the runs are only noisier.
  }
}

/**
 * The order of the downloads. `paired` (the default): the clients take
 * turns, the first of each turn alternating, and each measured run comes
 * right after `--warmup` unmeasured runs of the same client. `interleaved`:
 * `--warmup` unmeasured runs of each client at the start, then the clients
 * take turns, each measured run following the other client's.
 *
 * Paired, because on this VM a download's system time depends on what the
 * run before it left behind: page-cache writes cost more in fresh guest
 * memory, and the memory a libtorrent run frees does not serve a following
 * run's writes the way the same client's own run does (`dd` of 1 GiB in
 * 1 MiB writes: 0.2 s of system time after another `dd`, 1.5-1.8 s after a
 * libtorrent download). Interleaved, whichever client is more sensitive to
 * that pays it on every run; paired, each measured run follows its own
 * client, and both clients are spread alike over the seeders' lifetime (the
 * seeders serve faster after their first few downloads).
 */
function * schedule (): Generator<{ client: Client, run: number }> {
  for (let run = order === 'paired' ? 1 : 1 - warmups; run <= runs; run++) {
    // Alternate which client goes first, so neither always meets a colder seeder.
    const turn = (run + warmups) % 2 === 1 ? clients : [...clients].reverse()
    for (const client of turn) {
      if (order === 'paired') for (let w = 1; w <= warmups; w++) yield { client, run: w - warmups }
      yield { client, run }
    }
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

async function main (): Promise<void> {
  // The CLI falls back to transpiling the sources through tsx when dist/ is
  // older than them, which costs it ~0.5 s and much CPU per run: build first.
  console.log('building dist/ (npm run build) …')
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'inherit' })
  const machine = describeMachine(SYSTEM_PYTHON)
  const dead = await deadTracker()
  const prepared = await prepareTorrent(workDir, sizeMiB, pieceLengthKiB, dead.url === undefined ? [] : [dead.url])
  const bytes = sizeMiB * 1024 * 1024
  console.log(seederCount === 1
    ? 'starting the libtorrent seeder (checks the data first) …'
    : `starting ${seederCount} libtorrent seeders (each checks the data first) …`)
  const started = await Promise.allSettled(Array.from({ length: seederCount }, async () => await startLtSeeder(prepared.torrent, prepared.dataDir)))
  const seeders = started.flatMap((s) => s.status === 'fulfilled' ? [s.value] : [])
  const failed = started.find((s) => s.status === 'rejected')
  if (failed !== undefined) {
    for (const s of seeders) await s.process.stop()
    await stopAll()
    throw failed.reason
  }
  const peers = seeders.map((s) => s.address)
  if (seederCount > 1) console.log(`seeders at ${peers.join(', ')}`)
  const measured = new Map<Client, Array<{ m: Measurement, ok: boolean }>>()
  try {
    for (const { client, run } of schedule()) {
      const out = join(workDir, `out-${client}`)
      await rm(out, { recursive: true, force: true })
      await mkdir(out, { recursive: true })
      settleFileSystem()
      const [command, args] = commandFor(client, prepared, out, peers)
      process.stdout.write(run < 1 ? `warm-up: ${client} … ` : `run ${run}/${runs}: ${client} … `)
      // The timeline counts read(2) bytes: Node's reads, not libtorrent's recvmsg (see ReadTimeline).
      const timeline = values.timeline && client === 'rxtorrent' ? new ReadTimeline(100) : undefined
      const m = await measure(command, args, client, CLIENT_ENV, { onStart: (pid) => { timeline?.start(pid, 'node') } })
      const megabytes = timeline?.stop()
      if (run < 1) {
        // Not counted: see schedule().
        console.log(m.exit.code === 0 ? `${(bytes / m.wallSeconds / 1e6).toFixed(1)} MB/s (not counted)` : `FAILED (${describeExit(m.exit)})`)
        await rm(out, { recursive: true, force: true })
        continue
      }
      const file = join(out, prepared.name)
      const ok = m.exit.code === 0 && existsSync(file) && await sha1File(file) === prepared.sha1
      console.log(ok
        ? `${(bytes / m.wallSeconds / 1e6).toFixed(1)} MB/s, ${(m.userSeconds + m.sysSeconds).toFixed(2)} s CPU, ${(m.maxRssKiB / 1024).toFixed(0)} MiB RSS`
        : `FAILED (${describeExit(m.exit)}${m.exit.code === 0 ? ', SHA-1 mismatch' : ''})\n${m.process.diagnostics()}`)
      if (megabytes !== undefined) console.log(`  MB read per 100 ms: ${megabytes.map((x) => x.toFixed(0)).join(' ')}`)
      const list = measured.get(client) ?? []
      list.push({ m, ok })
      measured.set(client, list)
      await rm(out, { recursive: true, force: true })
    }
  } finally {
    for (const s of seeders) await s.process.stop()
    await stopAll()
    dead.close()
  }

  const results: ClientResult[] = clients.map((client) => {
    const all = measured.get(client) ?? []
    const good = all.filter((r) => r.ok).map((r) => r.m)
    const wall = median(good.map((m) => m.wallSeconds))
    return {
      client,
      runs: all.length,
      wallSeconds: wall,
      mbPerSecond: bytes / wall / 1e6,
      cpuSeconds: median(good.map((m) => m.userSeconds + m.sysSeconds)),
      userSeconds: median(good.map((m) => m.userSeconds)),
      sysSeconds: median(good.map((m) => m.sysSeconds)),
      maxRssMiB: median(good.map((m) => m.maxRssKiB / 1024)),
      sha1Ok: good.length === all.length && all.length > 0,
      failures: all.length - good.length
    }
  })
  console.log(`\n${resultsTable(results)}\n\n${ratiosText(results)}`)
  if (!values['no-write']) {
    const argv = process.argv.slice(2)
    const report = {
      command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
      date: new Date().toISOString().slice(0, 10),
      sizeMiB,
      pieceLengthKiB,
      seeders: seederCount,
      tracker: dead.describe,
      machine,
      measuredWith: hasGnuTime() ? 'GNU time' : '/proc sampling',
      results
    }
    await updateBenchmarksDoc(join(REPO_ROOT, 'docs/benchmarks.md'), report)
    console.log('updated docs/benchmarks.md')
  }
  if (results.some((r) => r.failures > 0)) process.exitCode = 1
}

await main()
