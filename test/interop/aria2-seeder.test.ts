/**
 * rxtorrent's CLI downloads from an aria2 seeder over TCP on loopback.
 */
import { afterEach, expect, it } from 'vitest'
import { describeWithClients, hasAria2, hasLibtorrent, runCli, stopAll } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, mixedTree, removeWorkspaces } from './helpers/fixtures.js'
import type { Layout } from './helpers/fixtures.js'
import { startAria2Seeder } from './helpers/aria2.js'
import type { TorrentCreator } from './helpers/torrents.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})

const cases: Array<{ title: string, layout: Layout, creator: TorrentCreator, pieceLength: number }> = [
  {
    title: 'single file, 64 KiB pieces, torrent by rxtorrent create',
    layout: { kind: 'single', name: 'from-aria2.bin', size: 2 * MiB + 4097 },
    creator: 'rxtorrent',
    pieceLength: 64 * KiB
  },
  {
    title: 'multi-file with zero-length files, 256 KiB pieces, torrent by libtorrent',
    layout: { kind: 'multi', name: 'aria2-tree', files: mixedTree(1) },
    creator: 'libtorrent',
    pieceLength: 256 * KiB
  }
]

// libtorrent is needed only to write one of the .torrent files.
describeWithClients('rxtorrent downloads from an aria2 seeder (TCP)', [hasAria2(), hasLibtorrent()], () => {
  for (const c of cases) {
    it(c.title, async () => {
      const ws = await makeWorkspace(c.layout, c.creator, c.pieceLength, c.title)
      const seeder = await startAria2Seeder(ws.torrent, ws.src)
      const result = await runCli(['download', ws.torrent, '--out', ws.out, '--peer', seeder.address, '--quiet'],
        { timeoutMs: 120_000 })
      expect(result.code, `${result.diagnostics}\n${seeder.process.diagnostics()}`).toBe(0)
      expect(await ws.compare()).toEqual([])
      await seeder.stop()
    })
  }
})
