/**
 * Resume without re-hash, against libtorrent: a session downloads two
 * torrents from libtorrent seeders and closes (its resume data saved); a new
 * session on the same state folder seeds both without reading a byte of
 * piece data (its storage counts every read), and libtorrent downloaders then
 * fetch both from it, byte for byte: the trusted pieces are the real ones.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import type { Storage } from '../../lib/storage/types.js'
import { createSession, parseTorrentFile, type Session } from '../../pipelines/index.js'
import { describeWithClients, hasLibtorrent, stopAll } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import { ltDownload, startLtSeeder } from './helpers/lt-peer.js'
import { countedFileStorage as counted } from '../pipelines/node/counted-storage.js'

const sessions: Session[] = []
afterEach(async () => {
  while (sessions.length > 0) await sessions.pop()?.close()
  await stopAll()
  await removeWorkspaces()
})

describeWithClients('session resume data against libtorrent', [hasLibtorrent()], () => {
  it('a restart seeds two torrents downloaded before without reading their data; libtorrent fetches both from it intact', { timeout: 150_000 }, async () => {
    const workspaces = await Promise.all([0, 1].map(async (i) => await makeWorkspace({ kind: 'single', name: `resumed${i}.bin`, size: 3 * MiB + i * 4321 }, 'libtorrent', 64 * KiB, `session-resume-seed-${i}`)))
    const torrents = await Promise.all(workspaces.map(async (ws) => parseTorrentFile(await readFile(ws.torrent))))
    const state = join(workspaces[0]?.root ?? '', 'state')
    const seeders = await Promise.all(workspaces.map(async (ws) => await startLtSeeder(ws.torrent, ws.src)))
    const first = createSession({ port: 0, host: '127.0.0.1', stateDir: state })
    sessions.push(first)
    const added = torrents.map((t, i) => first.add(t, { out: workspaces[i]?.out ?? '', trackers: false, peers: [{ host: '127.0.0.1', port: seeders[i]?.port ?? 0 }] }))
    const finals = await Promise.all(added.map(async (t) => await t.done))
    expect(finals.map((p) => p?.piecesVerified === p?.pieceCount)).toEqual([true, true])
    await first.close()
    sessions.pop()
    for (const s of seeders) await s.process.stop()

    // The restart: the downloaded copies are the seed's data now.
    const storages = torrents.map((t, i) => counted(t, workspaces[i]?.out ?? ''))
    const warnings: string[] = []
    const second = createSession({ port: 0, host: '127.0.0.1', stateDir: state, onWarning: (w) => { warnings.push(w.message) } })
    sessions.push(second)
    torrents.forEach((t, i) => second.add(t, { out: workspaces[i]?.out ?? '', seed: true, trackers: false, pex: false, storage: storages[i] as Storage }))
    const port = (await second.listening).port
    await new Promise<void>((resolve) => {
      const sub = second.progress$.subscribe(({ torrents: ps }) => {
        if (ps.length === 2 && ps.every((p) => p.state === 'seeding')) { sub.unsubscribe(); resolve() }
      })
    })
    expect(storages.map((s) => s.readBytes), warnings.join('\n')).toEqual([0, 0])
    expect(second.torrents().map((t) => t.progress?.piecesVerified)).toEqual(torrents.map((t) => t.pieceCount))

    await Promise.all(workspaces.map(async (ws) => await ltDownload(ws.torrent, join(ws.root, 'again'), { peers: [`127.0.0.1:${port}`], timeoutSeconds: 90 })))
    for (const ws of workspaces) expect(await ws.compare(join(ws.root, 'again'))).toEqual([])
    // What libtorrent fetched was read from the files, now.
    expect(storages.every((s, i) => s.readBytes >= (workspaces[i]?.totalSize ?? Infinity))).toBe(true)
  })
})
