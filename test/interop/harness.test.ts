/**
 * Checks of the interop harness itself, with no rxtorrent involved: the data
 * generator is deterministic, the tree comparison finds differences, and
 * libtorrent and Transmission seeders started by the helpers serve a
 * libtorrent downloader on loopback, directly or through opentracker. When an
 * rxtorrent interop test fails, these say whether the harness is to blame.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { mkdir, writeFile } from 'node:fs/promises'
import {
  compareTrees, describeWithClients, deterministicBytes, freePort, hasLibtorrent, hasOpentracker, hasTransmission,
  makeTempDir, removeDir, stopAll, writeTree
} from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, mixedTree, removeWorkspaces } from './helpers/fixtures.js'
import { ltDownload, ltTorrentInfo, spawnLtPeer, startLtSeeder } from './helpers/lt-peer.js'
import { announceUrls, startOpentracker } from './helpers/opentracker.js'
import { startTransmissionSeeder } from './helpers/transmission.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})

describe('deterministic data', () => {
  it('gives the same bytes for the same seed and different bytes for another', () => {
    const a = deterministicBytes('seed-1', 100_000)
    const b = deterministicBytes('seed-1', 100_000)
    const c = deterministicBytes('seed-2', 100_000)
    expect(Buffer.compare(a, b)).toBe(0)
    expect(Buffer.compare(a, c)).not.toBe(0)
    // A prefix of a longer run is the shorter run: sizes do not change content.
    expect(Buffer.compare(deterministicBytes('seed-1', 1000), a.subarray(0, 1000))).toBe(0)
  })
})

describe('tree comparison', () => {
  it('finds a flipped byte, a missing empty file and an unexpected file', async () => {
    const root = await makeTempDir()
    try {
      const files = [{ path: 'a.bin', size: 5000 }, { path: 'sub/empty', size: 0 }]
      await writeTree(join(root, 'x'), files, 'cmp')
      await writeTree(join(root, 'y'), files, 'cmp')
      expect(await compareTrees(join(root, 'x'), join(root, 'y'))).toEqual([])

      const flipped = deterministicBytes('cmp/a.bin', 5000)
      flipped[4321] = (flipped[4321] ?? 0) ^ 1
      await writeFile(join(root, 'y', 'a.bin'), flipped)
      await removeDir(join(root, 'y', 'sub'))
      await mkdir(join(root, 'y', 'other'))
      await writeFile(join(root, 'y', 'other', 'extra'), 'x')
      const problems = await compareTrees(join(root, 'x'), join(root, 'y'))
      expect(problems).toContain(`missing ${join('sub', 'empty')}`)
      expect(problems).toContain(`unexpected ${join('other', 'extra')}`)
      expect(problems.some((p) => p.includes('at byte 4321'))).toBe(true)
    } finally {
      await removeDir(root)
    }
  })
})

describeWithClients('harness: libtorrent to libtorrent', [hasLibtorrent()], () => {
  it('a libtorrent seeder serves a multi-file torrent to a libtorrent downloader', async () => {
    const ws = await makeWorkspace({ kind: 'multi', name: 'tree', files: mixedTree(1) }, 'libtorrent', 16 * KiB, 'harness-lt')
    const info = await ltTorrentInfo(ws.torrent)
    expect(info.totalSize).toBe(ws.totalSize)
    expect(info.files.filter((f) => f.size === 0)).toHaveLength(3)
    const seeder = await startLtSeeder(ws.torrent, ws.src)
    await ltDownload(ws.torrent, ws.out, { peers: [seeder.address], timeoutSeconds: 60 })
    expect(await ws.compare()).toEqual([])
  })

  it('a libtorrent seeder with incomplete data reports an error instead of seeding', async () => {
    const ws = await makeWorkspace({ kind: 'single', name: 'one.bin', size: MiB }, 'libtorrent', 16 * KiB, 'harness-bad')
    await writeFile(join(ws.src, 'one.bin'), new Uint8Array(1000))
    await expect(startLtSeeder(ws.torrent, ws.src)).rejects.toThrow(/incomplete|exited/)
  })

  it('lt_peer exits when its stdin closes, so a dead test leaks no process', async () => {
    const ws = await makeWorkspace({ kind: 'single', name: 'one.bin', size: 64 * KiB }, 'libtorrent', 16 * KiB, 'harness-exit')
    const proc = spawnLtPeer('seed', ws.torrent, ws.src)
    await proc.waitForJson((v) => v.event === 'listening', 20_000)
    proc.child.stdin?.end()
    const exit = await proc.exited
    expect(exit.code).toBe(0)
  })
})

describeWithClients('harness: Transmission to libtorrent', [hasLibtorrent(), hasTransmission()], () => {
  it('a Transmission seeder accepts a loopback connection and serves the data', async () => {
    const ws = await makeWorkspace({ kind: 'single', name: 'tr.bin', size: 2 * MiB + 5 }, 'libtorrent', 256 * KiB, 'harness-tr')
    const seeder = await startTransmissionSeeder(ws.torrent, ws.src, join(ws.root, 'transmission'))
    await ltDownload(ws.torrent, ws.out, { peers: [seeder.address], timeoutSeconds: 90 })
    expect(await ws.compare()).toEqual([])
    await seeder.stop()
  })
})

describeWithClients('harness: libtorrent peers meet through opentracker', [hasLibtorrent(), hasOpentracker()], () => {
  it('a downloader with no --peer finds the seeder through the tracker', async () => {
    const port = await freePort()
    const urls = announceUrls(port)
    const ws = await makeWorkspace({ kind: 'single', name: 'tracked.bin', size: MiB + 77 }, 'libtorrent', 64 * KiB,
      'harness-tracker', [urls.http])
    const info = await ltTorrentInfo(ws.torrent)
    const tracker = await startOpentracker(join(ws.root, 'tracker'), [info.infoHash], port)
    await startLtSeeder(ws.torrent, ws.src)
    await ltDownload(ws.torrent, ws.out, { peers: [], timeoutSeconds: 60 })
    expect(await ws.compare()).toEqual([])
    // The watchdog ends opentracker (running as nobody) when asked to stop.
    await tracker.stop()
    expect(tracker.process.hasExited).toBe(true)
  })
})
