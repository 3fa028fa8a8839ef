/**
 * A session in a child process, for tests that kill it: downloads every
 * `.torrent` given (JSON in argv[2]: { state, torrents: [{ file, out, peer }] })
 * with resume data in `state`, printing one JSON line per progress of each
 * torrent and `{"event":"done"}` once all are complete.
 */
import { readFile } from 'node:fs/promises'
import { createSession, parseTorrentFile } from '../../../pipelines/index.js'

const config = JSON.parse(process.argv[2] as string) as { state: string, torrents: Array<{ file: string, out: string, peer: number }>, intervalMs: number }
const session = createSession({ port: 0, host: '127.0.0.1', stateDir: config.state, resumeIntervalMs: config.intervalMs })
const added = await Promise.all(config.torrents.map(async (t) => session.add(parseTorrentFile(await readFile(t.file)), {
  out: t.out, trackers: false, pex: false, peers: [{ host: '127.0.0.1', port: t.peer }], progressIntervalMs: 200
})))
session.progress$.subscribe(({ torrents }) => {
  process.stdout.write(JSON.stringify({ event: 'progress', torrents: torrents.map((p) => ({ name: p.name, verified: p.piecesVerified, count: p.pieceCount, checked: p.piecesChecked, state: p.state })) }) + '\n')
})
await Promise.all(added.map(async (t) => await t.done))
process.stdout.write(JSON.stringify({ event: 'done', torrents: added.map((t) => ({ name: t.torrent.name, verified: t.progress?.piecesVerified, count: t.progress?.pieceCount })) }) + '\n')
await session.close()
