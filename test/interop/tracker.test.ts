/**
 * `rxtorrent tracker` serves real clients: a libtorrent seeder and a
 * libtorrent downloader that knows no peer both announce to it (over HTTP,
 * then over UDP) and the downloader finds the seeder through it.
 */
import { afterEach, expect, it } from 'vitest'
import { describeWithClients, freePort, hasLibtorrent, spawnCli, stopAll } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import { ltDownload, ltTorrentInfo, startLtSeeder } from './helpers/lt-peer.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})

describeWithClients('libtorrent peers meet through rxtorrent tracker', [hasLibtorrent()], () => {
  for (const scheme of ['http', 'udp'] as const) {
    it(`over ${scheme === 'http' ? 'HTTP' : 'UDP (BEP 15)'}`, async () => {
      const port = await freePort()
      const announce = `${scheme}://127.0.0.1:${port}/announce`
      const ws = await makeWorkspace({ kind: 'single', name: `via-${scheme}.bin`, size: MiB + 99 }, 'libtorrent', 32 * KiB,
        `tracker-${scheme}`, [announce])
      const info = await ltTorrentInfo(ws.torrent)
      const tracker = spawnCli(['tracker', '--host', '127.0.0.1',
        '--http-port', scheme === 'http' ? String(port) : 'off',
        '--udp-port', scheme === 'udp' ? String(port) : 'off',
        '--interval', '60', '--allow', info.infoHash])
      // The tracker prints its announce URLs once it is listening.
      await tracker.waitFor(() => tracker.stdout.includes(`${scheme}://`) ? true : undefined, 30_000, 'its announce URL')
      const seeder = await startLtSeeder(ws.torrent, ws.src)
      const downloader = await ltDownload(ws.torrent, ws.out, { peers: [], timeoutSeconds: 60 }).catch((err: Error) => {
        throw new Error(`${err.message}\n${tracker.diagnostics()}\n${seeder.process.diagnostics()}`)
      })
      expect(await ws.compare()).toEqual([])
      // libtorrent logs the tracker's answer: the seeder was in it.
      expect(downloader.stderr).toMatch(/tracker_reply_alert.*received peers: [1-9]/)
      expect(tracker.hasExited, 'the tracker keeps serving').toBe(false)
    })
  }
})
