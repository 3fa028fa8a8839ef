/**
 * rxtorrent finds its peers through real trackers, with no `--peer`:
 * - `rxtorrent download` finds a libtorrent seeder through opentracker over
 *   HTTP and over UDP (BEP 15);
 * - a torrent whose first tier is dead (a closed port, HTTP or UDP) still
 *   completes through opentracker in its second tier (BEP 12);
 * - aria2 downloads from `rxtorrent seed` found through opentracker.
 *
 * Everything is on 127.0.0.1, with DHT, LSD, UPnP, NAT-PMP and PEX off in
 * every client. Transmission, which ignores tracker peers on loopback, is in
 * `netns.test.ts`. libtorrent clients meeting through `rxtorrent tracker`
 * are covered by `tracker.test.ts` and `tracker-server.test.ts`.
 */
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import { aria2Download } from './helpers/aria2-leecher.js'
import { closedPort, describeWithClients, freePort, hasAria2, hasLibtorrent, hasOpentracker, runCli, spawnCli, stopAll, waitForPort } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import type { Workspace } from './helpers/fixtures.js'
import { startLtSeeder } from './helpers/lt-peer.js'
import { announceUrls, startOpentracker } from './helpers/opentracker.js'

afterEach(async () => {
  await stopAll()
})

afterAll(async () => {
  await stopAll()
  await removeWorkspaces()
})

/** `rxtorrent info --json` of `ws`'s torrent: its info-hash (what opentracker must whitelist) and tiers. */
async function infoOf (ws: Workspace): Promise<{ infoHash: string, trackers: string[][] }> {
  const result = await runCli(['info', ws.torrent, '--json'], { timeoutMs: 30_000 })
  const record = result.json.find((r) => r.type === 'torrent')
  if (result.code !== 0 || record === undefined) throw new Error(`rxtorrent info failed: ${result.diagnostics}`)
  return record as unknown as { infoHash: string, trackers: string[][] }
}

/** Runs `rxtorrent download --json` with no peers and returns its JSON lines, asserting it completed. */
async function downloadThroughTrackers (ws: Workspace, extra: string): Promise<Array<Record<string, unknown>>> {
  const result = await runCli(['download', ws.torrent, '--out', ws.out, '--json'], { timeoutMs: 140_000 })
  expect(result.code, `${result.diagnostics}\n${extra}`).toBe(0)
  expect(result.json.some((r) => r.type === 'done'), result.diagnostics).toBe(true)
  expect(await ws.compare()).toEqual([])
  return result.json
}

describeWithClients('rxtorrent download finds a libtorrent seeder through opentracker', [hasLibtorrent(), hasOpentracker()], () => {
  for (const scheme of ['http', 'udp'] as const) {
    it(`over ${scheme === 'http' ? 'HTTP' : 'UDP (BEP 15)'}`, async () => {
      const port = await freePort()
      const url = announceUrls(port)[scheme]
      const ws = await makeWorkspace({ kind: 'single', name: `ot-${scheme}.bin`, size: 3 * MiB + 517 }, 'libtorrent', 64 * KiB,
        `rxtorrent-trackers-${scheme}`, [url])
      const tracker = await startOpentracker(join(ws.root, 'tracker'), [(await infoOf(ws)).infoHash], port)
      const seeder = await startLtSeeder(ws.torrent, ws.src)
      const records = await downloadThroughTrackers(ws, `${seeder.process.diagnostics()}\n${tracker.process.diagnostics()}`)
      expect(records.filter((r) => r.type === 'warning' && String(r.message).includes('tracker'))).toEqual([])
    })
  }
})

describeWithClients('a dead first tier falls through to opentracker in the second (BEP 12)', [hasLibtorrent(), hasOpentracker()], () => {
  for (const scheme of ['http', 'udp'] as const) {
    it(`first tier ${scheme}:// on a closed port`, async () => {
      const port = await freePort()
      const dead = announceUrls(await closedPort())[scheme]
      // One tier per --announce: [[dead], [opentracker]]. A closed TCP port refuses at once; a
      // closed UDP port answers with ICMP port-unreachable, which rxtorrent's UDP client sees
      // (each request runs on a connected socket), so that tier fails at once too.
      const ws = await makeWorkspace({ kind: 'single', name: `tiers-${scheme}.bin`, size: 2 * MiB + 33 }, 'rxtorrent', 32 * KiB,
        `rxtorrent-tiers-${scheme}`, [dead, announceUrls(port).http])
      const info = await infoOf(ws)
      expect(info.trackers).toEqual([[dead], [announceUrls(port).http]])
      const tracker = await startOpentracker(join(ws.root, 'tracker'), [info.infoHash], port)
      const seeder = await startLtSeeder(ws.torrent, ws.src)
      const records = await downloadThroughTrackers(ws, `${seeder.process.diagnostics()}\n${tracker.process.diagnostics()}`)
      // The dead tracker was tried and reported, and did not stop the download.
      expect(records.some((r) => r.type === 'warning' && String(r.message).includes(dead)), JSON.stringify(records.filter((r) => r.type === 'warning'))).toBe(true)
    })
  }
})

describeWithClients('aria2 downloads from rxtorrent seed found through opentracker', [hasAria2(), hasOpentracker()], () => {
  it('HTTP announce, single file, torrent by rxtorrent create', async () => {
    const port = await freePort()
    const ws = await makeWorkspace({ kind: 'single', name: 'to-aria2.bin', size: 3 * MiB + 1001 }, 'rxtorrent', 64 * KiB,
      'rxtorrent-trackers-aria2', [announceUrls(port).http])
    const tracker = await startOpentracker(join(ws.root, 'tracker'), [(await infoOf(ws)).infoHash], port)
    // aria2 takes tracker peers on 127.0.0.1 (it dials the seed, and itself). It first tries an
    // MSE handshake, which rxtorrent drops, then retries in plaintext. Mid-download it replaces
    // a batch of 20+ HAVEs with a second BITFIELD (HAVE ALL once complete), which rxtorrent
    // treats as a protocol error and disconnects; aria2 dials again after its next announce
    // (every 5 s here), so the download finishes, a few reconnections later.
    const seedPort = await freePort()
    const seed = spawnCli(['seed', ws.torrent, '--data', ws.src, '--port', String(seedPort), '--host', '127.0.0.1'])
    await waitForPort(seedPort, 60_000, seed)
    try {
      await aria2Download(ws.torrent, ws.out, { port: await freePort(), udpPort: await freePort(), timeoutMs: 90_000 })
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${seed.diagnostics()}\n${tracker.process.diagnostics()}`)
    }
    expect(await ws.compare()).toEqual([])
    expect(seed.hasExited, 'rxtorrent seed keeps running').toBe(false)
  })
})
