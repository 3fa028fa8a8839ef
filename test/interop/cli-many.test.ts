/**
 * The CLI's several-torrent commands against libtorrent: `rxtorrent seed a b
 * --data DIR` serves two torrents on one port to two libtorrent downloaders
 * at once; `rxtorrent download a.torrent "magnet:?…" --out DIR` fetches a
 * torrent and a magnet link from two libtorrent seeders in one command.
 */
import { cp, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { parseTorrentFile } from '../../pipelines/index.js'
import { describeWithClients, freePort, hasLibtorrent, runCli, spawnCli, stopAll } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, removeWorkspaces, type Workspace } from './helpers/fixtures.js'
import { ltDownload, startLtSeeder } from './helpers/lt-peer.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})

async function twoWorkspaces (tag: string): Promise<Workspace[]> {
  return await Promise.all([
    makeWorkspace({ kind: 'single', name: `${tag}-one.bin`, size: 3 * MiB + 17 }, 'libtorrent', 64 * KiB, `${tag}-1`),
    makeWorkspace({ kind: 'multi', name: `${tag}-two`, files: [{ path: 'a/x.bin', size: 900 * KiB + 5 }, { path: 'y.bin', size: 2 * MiB + 3 }] }, 'rxtorrent', 64 * KiB, `${tag}-2`)
  ])
}

describeWithClients('the several-torrent CLI against libtorrent', [hasLibtorrent()], () => {
  it('rxtorrent seed a b --data DIR: two libtorrent downloaders, one port', { timeout: 120_000 }, async () => {
    const [one, two] = await twoWorkspaces('cli-seed') as [Workspace, Workspace]
    // Both torrents' data under one --data folder.
    const data = join(one.root, 'data')
    await mkdir(data, { recursive: true })
    for (const ws of [one, two]) await cp(join(ws.src, ws.layout.name), join(data, ws.layout.name), { recursive: true })
    const port = await freePort()
    const seed = spawnCli(['seed', one.torrent, two.torrent, '--data', data, '--port', String(port), '--host', '127.0.0.1', '--state', join(one.root, 'state'), '--json'])
    await seed.waitFor(() => seed.json().filter((r) => r.type === 'listening').length === 2 ? true : undefined, 60_000, 'two listening records')
    expect(new Set(seed.json().filter((r) => r.type === 'listening').map((r) => r.address))).toEqual(new Set([`127.0.0.1:${port}`]))
    await Promise.all([one, two].map(async (ws) => await ltDownload(ws.torrent, ws.out, { peers: [`127.0.0.1:${port}`], timeoutSeconds: 90 })))
    for (const ws of [one, two]) expect(await ws.compare()).toEqual([])
    expect(seed.hasExited).toBe(false)
    seed.kill('SIGTERM')
    expect((await seed.exited).code).toBe(0)
  })

  it('rxtorrent download a.torrent "magnet:?…" --out DIR: two libtorrent seeders, one command', { timeout: 120_000 }, async () => {
    const [one, two] = await twoWorkspaces('cli-dl') as [Workspace, Workspace]
    const seeders = await Promise.all([one, two].map(async (ws) => await startLtSeeder(ws.torrent, ws.src)))
    const out = join(one.root, 'both')
    // The second as a magnet link whose x.pe names its seeder: the metadata comes from libtorrent.
    const hash = parseTorrentFile(await readFile(two.torrent)).infoHashHex
    const magnet = `magnet:?xt=urn:btih:${hash}&x.pe=${seeders[1]?.address ?? ''}`
    const r = await runCli(['download', one.torrent, magnet, '--out', out, '--peer', seeders[0]?.address ?? '', '--json', '--no-state'], { timeoutMs: 100_000 })
    expect(r.code, r.diagnostics).toBe(0)
    for (const ws of [one, two]) expect(await ws.compare(out)).toEqual([])
    const done = r.json.filter((x) => x.type === 'done').map((x) => x.name)
    expect(new Set(done)).toEqual(new Set([one.layout.name, two.layout.name]))
  })
})
