/**
 * rxtorrent's CLI downloads from a libtorrent seeder over TCP on loopback:
 * single- and multi-file torrents, piece lengths of 16 KiB, 256 KiB and
 * 4 MiB, each with a short last piece, zero-length files at the start, in a
 * subdirectory and at the end, and .torrent files written by rxtorrent,
 * libtorrent and mktorrent. Every download is compared byte for byte with
 * the source.
 */
import { afterEach, expect, it } from 'vitest'
import { describeWithClients, hasLibtorrent, hasMktorrent, runCli, stopAll } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, mixedTree, removeWorkspaces } from './helpers/fixtures.js'
import type { Layout } from './helpers/fixtures.js'
import { ltTorrentInfo, startLtSeeder } from './helpers/lt-peer.js'
import type { TorrentCreator } from './helpers/torrents.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})

interface Case {
  title: string
  layout: Layout
  creator: TorrentCreator
  pieceLength: number
}

const cases: Case[] = [
  {
    title: 'single file, 16 KiB pieces, torrent by rxtorrent create',
    layout: { kind: 'single', name: 'small-pieces.bin', size: MiB + 1234 },
    creator: 'rxtorrent',
    pieceLength: 16 * KiB
  },
  {
    title: 'single file, 256 KiB pieces, torrent by libtorrent',
    layout: { kind: 'single', name: 'mid-pieces.bin', size: 3 * MiB + 100 },
    creator: 'libtorrent',
    pieceLength: 256 * KiB
  },
  {
    title: 'single file, 4 MiB pieces, torrent by mktorrent',
    layout: { kind: 'single', name: 'big-pieces.bin', size: 9 * MiB + 5 },
    creator: 'mktorrent',
    pieceLength: 4 * MiB
  },
  {
    title: 'multi-file with zero-length files, 16 KiB pieces, torrent by libtorrent',
    layout: { kind: 'multi', name: 'tree-16k', files: mixedTree(1) },
    creator: 'libtorrent',
    pieceLength: 16 * KiB
  },
  {
    title: 'multi-file with zero-length files, 256 KiB pieces, torrent by rxtorrent create',
    layout: { kind: 'multi', name: 'tree-256k', files: mixedTree(1.5) },
    creator: 'rxtorrent',
    pieceLength: 256 * KiB
  },
  {
    title: 'multi-file with zero-length files, 4 MiB pieces, torrent by mktorrent',
    layout: { kind: 'multi', name: 'tree-4m', files: mixedTree(3) },
    creator: 'mktorrent',
    pieceLength: 4 * MiB
  }
]

describeWithClients('rxtorrent downloads from a libtorrent seeder (TCP)', [hasLibtorrent(), hasMktorrent()], () => {
  for (const c of cases) {
    it(c.title, async () => {
      const ws = await makeWorkspace(c.layout, c.creator, c.pieceLength, c.title)
      const lt = await ltTorrentInfo(ws.torrent)
      expect(lt.pieceLength).toBe(c.pieceLength)
      expect(lt.totalSize % c.pieceLength, 'the last piece is short').not.toBe(0)

      // rxtorrent reads the same torrent libtorrent reads.
      const info = await runCli(['info', ws.torrent, '--json'], { timeoutMs: 30_000 })
      expect(info.code, info.diagnostics).toBe(0)
      expect(info.stdout.toLowerCase()).toContain(lt.infoHash)

      const seeder = await startLtSeeder(ws.torrent, ws.src)
      const result = await runCli(['download', ws.torrent, '--out', ws.out, '--peer', seeder.address, '--quiet'],
        { timeoutMs: 120_000 })
      expect(result.code, result.diagnostics).toBe(0)
      expect(await ws.compare()).toEqual([])
    })
  }
})

describeWithClients('rxtorrent downloads from two libtorrent seeders at once (TCP)', [hasLibtorrent()], () => {
  it('takes pieces from both and assembles identical files', async () => {
    const ws = await makeWorkspace({ kind: 'multi', name: 'two-seeders', files: mixedTree(2) }, 'libtorrent', 64 * KiB,
      'two-seeders')
    // Rate-limited so that neither seeder can deliver everything before the other is used.
    const seeders = [
      await startLtSeeder(ws.torrent, ws.src, { uploadLimit: 2 * MiB }),
      await startLtSeeder(ws.torrent, ws.src, { uploadLimit: 2 * MiB })
    ]
    const args = ['download', ws.torrent, '--out', ws.out, '--quiet']
    for (const s of seeders) args.push('--peer', s.address)
    const result = await runCli(args, { timeoutMs: 120_000 })
    expect(result.code, result.diagnostics).toBe(0)
    expect(await ws.compare()).toEqual([])
    for (const s of seeders) {
      const served = await s.process.waitForJson((v) => v.event === 'state' && Number(v.uploaded) > 0, 10_000)
      expect(Number(served.uploaded)).toBeGreaterThan(0)
    }
  })
})
