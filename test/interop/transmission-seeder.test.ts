/**
 * rxtorrent's CLI downloads from a Transmission 3 seeder over TCP on
 * loopback. Transmission accepts our incoming loopback connection and
 * unchokes on its 10-second rechoke timer, so each case takes 10 s or more.
 */
import { afterEach, expect, it } from 'vitest'
import { join } from 'node:path'
import { describeWithClients, hasLibtorrent, hasTransmission, runCli, stopAll } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, mixedTree, removeWorkspaces } from './helpers/fixtures.js'
import type { Layout } from './helpers/fixtures.js'
import { startTransmissionSeeder } from './helpers/transmission.js'
import type { TorrentCreator } from './helpers/torrents.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})

const cases: Array<{ title: string, layout: Layout, creator: TorrentCreator, pieceLength: number }> = [
  {
    title: 'single file, 256 KiB pieces, torrent by rxtorrent create',
    layout: { kind: 'single', name: 'from-transmission.bin', size: 3 * MiB + 333 },
    creator: 'rxtorrent',
    pieceLength: 256 * KiB
  },
  {
    title: 'multi-file with zero-length files, 32 KiB pieces, torrent by libtorrent',
    layout: { kind: 'multi', name: 'tr-tree', files: mixedTree(1) },
    creator: 'libtorrent',
    pieceLength: 32 * KiB
  }
]

// libtorrent is needed only to write one of the .torrent files.
describeWithClients('rxtorrent downloads from a Transmission seeder (TCP)', [hasTransmission(), hasLibtorrent()], () => {
  for (const c of cases) {
    it(c.title, async () => {
      const ws = await makeWorkspace(c.layout, c.creator, c.pieceLength, c.title)
      const seeder = await startTransmissionSeeder(ws.torrent, ws.src, join(ws.root, 'transmission'))
      const result = await runCli(['download', ws.torrent, '--out', ws.out, '--peer', seeder.address, '--quiet'],
        { timeoutMs: 150_000 })
      expect(result.code, result.diagnostics).toBe(0)
      expect(await ws.compare()).toEqual([])
      await seeder.stop()
    })
  }
})
