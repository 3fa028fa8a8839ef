/**
 * Magnet links and the metadata exchange (BEP 9, ut_metadata) against real
 * clients on 127.0.0.1: rxtorrent fetches the info dictionary from a
 * libtorrent or Transmission seeder and then the data; libtorrent fetches it
 * from `rxtorrent seed` given only a magnet link; and a private torrent's
 * metadata is not handed out. Each rxtorrent case is preceded by the same
 * exchange between the real clients alone, so a failure points at one side.
 */
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import {
  describeWithClients, freePort, hasLibtorrent, hasTransmission, runCli, spawnCli, stopAll, waitForPort
} from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, mixedTree, removeWorkspaces } from './helpers/fixtures.js'
import type { Workspace } from './helpers/fixtures.js'
import {
  ltCreateTorrentWithFlags, ltMagnetFetch, ltMetadataEvent, ltPeerRecords, magnetUri, spawnLtMagnetPeer
} from './helpers/lt-magnet.js'
import { ltTorrentInfo, startLtSeeder } from './helpers/lt-peer.js'
import { startTransmissionSeeder } from './helpers/transmission.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})
afterAll(async () => {
  await stopAll()
  await removeWorkspaces()
})

/** A workspace plus the info-hash libtorrent computes for its .torrent. */
async function workspace (multi: boolean, seed: string): Promise<{ ws: Workspace, infoHash: string }> {
  const ws = multi
    ? await makeWorkspace({ kind: 'multi', name: `magnet-tree-${seed}`, files: mixedTree(0.5) }, 'libtorrent', 32 * KiB, seed)
    : await makeWorkspace({ kind: 'single', name: `magnet-${seed}.bin`, size: 2 * MiB + 777 }, 'libtorrent', 64 * KiB, seed)
  const info = await ltTorrentInfo(ws.torrent)
  return { ws, infoHash: info.infoHash }
}

/** Runs `rxtorrent download <magnet>` and checks it exits 0 with the data identical to the source. */
async function rxDownloadMagnet (ws: Workspace, magnet: string, extra: readonly string[] = []): Promise<void> {
  const result = await runCli(['download', magnet, '--out', ws.out, '--quiet', ...extra], { timeoutMs: 60_000 })
  expect(result.code, result.diagnostics).toBe(0)
  expect(await ws.compare()).toEqual([])
}

describeWithClients('magnet links against libtorrent (BEP 9)', [hasLibtorrent()], () => {
  it('harness: libtorrent fetches metadata and data from a libtorrent seeder by magnet', async () => {
    const { ws, infoHash } = await workspace(true, 'lt-lt')
    const seeder = await startLtSeeder(ws.torrent, ws.src)
    const saved = join(ws.root, 'fetched.torrent')
    const proc = await ltMagnetFetch(magnetUri(infoHash), ws.out, { peers: [seeder.address], saveTorrent: saved })
    expect(ltMetadataEvent(proc)?.infoHash).toBe(infoHash)
    expect((await ltTorrentInfo(saved)).infoHash).toBe(infoHash)
    expect(await ws.compare()).toEqual([])
  })

  it('harness: libtorrent does not hand out a private torrent\'s metadata', async () => {
    const { ws } = await workspace(false, 'lt-private')
    const priv = join(ws.root, 'private.torrent')
    await ltCreateTorrentWithFlags(join(ws.src, ws.layout.name), priv, 64 * KiB, true)
    const privHash = (await ltTorrentInfo(priv)).infoHash
    const seeder = await startLtSeeder(priv, ws.src)
    const proc = spawnLtMagnetPeer(magnetUri(privHash), ws.out, { peers: [seeder.address], timeoutSeconds: 4 })
    const exit = await proc.exited
    expect(exit.code, proc.diagnostics()).toBe(3)
    expect(ltMetadataEvent(proc), proc.diagnostics()).toBeUndefined()
    expect(ltPeerRecords(proc).some((p) => p.address === seeder.address && p.connected), proc.diagnostics()).toBe(true)
  })

  it('rxtorrent downloads a magnet link whose x.pe names a libtorrent seeder', async () => {
    const { ws, infoHash } = await workspace(false, 'rx-xpe')
    const seeder = await startLtSeeder(ws.torrent, ws.src)
    await rxDownloadMagnet(ws, magnetUri(infoHash, ws.layout.name, [seeder.address]))
  })

  it('rxtorrent downloads a multi-file magnet link (no name, no x.pe) from a --peer', async () => {
    const { ws, infoHash } = await workspace(true, 'rx-peer')
    const seeder = await startLtSeeder(ws.torrent, ws.src)
    await rxDownloadMagnet(ws, magnetUri(infoHash), ['--peer', seeder.address])
  })

  it('rxtorrent info --fetch saves a .torrent whose info-hash is the magnet\'s', async () => {
    const { ws, infoHash } = await workspace(true, 'rx-info')
    const seeder = await startLtSeeder(ws.torrent, ws.src)
    const saved = join(ws.root, 'x.torrent')
    const result = await runCli(['info', magnetUri(infoHash), '--fetch', '--peer', seeder.address, '-o', saved, '--json'],
      { timeoutMs: 30_000 })
    expect(result.code, result.diagnostics).toBe(0)
    expect(result.stdout.toLowerCase()).toContain(infoHash)
    const original = await ltTorrentInfo(ws.torrent)
    const fetched = await ltTorrentInfo(saved)
    expect(fetched.infoHash).toBe(infoHash)
    expect(fetched.files).toEqual(original.files)
    expect(fetched.pieceCount).toBe(original.pieceCount)
  })

  it('libtorrent given only a magnet link fetches metadata and data from rxtorrent seed', async () => {
    const { ws, infoHash } = await workspace(true, 'rx-seed')
    const port = await freePort()
    const seed = spawnCli(['seed', ws.torrent, '--data', ws.src, '--port', String(port), '--host', '127.0.0.1'])
    await waitForPort(port, 30_000, seed)
    const saved = join(ws.root, 'from-rx.torrent')
    let proc
    try {
      proc = await ltMagnetFetch(magnetUri(infoHash), ws.out, { peers: [`127.0.0.1:${port}`], saveTorrent: saved })
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${seed.diagnostics()}`)
    }
    expect(ltMetadataEvent(proc)?.infoHash).toBe(infoHash)
    expect((await ltTorrentInfo(saved)).infoHash).toBe(infoHash)
    expect(await ws.compare()).toEqual([])
    expect(seed.hasExited, 'rxtorrent seed keeps running').toBe(false)
  })

  it('rxtorrent seed does not hand out a private torrent\'s metadata', async () => {
    const { ws } = await workspace(false, 'rx-private')
    const priv = join(ws.root, 'private.torrent')
    await ltCreateTorrentWithFlags(join(ws.src, ws.layout.name), priv, 64 * KiB, true)
    const privHash = (await ltTorrentInfo(priv)).infoHash
    const port = await freePort()
    const seed = spawnCli(['seed', priv, '--data', ws.src, '--port', String(port), '--host', '127.0.0.1'])
    await waitForPort(port, 30_000, seed)
    const address = `127.0.0.1:${port}`
    const proc = spawnLtMagnetPeer(magnetUri(privHash), ws.out, { peers: [address], timeoutSeconds: 4 })
    const exit = await proc.exited
    const why = `${proc.diagnostics()}\n${seed.diagnostics()}`
    expect(exit.code, why).toBe(3)
    expect(ltMetadataEvent(proc), why).toBeUndefined()
    // The refusal is the missing metadata, not a refused connection.
    expect(ltPeerRecords(proc).some((p) => p.address === address && p.connected), why).toBe(true)
  })
})

describeWithClients('magnet links against Transmission (BEP 9)', [hasLibtorrent(), hasTransmission()], () => {
  it('harness: Transmission serves a seeded torrent\'s metadata to libtorrent', async () => {
    const { ws, infoHash } = await workspace(false, 'tr-lt')
    const seeder = await startTransmissionSeeder(ws.torrent, ws.src, join(ws.root, 'tr-config'))
    const proc = await ltMagnetFetch(magnetUri(infoHash), ws.out, { peers: [seeder.address], timeoutSeconds: 40 })
    expect(ltMetadataEvent(proc)?.infoHash).toBe(infoHash)
    expect(await ws.compare()).toEqual([])
  })

  it('rxtorrent downloads a magnet link from a Transmission seeder', async () => {
    const { ws, infoHash } = await workspace(false, 'rx-tr')
    const seeder = await startTransmissionSeeder(ws.torrent, ws.src, join(ws.root, 'tr-config'))
    await rxDownloadMagnet(ws, magnetUri(infoHash, ws.layout.name, [seeder.address]))
  })
})
