/**
 * libtorrent downloads from `rxtorrent seed`: rxtorrent checks the data,
 * listens on 127.0.0.1, and libtorrent dials it with connect_peer. The
 * download is compared byte for byte with the source.
 */
import { afterEach, expect, it } from 'vitest'
import { describeWithClients, freePort, hasLibtorrent, spawnCli, stopAll, waitForPort } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, mixedTree, removeWorkspaces } from './helpers/fixtures.js'
import type { Layout } from './helpers/fixtures.js'
import { ltDownload } from './helpers/lt-peer.js'
import type { TorrentCreator } from './helpers/torrents.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})

const cases: Array<{ title: string, layout: Layout, creator: TorrentCreator, pieceLength: number }> = [
  {
    title: 'single file, 256 KiB pieces, torrent by libtorrent',
    layout: { kind: 'single', name: 'to-libtorrent.bin', size: 4 * MiB + 4321 },
    creator: 'libtorrent',
    pieceLength: 256 * KiB
  },
  {
    title: 'multi-file with zero-length files, 16 KiB pieces, torrent by rxtorrent create',
    layout: { kind: 'multi', name: 'seed-tree', files: mixedTree(1) },
    creator: 'rxtorrent',
    pieceLength: 16 * KiB
  }
]

describeWithClients('libtorrent downloads from rxtorrent seed (TCP)', [hasLibtorrent()], () => {
  for (const c of cases) {
    it(c.title, async () => {
      const ws = await makeWorkspace(c.layout, c.creator, c.pieceLength, c.title)
      const port = await freePort()
      const seed = spawnCli(['seed', ws.torrent, '--data', ws.src, '--port', String(port), '--host', '127.0.0.1'])
      // The seeder listens once its data has been verified.
      await waitForPort(port, 60_000, seed)
      try {
        await ltDownload(ws.torrent, ws.out, { peers: [`127.0.0.1:${port}`], timeoutSeconds: 120 })
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${seed.diagnostics()}`)
      }
      expect(await ws.compare()).toEqual([])
      expect(seed.hasExited, 'rxtorrent seed keeps running until killed').toBe(false)
    })
  }
})
