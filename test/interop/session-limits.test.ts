/**
 * A session's rate limits against libtorrent: the session's upload limit
 * holds for two torrents seeded to two libtorrent downloaders at once, and
 * its download limit for two torrents fetched from two libtorrent seeders.
 * Timed on the wall clock, only from below (what a limit guarantees).
 */
import { readFile } from 'node:fs/promises'
import { afterEach, expect, it } from 'vitest'
import { createSession, parseTorrentFile, type Session } from '../../pipelines/index.js'
import { describeWithClients, freePort, hasLibtorrent, stopAll } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import { ltDownload, startLtSeeder } from './helpers/lt-peer.js'

const sessions: Session[] = []
afterEach(async () => {
  while (sessions.length > 0) await sessions.pop()?.close()
  await stopAll()
  await removeWorkspaces()
})

const LIMIT = MiB
const SIZE = 2 * MiB

describeWithClients('session rate limits against libtorrent', [hasLibtorrent()], () => {
  it('a session upload limit of 1 MiB/s holds for two torrents seeded to two libtorrent downloaders at once', { timeout: 120_000 }, async () => {
    const workspaces = await Promise.all([0, 1].map(async (i) => await makeWorkspace({ kind: 'single', name: `up${i}.bin`, size: SIZE + i * 999 }, 'rxtorrent', 64 * KiB, `session-up-${i}`)))
    const port = await freePort()
    const session = createSession({ port, host: '127.0.0.1', uploadLimit: LIMIT })
    sessions.push(session)
    for (const ws of workspaces) session.add(parseTorrentFile(await readFile(ws.torrent)), { out: ws.src, seed: true, trackers: false, pex: false })
    await session.listening
    const start = performance.now()
    const took = await Promise.all(workspaces.map(async (ws) => {
      await ltDownload(ws.torrent, ws.out, { peers: [`127.0.0.1:${port}`], timeoutSeconds: 90 })
      return (performance.now() - start) / 1000
    }))
    for (const ws of workspaces) expect(await ws.compare()).toEqual([])
    // 4 MiB at 1 MiB/s with one second of burst: not before 3 s for the pair, and neither alone before 1.5 s.
    expect(Math.max(...took), JSON.stringify(took)).toBeGreaterThanOrEqual(3)
    expect(Math.min(...took), JSON.stringify(took)).toBeGreaterThanOrEqual(1.5)
  })

  it('a session download limit of 1 MiB/s holds for two torrents fetched from two libtorrent seeders', { timeout: 120_000 }, async () => {
    const workspaces = await Promise.all([0, 1].map(async (i) => await makeWorkspace({ kind: 'single', name: `down${i}.bin`, size: SIZE + i * 777 }, 'libtorrent', 64 * KiB, `session-down-${i}`)))
    const seeders = await Promise.all(workspaces.map(async (ws) => await startLtSeeder(ws.torrent, ws.src)))
    const session = createSession({ port: 0, host: '127.0.0.1', downloadLimit: LIMIT })
    sessions.push(session)
    const start = performance.now()
    const added = await Promise.all(workspaces.map(async (ws, i) => session.add(parseTorrentFile(await readFile(ws.torrent)), {
      out: ws.out, trackers: false, pex: false, peers: [{ host: '127.0.0.1', port: seeders[i]?.port ?? 0 }]
    })))
    const finals = await Promise.all(added.map(async (t) => await t.done))
    const took = (performance.now() - start) / 1000
    expect(finals.map((p) => p?.piecesVerified === p?.pieceCount)).toEqual([true, true])
    for (const ws of workspaces) expect(await ws.compare()).toEqual([])
    expect(took).toBeGreaterThanOrEqual(3)
  })
})
