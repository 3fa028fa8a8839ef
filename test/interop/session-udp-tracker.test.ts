/**
 * A session's two torrents announce over UDP (BEP 15) to opentracker
 * through the session's one UDP socket, on the session's port: each finds
 * its libtorrent seeder there and completes, and opentracker lists the
 * session under its port to the other peers.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { createSession, parseTorrentFile, type Session } from '../../pipelines/index.js'
import { nodeTrackerClient } from '../../pipelines/node/tracker-client.js'
import { describeWithClients, freePort, hasLibtorrent, hasOpentracker, stopAll } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import { startLtSeeder } from './helpers/lt-peer.js'
import { announceUrls, startOpentracker, type Opentracker } from './helpers/opentracker.js'

const sessions: Session[] = []
const trackers: Opentracker[] = []
afterEach(async () => {
  while (sessions.length > 0) await sessions.pop()?.close()
  while (trackers.length > 0) await trackers.pop()?.stop()
  await stopAll()
  await removeWorkspaces()
})

describeWithClients('a session announcing over its UDP socket to opentracker', [hasLibtorrent(), hasOpentracker()], () => {
  it('two torrents announce from the session port, each finds its libtorrent seeder, completes, and is listed at the session port', { timeout: 120_000 }, async () => {
    const trackerPort = await freePort()
    const url = announceUrls(trackerPort).udp
    const workspaces = await Promise.all([0, 1].map(async (i) => await makeWorkspace({ kind: 'single', name: `udp-session-${i}.bin`, size: 2 * MiB + i * 999 }, 'libtorrent', 64 * KiB, `session-udp-${i}`, [url])))
    const torrents = await Promise.all(workspaces.map(async (ws) => parseTorrentFile(await readFile(ws.torrent))))
    const tracker = await startOpentracker(join(workspaces[0]?.root ?? '', 'tracker'), torrents.map((t) => t.infoHashHex), trackerPort)
    trackers.push(tracker)
    const seeders = await Promise.all(workspaces.map(async (ws) => await startLtSeeder(ws.torrent, ws.src)))
    const warnings: string[] = []
    const session = createSession({ port: 0, host: '127.0.0.1', onWarning: (w) => { warnings.push(w.message) } })
    sessions.push(session)
    // Seeding on after completion: the session stays in the swarm for the probe below.
    for (const [i, t] of torrents.entries()) session.add(t, { out: workspaces[i]?.out ?? '', pex: false, seed: true })
    const address = await session.listening
    const demux = await session.datagrams
    expect(demux?.address.port).toBe(address.port)
    await new Promise<void>((resolve) => {
      const sub = session.progress$.subscribe(({ torrents: all, totals }) => { if (all.length === 2 && totals.complete === 2) { sub.unsubscribe(); resolve() } })
    })
    const diagnostics = `${warnings.join('\n')}\n${tracker.process.diagnostics()}\n${seeders.map((s) => s.process.diagnostics()).join('\n')}`
    for (const ws of workspaces) expect(await ws.compare()).toEqual([])
    // Every tracker reply (a connect and an announce per torrent at least) came back to the session's socket.
    expect(demux?.stats().tracker, diagnostics).toBeGreaterThanOrEqual(4)
    expect(demux?.pendingTransactions).toBe(0)
    // opentracker lists the session, at its port, to another peer of each torrent.
    const probe = nodeTrackerClient({ timeoutMs: 10_000, udp: { retransmitBaseMs: 1000 } })
    try {
      for (const t of torrents) {
        const r = await probe.announce(url, { infoHash: t.infoHash, peerId: new TextEncoder().encode('-RX0100-udpprobe0000'), port: 7999, uploaded: 0, downloaded: 0, left: 1, event: 'started', numwant: 50 })
        expect(r.peers, diagnostics).toContainEqual({ host: '127.0.0.1', port: address.port })
      }
    } finally {
      await probe.close()
    }
  })
})
