/**
 * The upload benchmark's table, and its section of docs/benchmarks.md: the
 * latest run between markers (replaced by each run) and one history row per
 * run, appended at the end of the file the first time.
 */
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { release } from 'node:os'
import type { Machine } from './report.js'

/** One seeder's figures, as medians over the rounds. */
export interface SeederResult {
  seeder: string
  rounds: number
  /** Rounds with a failed or corrupt download. */
  failures: number
  /** One libtorrent downloader: MB/s over its whole process. */
  singleMbps: number
  /** N downloaders at once: N × size over the time until the last one exits. */
  manyMbps: number
  /** The seeder's CPU seconds (user + system) per GiB served, one downloader. */
  singleCpuPerGiB: number
  /** The same with N downloaders. */
  manyCpuPerGiB: number
  /** Peak RSS of the seeder process up to the end of its check. */
  checkPeakMiB: number
  /** Peak RSS while serving (reset after the check). */
  servePeakMiB: number
  /** The seeder process's CPU seconds from start to the end of the round. */
  totalCpu: number
}

/** Everything the upload section shows. */
export interface UploadReport {
  command: string
  date: string
  sizeMiB: number
  pieceLengthKiB: number
  leechers: number
  machine: Machine
  results: SeederResult[]
}

/** The median of `xs` (NaN when empty). */
export function median (xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  if (s.length === 0) return Number.NaN
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

const fixed = (n: number, digits = 1): string => Number.isFinite(n) ? n.toFixed(digits) : 'n/a'

function ratio (report: UploadReport, pick: (r: SeederResult) => number): string {
  const rx = report.results.find((r) => r.seeder === 'rxtorrent')
  const lt = report.results.find((r) => r.seeder === 'libtorrent')
  if (rx === undefined || lt === undefined || pick(lt) === 0) return 'n/a'
  return `${fixed(pick(rx) / pick(lt), 2)}×`
}

/** The results as a Markdown table, with the ratios below it. */
export function uploadTable (report: UploadReport): string {
  const n = report.leechers
  const rows = [
    `| seeder | rounds | 1 leecher MB/s | ${n} leechers MB/s (sum) | CPU s/GiB (1) | CPU s/GiB (${n}) | peak RSS MiB checking | peak RSS MiB serving | failed |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
  ]
  for (const r of report.results) {
    rows.push(`| ${r.seeder} | ${r.rounds} | ${fixed(r.singleMbps)} | ${fixed(r.manyMbps)} | ${fixed(r.singleCpuPerGiB, 2)} | ` +
      `${fixed(r.manyCpuPerGiB, 2)} | ${fixed(r.checkPeakMiB)} | ${fixed(r.servePeakMiB)} | ${r.failures} |`)
  }
  return `${rows.join('\n')}\n\nrxtorrent / libtorrent seeder: throughput ${ratio(report, (r) => r.singleMbps)} with 1 leecher, ` +
    `${ratio(report, (r) => r.manyMbps)} with ${n}; CPU per GiB ${ratio(report, (r) => r.singleCpuPerGiB)} and ` +
    `${ratio(report, (r) => r.manyCpuPerGiB)}; peak RSS serving ${ratio(report, (r) => r.servePeakMiB)}.`
}

const START = '<!-- bench:upload:latest:start -->'
const END = '<!-- bench:upload:latest:end -->'
const HISTORY = '<!-- bench:upload:history -->'

const SKELETON = `## Upload

\`npm run bench:upload\` (\`bench/upload.ts\`) builds \`dist/\`, then in each
round starts each seeder afresh over the same data: \`rxtorrent seed
<torrent> --data <dir> --host 127.0.0.1 --port 0 --json --no-state\` (the
CLI, as a user runs it; without resume data, so it checks as libtorrent does) and libtorrent 2.0 (\`lt_peer.py seed\`: the session's defaults
but for loopback only, DHT, LSD, UPnP, NAT-PMP and uTP off, 20 unchoke
slots). Each seeder checks the data, then one libtorrent downloader
(\`lt_peer.py bench --no-pex\`) fetches the whole torrent from it, then
\`--leechers N\` (default 6) downloaders fetch it at once; then the seeder is
stopped. The order of the two seeders alternates from round to round
(\`--rounds\`, default 3); figures are medians over the rounds. MB/s is 10^6
bytes per second of the downloader's whole process (start to exit); with N
leechers, N × size over the time until the last one exits. The leechers
run without the ut_pex plugin, so every byte comes from the seeder. The
seeder's CPU (user + system, from /proc/<pid>/stat) is counted from the end
of its check to the end of the downloads, per GiB served; peak RSS
(\`VmHWM\`) is read at the end of the check, then reset
(\`/proc/<pid>/clear_refs\`) and read again at the end of the round. A
round fails when a download exits with an error, its copy's SHA-1 differs,
or libtorrent reports a piece that failed its hash check (a block served
from memory reused too early would show there first).

Page cache: the data is warm in memory for both seeders. Each seeder's
start-up check reads the whole file through the page cache (neither reads
it around the cache), so every block served is read from memory; the
machine has far more memory than the file. The downloaders write their
copies through the page cache (libtorrent's default); each copy is deleted
and \`sync\` run before the next download.

${START}
${END}

### History (upload)

| date | MiB | machine | rx MB/s (1) | lt MB/s (1) | ratio (1) | ratio (N) | rx CPU s/GiB | lt CPU s/GiB | rx peak RSS MiB |
| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${HISTORY}
`

function latest (report: UploadReport): string {
  const m = report.machine
  return [
    START,
    `### Latest run — ${report.date}`,
    '',
    `Command: \`${report.command}\``,
    '',
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB memory, Linux ${release()}; Node ${m.node}; ` +
      `libtorrent ${m.libtorrent}; load average ${m.loadAverage} at the start.`,
    `Torrent: ${report.sizeMiB} MiB single file, ${report.pieceLengthKiB} KiB pieces; ${report.leechers} leechers in the second download.`,
    '',
    uploadTable(report),
    END
  ].join('\n')
}

function historyRow (report: UploadReport): string {
  const rx = report.results.find((r) => r.seeder === 'rxtorrent')
  const lt = report.results.find((r) => r.seeder === 'libtorrent')
  return `| ${report.date} | ${report.sizeMiB} | ${report.machine.cpus} × ${report.machine.cpuModel} | ` +
    `${fixed(rx?.singleMbps ?? Number.NaN)} | ${fixed(lt?.singleMbps ?? Number.NaN)} | ${ratio(report, (r) => r.singleMbps)} | ` +
    `${ratio(report, (r) => r.manyMbps)} | ${fixed(rx?.singleCpuPerGiB ?? Number.NaN, 2)} | ${fixed(lt?.singleCpuPerGiB ?? Number.NaN, 2)} | ` +
    `${fixed(rx?.servePeakMiB ?? Number.NaN)} |`
}

/** `text` with the upload section's latest run replaced and a history row added (the section appended when missing). */
export function updatedUploadText (text: string, report: UploadReport): string {
  if (!text.includes(START) || !text.includes(END) || !text.includes(HISTORY)) text = `${text.replace(/\n*$/, '')}\n\n${SKELETON}`
  const from = text.indexOf(START)
  const to = text.indexOf(END) + END.length
  text = `${text.slice(0, from)}${latest(report)}${text.slice(to)}`
  return text.replace(HISTORY, () => `${historyRow(report)}\n${HISTORY}`)
}

/** Rewrites the upload section of docs/benchmarks.md at `path`. */
export async function updateUploadSection (path: string, report: UploadReport): Promise<void> {
  const text = existsSync(path) ? await readFile(path, 'utf8') : ''
  await writeFile(path, updatedUploadText(text, report))
}
