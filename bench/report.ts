/**
 * Turns benchmark results into a printed table and into docs/benchmarks.md:
 * the latest run (command, machine, date, figures, ratios) replaces the
 * previous one between markers, and one summary row is appended to the
 * history table. Runs with one seeder fill the main section; runs with N
 * seeders have a section of their own ("three seeders" for N = 3) with its
 * own markers, latest run and history, appended at the end of the file.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg, totalmem } from 'node:os'

/** One client's figures, as medians over the runs. */
export interface ClientResult {
  client: string
  runs: number
  wallSeconds: number
  mbPerSecond: number
  cpuSeconds: number
  userSeconds: number
  sysSeconds: number
  maxRssMiB: number
  sha1Ok: boolean
  failures: number
}

/** The machine a benchmark ran on. */
export interface Machine {
  cpus: number
  cpuModel: string
  memoryGiB: number
  node: string
  libtorrent: string
  /** The 1-minute load average when the benchmark started (other work on the machine). */
  loadAverage: number
}

/** Everything a report needs. */
export interface BenchReport {
  command: string
  date: string
  sizeMiB: number
  pieceLengthKiB: number
  /** How many libtorrent seeders served the data (1 unless `--seeders`). */
  seeders: number
  /** The torrent's announce URL and how it (does not) answer, when the run says. */
  tracker?: string
  machine: Machine
  measuredWith: string
  results: ClientResult[]
}

/** Reads the CPU count and model, memory, and the Node and libtorrent versions. */
export function describeMachine (python: string): Machine {
  let cpuModel = 'unknown'
  if (existsSync('/proc/cpuinfo')) {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'))
    if (line !== undefined) cpuModel = line.split(':').slice(1).join(':').trim()
  }
  const lt = spawnSync(python, ['-c', 'import libtorrent; print(libtorrent.__version__)'], { encoding: 'utf8' })
  return {
    cpus: availableParallelism(),
    cpuModel,
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    node: process.version,
    libtorrent: lt.status === 0 ? lt.stdout.trim() : 'unavailable',
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100
  }
}

const fixed = (n: number, digits = 1): string => Number.isFinite(n) ? n.toFixed(digits) : 'n/a'

function ratio (rx: ClientResult | undefined, lt: ClientResult | undefined, pick: (r: ClientResult) => number): string {
  if (rx === undefined || lt === undefined || pick(lt) === 0) return 'n/a'
  return `${fixed(pick(rx) / pick(lt), 2)}×`
}

/** The results as a Markdown table (also readable in a terminal). */
export function resultsTable (results: readonly ClientResult[]): string {
  const rows = [
    '| client | runs | wall s | MB/s | CPU s (user+sys) | peak RSS MiB | SHA-1 | failed runs |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |'
  ]
  for (const r of results) {
    rows.push(`| ${r.client} | ${r.runs} | ${fixed(r.wallSeconds, 2)} | ${fixed(r.mbPerSecond)} | ` +
      `${fixed(r.cpuSeconds, 2)} (${fixed(r.userSeconds, 2)}+${fixed(r.sysSeconds, 2)}) | ${fixed(r.maxRssMiB)} | ` +
      `${r.sha1Ok ? 'ok' : 'MISMATCH'} | ${r.failures} |`)
  }
  return rows.join('\n')
}

/** Ratios rxtorrent / libtorrent, or a sentence saying why there are none. */
export function ratiosText (results: readonly ClientResult[]): string {
  const rx = results.find((r) => r.client === 'rxtorrent')
  const lt = results.find((r) => r.client === 'libtorrent')
  if (rx === undefined || lt === undefined) return 'Ratios need both clients in the same run.'
  return `rxtorrent / libtorrent: throughput ${ratio(rx, lt, (r) => r.mbPerSecond)}, ` +
    `CPU ${ratio(rx, lt, (r) => r.cpuSeconds)}, peak RSS ${ratio(rx, lt, (r) => r.maxRssMiB)}.`
}

const START = '<!-- bench:latest:start -->'
const END = '<!-- bench:latest:end -->'
const HISTORY = '<!-- bench:history -->'

const INTRO = `# Benchmarks

\`npm run bench\` (\`bench/run.ts\`) builds \`dist/\` (the CLI would otherwise
fall back to transpiling its sources), then downloads one single-file
torrent of deterministic data from a libtorrent seeder on 127.0.0.1 with
rxtorrent's CLI (\`rxtorrent download --peer … --quiet\`) and with
libtorrent's own downloader (\`test/interop/helpers/lt_peer.py bench\`), each
into a fresh directory, one after the other in the same run. The torrent
announces to a tracker that never answers, as real torrents' trackers often
do (\`--tracker\`: \`silent-udp\`, the default, a UDP socket on 127.0.0.1 that
reads every announce and replies to none; \`closed-http\`, an HTTP URL to a
closed port on 127.0.0.1; \`none\`); both downloaders are given the seeder's
address on the command line, and both must exit by themselves, so a client
that waits on its tracker at start or at exit pays for it. Before each
download the previous output is deleted and \`sync\` run. The seeder and the
downloader share the machine's CPUs. Each figure is the median over the
measured runs. Wall time is the whole client process, start-up and final
flush included; MB/s is 10^6 bytes per second of that wall time. CPU is
user + system seconds of the downloader process and peak RSS its maximum
resident set (GNU time, or /proc sampling where GNU time is missing). Every
download's SHA-1 is compared with the source. Both clients run with their
defaults: rxtorrent writes verified pieces around the page cache
(\`O_DIRECT\`, its default on Linux; \`--no-direct-io\` turns it off),
libtorrent through it. Both run without \`NODE_EXTRA_CA_CERTS\`, which this
machine sets for its own tools: Node parses that CA bundle at every start
(~0.06 s here) and Python ignores it. Options: \`--size MiB\`
(default 1024), \`--runs N\` (default 1), \`--warmup N\` (default 1),
\`--order paired|interleaved\` (default paired), \`--piece-length KiB\`
(default 1024), \`--seeders N\` (default 1; see the section for that number
of seeders below), \`--tracker silent-udp|closed-http|none\`, \`--clients rxtorrent,libtorrent\`, \`--dir PATH\` (default
\`.bench/\`, reused between runs), \`--no-write\` (print only).

With \`paired\` the clients take turns (the first of each turn alternating)
and every measured run comes right after \`--warmup\` unmeasured runs of the
same client; with \`interleaved\` the warm-ups come first and then each
measured run follows the other client's. The order matters on this
machine, because what one download leaves in the kernel's free memory
changes the next one's cost of filling the page cache (\`dd\` of 1 GiB in
1 MiB writes: 0.2 s of system time after another \`dd\`, 1.5–1.8 s after a
libtorrent download). "How much the figures move" below has both orders.

Peak RSS counts file pages a process maps: libtorrent 2.0 keeps the
torrent's files memory-mapped (its writes go through \`pwrite\`), so its
figure includes much of the downloaded file held in the page cache, and the
RSS ratio overstates the difference in heap use.

Figures from one machine say little about another; compare the ratios.

`

/** The Markdown for the latest run. */
/** The markers around one seeder count's latest run and before the end of its history table. */
interface Markers { start: string, end: string, history: string }

function markersFor (seeders: number): Markers {
  if (seeders === 1) return { start: START, end: END, history: HISTORY }
  return {
    start: `<!-- bench:seeders-${seeders}:latest:start -->`,
    end: `<!-- bench:seeders-${seeders}:latest:end -->`,
    history: `<!-- bench:seeders-${seeders}:history -->`
  }
}

const HISTORY_HEADER = '| date | MiB | machine | rxtorrent MB/s | libtorrent MB/s | throughput ratio | CPU ratio | RSS ratio |\n' +
  '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |\n'

const COUNT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten']

/** "three seeders" for 3; digits past ten. */
export function seedersTitle (seeders: number): string {
  return `${COUNT_WORDS[seeders] ?? String(seeders)} seeder${seeders === 1 ? '' : 's'}`
}

/** The heading, description and empty markers of the section for `seeders` > 1 seeders. */
function seedersSkeleton (seeders: number): string {
  const m = markersFor(seeders)
  const title = seedersTitle(seeders)
  return [
    `## ${title.charAt(0).toUpperCase()}${title.slice(1)}`,
    '',
    `\`npm run bench -- --seeders ${seeders}\` starts ${seeders} libtorrent seeders on 127.0.0.1, each on its own`,
    'port over the same data directory, and gives every one of them to both',
    'downloaders (`--peer` once per seeder, for rxtorrent and for',
    '`lt_peer.py bench` alike). Everything else is as above. The seeders and',
    'the downloader share the machine\'s CPUs: on a machine with fewer cores',
    'than processes the seeders compete with the downloader and with each other,',
    'so these figures show how each client spreads its requests over several',
    'peers rather than what either could reach from several machines.',
    '',
    m.start,
    m.end,
    '',
    `### History (${title})`,
    '',
    `${HISTORY_HEADER}${m.history}`,
    ''
  ].join('\n')
}

/** The Markdown for the latest run (a level-3 heading inside a several-seeders section). */
export function latestSection (report: BenchReport): string {
  const m = report.machine
  const markers = markersFor(report.seeders)
  const several = report.seeders > 1
  return [
    markers.start,
    `${several ? '###' : '##'} Latest run — ${report.date}`,
    '',
    `Command: \`${report.command}\``,
    '',
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB memory; Node ${m.node}; libtorrent ${m.libtorrent}; ` +
      `load average ${m.loadAverage} at the start.`,
    `Torrent: ${report.sizeMiB} MiB single file, ${report.pieceLengthKiB} KiB pieces; measured with ${report.measuredWith}.`,
    ...(report.tracker === undefined ? [] : [`Tracker: ${report.tracker}.`]),
    ...(several ? [`Seeders: ${report.seeders} libtorrent seeders on 127.0.0.1, every one given to both downloaders.`] : []),
    '',
    resultsTable(report.results),
    '',
    ratiosText(report.results),
    markers.end
  ].join('\n')
}

function historyRow (report: BenchReport): string {
  const rx = report.results.find((r) => r.client === 'rxtorrent')
  const lt = report.results.find((r) => r.client === 'libtorrent')
  const rate = (r: ClientResult | undefined): string => r === undefined ? '—' : fixed(r.mbPerSecond)
  return `| ${report.date} | ${report.sizeMiB} | ${report.machine.cpus} × ${report.machine.cpuModel} | ` +
    `${rate(rx)} | ${rate(lt)} | ${ratio(rx, lt, (r) => r.mbPerSecond)} | ${ratio(rx, lt, (r) => r.cpuSeconds)} | ` +
    `${ratio(rx, lt, (r) => r.maxRssMiB)} |`
}

/**
 * Returns `text` with the introduction regenerated, the latest-run section
 * for `report.seeders` replaced (a section for that many seeders is appended
 * first if the text has none) and a history row added. Hand-written sections
 * between the introduction and the single-seeder run are kept.
 */
export function updatedBenchmarksText (text: string, report: BenchReport): string {
  if (!text.includes(START) || !text.includes(END) || !text.includes(HISTORY)) {
    text = `${INTRO}${START}\n${END}\n\n## History\n\n${HISTORY_HEADER}${HISTORY}\n`
  }
  // The introduction is regenerated so that it always describes this script.
  const startAt = text.indexOf(START)
  const before = text.slice(0, startAt)
  const firstSection = before.search(/^## /m)
  text = `${INTRO}${firstSection === -1 ? '' : before.slice(firstSection)}${text.slice(startAt)}`
  const markers = markersFor(report.seeders)
  if (!text.includes(markers.start) || !text.includes(markers.end) || !text.includes(markers.history)) {
    text = `${text.replace(/\n*$/, '')}\n\n${seedersSkeleton(report.seeders)}`
  }
  const from = text.indexOf(markers.start)
  const to = text.indexOf(markers.end) + markers.end.length
  text = `${text.slice(0, from)}${latestSection(report)}${text.slice(to)}`
  return text.replace(markers.history, () => `${historyRow(report)}\n${markers.history}`)
}

/** Rewrites docs/benchmarks.md at `path` with {@link updatedBenchmarksText}. */
export async function updateBenchmarksDoc (path: string, report: BenchReport): Promise<void> {
  const text = existsSync(path) ? await readFile(path, 'utf8') : ''
  await writeFile(path, updatedBenchmarksText(text, report))
}
