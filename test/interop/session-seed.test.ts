/**
 * A session seeds three torrents on one port: three libtorrent downloaders,
 * one per torrent, all dial that one port at once and each gets its own
 * torrent, byte for byte.
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

describeWithClients('a session against libtorrent', [hasLibtorrent()], () => {
  it('seeds three torrents on one port to three libtorrent downloaders at once', { timeout: 120_000 }, async () => {
    const workspaces = await Promise.all([0, 1, 2].map(async (i) => await makeWorkspace(
      i === 1
        ? { kind: 'multi', name: `multi${i}`, files: [{ path: 'a/one.bin', size: 700 * KiB + 3 }, { path: 'two.bin', size: 2 * MiB + 11 }] }
        : { kind: 'single', name: `single${i}.bin`, size: 3 * MiB + i * 1234 },
      i === 2 ? 'libtorrent' : 'rxtorrent', 64 * KiB, `session-seed-${i}`)))
    const port = await freePort()
    const warnings: string[] = []
    const session = createSession({ port, host: '127.0.0.1', onWarning: (w) => { warnings.push(w.message) } })
    sessions.push(session)
    for (const ws of workspaces) session.add(parseTorrentFile(await readFile(ws.torrent)), { out: ws.src, seed: true, trackers: false, pex: false })
    expect((await session.listening).port).toBe(port)
    await Promise.all(workspaces.map(async (ws) => await ltDownload(ws.torrent, ws.out, { peers: [`127.0.0.1:${port}`], timeoutSeconds: 90 })))
    for (const ws of workspaces) expect(await ws.compare()).toEqual([])
    expect(session.torrents()).toHaveLength(3)
    // The next progress (every second) shows each torrent's upload and the session's total.
    const sizes = workspaces.map((ws) => ws.totalSize)
    const totals = await new Promise<{ each: number[], total: number }>((resolve) => {
      const sub = session.progress$.subscribe(({ torrents, totals }) => {
        if (torrents.length === 3 && torrents.every((t) => t.uploaded > 0)) { sub.unsubscribe(); resolve({ each: torrents.map((t) => t.uploaded), total: totals.uploaded }) }
      })
    })
    expect(totals.each.every((u, i) => u >= (sizes[i] ?? 0)), JSON.stringify({ totals, sizes, warnings })).toBe(true)
    expect(totals.total).toBe(totals.each.reduce((a, b) => a + b, 0))
  })

  it('downloads two torrents from two libtorrent seeders at once, in one session', { timeout: 120_000 }, async () => {
    const workspaces = await Promise.all([0, 1].map(async (i) => await makeWorkspace({ kind: 'single', name: `dl${i}.bin`, size: 4 * MiB + i * 777 }, 'libtorrent', 64 * KiB, `session-dl-${i}`)))
    const seeders = await Promise.all(workspaces.map(async (ws) => await startLtSeeder(ws.torrent, ws.src)))
    const session = createSession({ port: 0, host: '127.0.0.1' })
    sessions.push(session)
    const added = await Promise.all(workspaces.map(async (ws, i) => session.add(parseTorrentFile(await readFile(ws.torrent)), {
      out: ws.out, trackers: false, peers: [{ host: '127.0.0.1', port: seeders[i]?.port ?? 0 }]
    })))
    const finals = await Promise.all(added.map(async (t) => await t.done))
    expect(finals.map((p) => p?.piecesVerified === p?.pieceCount)).toEqual([true, true])
    for (const ws of workspaces) expect(await ws.compare()).toEqual([])
  })
})
