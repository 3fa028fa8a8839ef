/**
 * Many-files benchmark: peak resident memory and time of `rxtorrent create`,
 * `info`, `seed` (check, then serve) and `download` for a torrent of many
 * small files (default 100,000 files of 0-1 KiB in 16 KiB pieces, 200 to a
 * folder), every process under `ulimit -n 256`, and libtorrent's downloader
 * fetching the same torrent from the same seed for comparison. Prints a table.
 *
 *   node --import tsx bench/many-files.ts [--files N] [--max-length BYTES]
 *                                         [--piece-length BYTES] [--open-files N] [--dir PATH]
 */
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { describeExit, REPO_ROOT, stopAll } from '../test/interop/helpers/processes.js'
import { ManagedProcess, SYSTEM_PYTHON } from '../test/interop/helpers/processes.js'
import { LT_PEER_SCRIPT } from '../test/interop/helpers/lt-peer.js'
import { maxRssMiB, spawnMeasuredCli, writeManyFiles, writeMaxRssReporter } from '../test/pipelines/cli/many-files-fixture.js'

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '100000' },
    'max-length': { type: 'string', default: '1024' },
    'piece-length': { type: 'string', default: '16384' },
    'open-files': { type: 'string', default: '256' },
    dir: { type: 'string', default: join(REPO_ROOT, '.bench', 'many-files') }
  }
})

const openFiles = Number(values['open-files'])
const dir = values.dir
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
const reporter = writeMaxRssReporter(dir)

const rows: Array<{ step: string, seconds: number, rss: number | undefined, exit: string }> = []

/** Run `p` to its exit (or to `until` for a server), and note its figures. */
async function record (step: string, p: ManagedProcess, started: number): Promise<void> {
  const exit = await p.exited
  rows.push({ step, seconds: (performance.now() - started) / 1000, rss: maxRssMiB(p), exit: describeExit(exit) })
  if (exit.code !== 0) process.stderr.write(p.diagnostics() + '\n')
}

try {
  let t = performance.now()
  const many = writeManyFiles(dir, { files: Number(values.files), maxLength: Number(values['max-length']), pieceLength: Number(values['piece-length']) })
  console.log(`wrote ${many.files} files (${many.bytes} bytes) in ${((performance.now() - t) / 1000).toFixed(1)} s`)

  t = performance.now()
  await record('create', spawnMeasuredCli('create', reporter, ['create', join(many.data, many.name), '-o', join(dir, 'created.torrent'), '--piece-length', values['piece-length']], openFiles), t)
  t = performance.now()
  await record('info', spawnMeasuredCli('info', reporter, ['info', many.torrent, '--json'], openFiles), t)

  t = performance.now()
  const seed = spawnMeasuredCli('seed', reporter, ['seed', many.torrent, '--data', many.data, '--port', '0', '--host', '127.0.0.1'], openFiles)
  const line = await seed.waitFor(() => seed.lines.find(l => / on 127\.0\.0\.1:\d+$/.test(l)), 600_000, 'the listening line')
  const checked = (performance.now() - t) / 1000
  const port = /:(\d+)$/.exec(line)?.[1] ?? ''
  t = performance.now()
  await record('download', spawnMeasuredCli('download', reporter, ['download', many.torrent, '--out', join(dir, 'out'), '--peer', `127.0.0.1:${port}`, '--quiet'], openFiles), t)
  // libtorrent's downloader from the same seed, under the same limit, for the ratio.
  t = performance.now()
  await record('download (libtorrent 2.0)', spawnMeasuredLt(['download', many.torrent, join(dir, 'out-lt'), '--peer', `127.0.0.1:${port}`, '--timeout', '900']), t)
  await seed.stop(30_000)
  rows.push({ step: 'seed (check, then serve the download)', seconds: checked, rss: maxRssMiB(seed), exit: describeExit(await seed.exited) })
} finally {
  await stopAll()
}

const rx = rows.find(r => r.step === 'download')
const lt = rows.find(r => r.step === 'download (libtorrent 2.0)')
if (rx !== undefined && lt !== undefined) {
  console.log(`\ndownload, rxtorrent / libtorrent: time ${(rx.seconds / lt.seconds).toFixed(2)}×, peak RSS ${rx.rss !== undefined && lt.rss !== undefined ? (rx.rss / lt.rss).toFixed(2) : '?'}×`)
}
console.log(`\n| step | time (s) | peak RSS (MiB) | exit |\n| --- | --- | --- | --- |`)
for (const r of rows) console.log(`| ${r.step} | ${r.seconds.toFixed(1)} | ${r.rss?.toFixed(0) ?? '?'} | ${r.exit} |`)
console.log(`\n${values.files} files of 0-${values['max-length']} bytes, ${values['piece-length']}-byte pieces, ulimit -n ${openFiles}; node ${process.version}`)
rmSync(dir, { recursive: true, force: true })

/** `lt_peer.py <args>` under the same `ulimit -n`, its peak RSS printed by GNU time in the reporter's format. */
function spawnMeasuredLt (args: readonly string[]): ManagedProcess {
  return new ManagedProcess('bash', ['-c', `ulimit -n ${openFiles} && exec /usr/bin/time -f '\\nmax-rss-kib %M' "$@"`, 'measured', SYSTEM_PYTHON, LT_PEER_SCRIPT, ...args], { label: 'libtorrent download' })
}
