/**
 * Transmission downloads from `rxtorrent seed` found through opentracker.
 *
 * Transmission drops tracker peers in 127.0.0.0/8, so this swarm lives in a
 * network namespace made for the test (`helpers/netns.ts`): its loopback
 * holds 127.0.0.1, 198.18.0.1 and 198.18.0.2. opentracker and
 * `rxtorrent seed` run inside it on 198.18.0.1: a connection to one of the
 * namespace's own addresses has that address as its source, so the seed's
 * announce reaches opentracker from 198.18.0.1 and opentracker hands out
 * 198.18.0.1:<seed port>. transmission-cli runs inside it on 198.18.0.2,
 * because Transmission keeps one peer per IP address and would otherwise
 * mistake the seed for itself. Nothing inside can reach the host's network.
 * DHT, LPD, PEX, uTP and port mapping are off in Transmission.
 *
 * Needs root (CAP_SYS_ADMIN) and iproute2: without them the suite is
 * skipped with the reason printed, or fails under RXTORRENT_REQUIRE_INTEROP=1.
 */
import { join, resolve } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import { REPO_ROOT, describeWithClients, hasOpentracker, hasTransmission, stopAll } from './helpers/clients.js'
import type { ManagedProcess } from './helpers/clients.js'
import { MiB, KiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import type { Workspace } from './helpers/fixtures.js'
import { NETNS_ADDRESSES, createNetns, hasNetns, startOpentrackerIn } from './helpers/netns.js'
import type { Netns } from './helpers/netns.js'
import { spawnTransmissionLeecher, waitForTransmissionSeeding } from './helpers/transmission-leecher.js'

const CLI = resolve(REPO_ROOT, 'bin/rxtorrent.js')
// The namespace is empty: fixed ports cannot collide with anything.
const TRACKER_PORT = 6969
const SEED_PORT = 6881
const TRANSMISSION_PORT = 51413

let ns: Netns | undefined

async function teardown (): Promise<void> {
  const current = ns
  ns = undefined
  await current?.destroy()
  await stopAll()
}

afterEach(teardown)

afterAll(async () => {
  await teardown()
  await removeWorkspaces()
})

/** Runs `rxtorrent <args>` inside `netns` to completion. */
async function cliIn (netns: Netns, args: readonly string[]): Promise<ManagedProcess> {
  const proc = netns.spawn(process.execPath, [CLI, ...args], { label: `rxtorrent ${args[0] ?? ''} (netns)` })
  await proc.exited
  return proc
}

/** Polls `rxtorrent scrape` inside `netns` until the tracker counts one seeder. */
async function waitForSeederCount (netns: Netns, ws: Workspace, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    const proc = await cliIn(netns, ['scrape', ws.torrent, '--json', '--timeout', '5'])
    const record = proc.json()[0] as { trackers?: Array<{ seeders?: number }> } | undefined
    if ((record?.trackers?.[0]?.seeders ?? 0) >= 1) return
    last = proc.diagnostics()
    if (Date.now() > deadline) throw new Error(`opentracker never counted the rxtorrent seed\n${last}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

describeWithClients('Transmission downloads from rxtorrent seed found through opentracker (network namespace)',
  [hasNetns(), hasTransmission(), hasOpentracker()], () => {
    it(`single file, tracker and seed on ${NETNS_ADDRESSES[0] ?? ''}, Transmission on ${NETNS_ADDRESSES[1] ?? ''}`, async () => {
      const netns = ns = await createNetns(NETNS_ADDRESSES)
      const [seedHost = '', leecherHost = ''] = netns.addresses
      const announce = `http://${seedHost}:${TRACKER_PORT}/announce`
      const ws = await makeWorkspace({ kind: 'single', name: 'to-transmission.bin', size: 3 * MiB + 2049 }, 'rxtorrent', 64 * KiB,
        'netns-transmission', [announce])
      const info = await cliIn(netns, ['info', ws.torrent, '--json'])
      const infoHash = String(info.json().find((r) => r.type === 'torrent')?.infoHash)
      expect(infoHash, info.diagnostics()).toMatch(/^[0-9a-f]{40}$/)
      const tracker = await startOpentrackerIn(netns, join(ws.root, 'tracker'), [infoHash], seedHost, TRACKER_PORT)

      const seed = netns.spawn(process.execPath, [CLI, 'seed', ws.torrent, '--data', ws.src,
        '--port', String(SEED_PORT), '--host', seedHost], { label: 'rxtorrent seed (netns)' })
      await netns.waitForPort(seedHost, SEED_PORT, 60_000, seed)
      // Transmission announces once at start and then only at opentracker's interval (minutes):
      // the seed must be known to the tracker before Transmission asks.
      await waitForSeederCount(netns, ws, 20_000)

      const leecher = await spawnTransmissionLeecher(ws.torrent, ws.out, join(ws.root, 'transmission'), {
        port: TRANSMISSION_PORT,
        bindAddress: leecherHost,
        spawn: netns.spawn
      })
      try {
        await waitForTransmissionSeeding(leecher, 90_000)
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${seed.diagnostics()}\n${tracker.process.diagnostics()}`)
      }
      // Transmission writes the last blocks before it reports "Seeding"; stop it so everything is flushed.
      await leecher.stop(5000, 'SIGINT')
      expect(await ws.compare()).toEqual([])
      expect(seed.hasExited, 'rxtorrent seed keeps running').toBe(false)
    })
  })
