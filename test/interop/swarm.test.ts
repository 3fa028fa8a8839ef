/**
 * rxtorrent's CLI downloads one torrent from three different seeders at
 * once — libtorrent, Transmission and aria2 on 127.0.0.1 — each held to an
 * upload limit so that none can serve the whole torrent before the others
 * join (Transmission unchokes only on its 10-second rechoke timer). The files
 * must come out identical and, by the `peerStats` of the `--json` progress
 * lines, every seeder must have delivered payload.
 *
 * The Transmission and aria2 helpers start their seeders without limits, so
 * this file starts its own, limited, from the helpers' settings and flags.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { aria2SeedArgs } from './helpers/aria2.js'
import type { Aria2Seeder } from './helpers/aria2.js'
import {
  ManagedProcess, describeWithClients, freePort, hasAria2, hasLibtorrent, hasTransmission, runCli, stopAll, waitForPort
} from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import { startLtSeeder } from './helpers/lt-peer.js'
import { transmissionSettings } from './helpers/transmission.js'
import type { TransmissionSeeder } from './helpers/transmission.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})

/** Each seeder's upload limit, in KiB/s (Transmission counts kB as 1000 bytes; the difference does not matter here). */
const LIMIT_KIB = 256

/** transmission-cli seeding `torrent` with its upload limit set to `limitKB` (settings.json and `-u`). */
async function startLimitedTransmission (torrent: string, dataDir: string, configDir: string, limitKB: number): Promise<TransmissionSeeder> {
  const port = await freePort()
  await mkdir(configDir, { recursive: true })
  const settings = { ...transmissionSettings(port, dataDir), 'speed-limit-up-enabled': true, 'speed-limit-up': limitKB }
  await writeFile(join(configDir, 'settings.json'), JSON.stringify(settings, null, 2))
  const cliArgs = ['-g', configDir, '-w', dataDir, '-p', String(port), '-et', '-D', '-u', String(limitKB), '-M', '-B', torrent]
  // stdbuf makes the "Seeding" status line visible while transmission-cli writes to a pipe.
  const proc = new ManagedProcess('stdbuf', ['-o0', '-e0', 'transmission-cli', ...cliArgs], { label: 'transmission-cli (limited)', cwd: configDir })
  await proc.waitFor(() => proc.lines.some((line) => line.trim().startsWith('Seeding')) ? true : undefined, 60_000,
    'the "Seeding" status')
  await waitForPort(port, 60_000, proc)
  return { process: proc, port, address: `127.0.0.1:${port}`, stop: async () => { await proc.stop(3000, 'SIGINT') } }
}

/** aria2c seeding `torrent` with `--max-upload-limit` (the torrent stays the last argument). */
async function startLimitedAria2 (torrent: string, dataDir: string, limitKiB: number): Promise<Aria2Seeder> {
  const port = await freePort()
  const args = aria2SeedArgs(torrent, dataDir, port).filter((a) => a !== torrent)
  args.push(`--max-upload-limit=${limitKiB}K`, torrent)
  const proc = new ManagedProcess('aria2c', args, { label: 'aria2c (limited)', cwd: dataDir })
  await proc.waitFor(() => proc.lines.some((line) => /SEED\(/.test(line)) ? true : undefined, 60_000, 'the SEED summary')
  await waitForPort(port, 60_000, proc)
  return { process: proc, port, address: `127.0.0.1:${port}`, stop: async () => { await proc.stop(3000, 'SIGINT') } }
}

/** The largest `downloaded` each peer address reached over all progress lines (peers may leave before the end). */
function deliveredByAddress (json: ReadonlyArray<Record<string, unknown>>): Map<string, { downloaded: number, client: string }> {
  const best = new Map<string, { downloaded: number, client: string }>()
  for (const line of json) {
    if (line.type !== 'progress' || !Array.isArray(line.peerStats)) continue
    for (const stat of line.peerStats as Array<Record<string, unknown>>) {
      const address = String(stat.address)
      const downloaded = Number(stat.downloaded)
      const seen = best.get(address)
      if (seen === undefined || downloaded > seen.downloaded) best.set(address, { downloaded, client: String(stat.client) })
    }
  }
  return best
}

describeWithClients('rxtorrent downloads from libtorrent, Transmission and aria2 seeders at once (TCP)',
  [hasLibtorrent(), hasTransmission(), hasAria2()], () => {
    it('takes payload from all three and assembles an identical file', async () => {
      // 16 MiB at 256 KiB/s per seeder outlasts Transmission's first rechoke
      // (10 s) by far, so blocks are left for it when it unchokes. (With
      // 8 MiB and a fixed queue of 250 requests per peer, the two other
      // seeders once held every block before Transmission unchoked, leaving
      // it endgame duplicates that lose the race with the cancels.)
      const ws = await makeWorkspace({ kind: 'single', name: 'swarm.bin', size: 16 * MiB }, 'libtorrent', 256 * KiB, 'swarm')
      const [lt, tr, aria2] = await Promise.all([
        startLtSeeder(ws.torrent, ws.src, { uploadLimit: LIMIT_KIB * KiB }),
        startLimitedTransmission(ws.torrent, ws.src, join(ws.root, 'transmission'), LIMIT_KIB),
        startLimitedAria2(ws.torrent, ws.src, LIMIT_KIB)
      ])
      const seeders = [{ name: 'libtorrent', s: lt }, { name: 'Transmission', s: tr }, { name: 'aria2', s: aria2 }]
      expect(new Set(seeders.map(({ s }) => s.address)).size).toBe(3)

      const result = await runCli(['download', ws.torrent, '--out', ws.out,
        '--peer', lt.address, '--peer', tr.address, '--peer', aria2.address, '--json'], { timeoutMs: 60_000 })
      expect(result.code, result.diagnostics).toBe(0)
      expect(await ws.compare()).toEqual([])

      const delivered = deliveredByAddress(result.json)
      const summary = [...delivered].map(([a, d]) => `${a} ${d.client}: ${d.downloaded}`).join('; ')
      for (const { name, s } of seeders) {
        expect(delivered.get(s.address)?.downloaded ?? 0, `${name} at ${s.address} delivered nothing (${summary})`)
          .toBeGreaterThan(0)
        // The client name rxtorrent read from the peer id names the right program.
        expect(delivered.get(s.address)?.client.toLowerCase()).toContain(name.toLowerCase())
      }
      await Promise.all([tr.stop(), aria2.stop()])
    })
  })
