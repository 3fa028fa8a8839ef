/**
 * Seeding as aria2 and Transmission users expect, against a real libtorrent
 * leecher: `seed --json` reports peers and bytes uploaded, `--upload-limit`
 * holds the rate down, and `--seed-ratio 1` (on `seed` and on
 * `download --seed`) stops seeding with exit 0 once one torrent size has been
 * uploaded.
 */
import { afterEach, expect, it } from 'vitest'
import { describeWithClients, freePort, hasLibtorrent, spawnCli, stopAll, type ManagedProcess } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import { ltDownload } from './helpers/lt-peer.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})

const SIZE = 3 * MiB + 4321

/** Waits for the process to exit by itself (the seeding limit), at most `ms`. */
async function exitsWithin (proc: ManagedProcess, ms: number): Promise<number | null> {
  const timer = new Promise<'timeout'>((resolve) => { setTimeout(() => { resolve('timeout') }, ms).unref() })
  const result = await Promise.race([proc.exited, timer])
  if (result === 'timeout') throw new Error(`${proc.label} did not stop by itself within ${ms} ms\n${proc.diagnostics()}`)
  return result.code
}

describeWithClients('seeding limits against a libtorrent leecher', [hasLibtorrent()], () => {
  it('seed --json --upload-limit 512k --seed-ratio 1: progress shows peers and uploaded bytes, then exit 0', { timeout: 60_000 }, async () => {
    const ws = await makeWorkspace({ kind: 'single', name: 'ratio.bin', size: SIZE }, 'rxtorrent', 64 * KiB, 'seed-ratio')
    const port = await freePort()
    const seed = spawnCli(['seed', ws.torrent, '--data', ws.src, '--port', String(port), '--host', '127.0.0.1', '--json', '--upload-limit', '512k', '--seed-ratio', '1'])
    await seed.waitForJson((r) => r.type === 'listening', 30_000)
    await ltDownload(ws.torrent, ws.out, { peers: [`127.0.0.1:${port}`], timeoutSeconds: 40 })
    expect(await exitsWithin(seed, 10_000)).toBe(0)
    expect(await ws.compare()).toEqual([])

    const progress = seed.json().filter((r) => r.type === 'progress') as Array<{ uploaded: number, uploadRate: number, peers: number, elapsedMs: number }>
    // At 512 KiB/s the 3 MiB take about six seconds (unlimited: well under one): the
    // progress lines show the leecher and the bytes going out, second by second.
    const sending = progress.filter((r) => r.peers >= 1 && r.uploaded > 0 && r.uploaded < SIZE)
    expect(sending.length, JSON.stringify(progress)).toBeGreaterThanOrEqual(3)
    expect(sending.every((r) => r.uploadRate > 0), JSON.stringify(sending)).toBe(true)
    const allSent = progress.find((r) => r.uploaded >= SIZE)
    expect(allSent?.elapsedMs, JSON.stringify(progress)).toBeGreaterThanOrEqual(4000)
    const done = seed.json().find((r) => r.type === 'done') as { uploaded: number, stopped?: string } | undefined
    expect(done?.uploaded).toBeGreaterThanOrEqual(SIZE)
    // Blocks leave in batches of up to 128 KiB (and a request the leecher cancels late is still sent), so the
    // count may pass one torrent size by a batch before the ratio is seen.
    expect(done?.stopped).toMatch(/^seed ratio 1 reached: uploaded 3\.[01] MiB for 3\.0 MiB \(ratio 1\.0[0-5]\)$/)
  })

  it('download --seed --seed-ratio 1 exits 0 once it has uploaded one torrent size', { timeout: 60_000 }, async () => {
    const ws = await makeWorkspace({ kind: 'single', name: 'ratio2.bin', size: SIZE }, 'rxtorrent', 64 * KiB, 'download-seed-ratio')
    const port = await freePort()
    // The data is already in --out: the download completes at the check and seeds.
    const dl = spawnCli(['download', ws.torrent, '--out', ws.src, '--port', String(port), '--host', '127.0.0.1', '--seed', '--seed-ratio', '1', '--json'])
    await dl.waitForJson((r) => r.type === 'progress' && r.state === 'seeding', 30_000)
    await ltDownload(ws.torrent, ws.out, { peers: [`127.0.0.1:${port}`], timeoutSeconds: 40 })
    expect(await exitsWithin(dl, 10_000)).toBe(0)
    expect(await ws.compare()).toEqual([])
    const done = dl.json().find((r) => r.type === 'done') as { uploaded: number } | undefined
    expect(done?.uploaded).toBeGreaterThanOrEqual(SIZE)
  })
})
