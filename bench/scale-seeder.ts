/**
 * The scale benchmark's seeding process: one `createSession` with a state
 * directory, seeding every torrent listed in `<list>` from `<data>`, on
 * 127.0.0.1. `bench/scale.ts` bundles it (esbuild) and runs it as its own
 * process, so its start-up and memory are a user's.
 *
 *   node scale-seeder.mjs <list> <data> <state-dir>
 *
 * Stdout, one JSON object a line (`ms`: milliseconds since the process began):
 *   {"event":"listening","port":N,"ms":…}
 *   {"event":"added","torrents":N,"ms":…}
 *   {"event":"seeding","torrents":N,"piecesHashed":N,"ms":…}   every torrent seeds
 *   {"event":"stats","peers":N,"uploaded":N,"seeding":N,"fds":N,"rssMiB":N,"heapMiB":N,…,"ms":…}   each second after
 *   {"event":"closed","ms":…}   after "stop" on stdin: the session closed (resume data written)
 * `piecesHashed` counts the hasher's calls with bytes: every piece the checks hashed.
 */
import { readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { createSession, nodeHasher, parseTorrentFile, type Hasher } from '../pipelines/index.js'

const [list, dataDir, stateDir] = process.argv.slice(2)
if (list === undefined || dataDir === undefined || stateDir === undefined) {
  process.stderr.write('usage: scale-seeder <list> <data> <state-dir>\n')
  process.exit(2)
}

let piecesHashed = 0
const hasher: Hasher = {
  sha1: (chunks) => {
    // The engine probes the hasher once per torrent with no bytes (is it synchronous?): not a piece.
    if (chunks.some((c) => c.length > 0)) piecesHashed++
    return nodeHasher.sha1(chunks)
  }
}

// The bench reads every line; should it go first, end quietly.
process.stdout.on('error', () => { process.exit(0) })

const emit = (event: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(JSON.stringify({ event, ...fields, ms: Math.round(performance.now()) }) + '\n')
}

const session = createSession({
  host: '127.0.0.1',
  port: 0,
  stateDir,
  // Every downloader of the benchmark connects from 127.0.0.1: lift the per-address cap (default 8).
  inbound: { maxPerAddress: 1000 },
  onWarning: (w) => { process.stderr.write(`warning ${w.infoHash ?? ''}: ${w.message}\n`) }
})
void session.listening.then((a) => { emit('listening', { port: a.port }) })

const paths = (await readFile(list, 'utf8')).split('\n').filter((l) => l !== '')
// The .torrent files are read at once (not one after another behind the torrents' own start-up I/O), then added.
for (const bytes of await Promise.all(paths.map(async (path) => await readFile(path)))) {
  session.add(parseTorrentFile(bytes), { out: dataDir, seed: true, hasher })
}
emit('added', { torrents: paths.length })

const seeding = (): number => session.torrents().filter((t) => t.progress?.state === 'seeding').length

const allSeeding = setInterval(() => {
  if (seeding() < paths.length) return
  clearInterval(allSeeding)
  emit('seeding', { torrents: paths.length, piecesHashed })
  setInterval(() => {
    const all = session.torrents()
    const peers = all.reduce((n, t) => n + (t.progress?.peers ?? 0), 0)
    const uploaded = all.reduce((n, t) => n + (t.progress?.uploaded ?? 0), 0)
    if (process.env.SCALE_GC !== undefined) (globalThis as unknown as { gc: () => void }).gc()
    const m = process.memoryUsage()
    const mib = (n: number): number => Math.round(n / 2 ** 20)
    const fds = readdirSync('/proc/self/fd').length
    emit('stats', { peers, uploaded, seeding: seeding(), piecesHashed, fds, rssMiB: mib(m.rss), heapMiB: mib(m.heapUsed), arrayBuffersMiB: mib(m.arrayBuffers), externalMiB: mib(m.external) })
  }, 1000)
}, 10)

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stop') return
  void session.close().then(() => {
    emit('closed')
    process.exit(0)
  })
})
