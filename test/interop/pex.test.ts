/**
 * Peer exchange (BEP 11, ut_pex) with libtorrent on 127.0.0.1.
 *
 * The swarm: B is a libtorrent seeder; A is a libtorrent leecher that dials B
 * and is held to ~1 KiB/s both ways, so it stays a leecher holding almost
 * nothing and can upload almost nothing. The downloader is given only A. It
 * can finish only by learning B from A's ut_pex message and fetching the data
 * from B.
 *
 * libtorrent 2.0 (src/ut_pex.cpp) sends its first ut_pex message, the full
 * list of peers it dialled or whose listen port it knows, on the first
 * one-second tick after the extended handshake once it has two or more
 * peers; later messages are diffs, once a minute. Measured on loopback: a
 * libtorrent downloader given only A connects to B within a second.
 */
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import { describeWithClients, hasLibtorrent, runCli, stopAll } from './helpers/clients.js'
import type { ManagedProcess } from './helpers/clients.js'
import { MiB, KiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import type { Workspace } from './helpers/fixtures.js'
import { ltPeerRecords, spawnLtMagnetPeer } from './helpers/lt-magnet.js'
import { startLtSeeder } from './helpers/lt-peer.js'
import type { LtSeeder } from './helpers/lt-peer.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})
afterAll(async () => {
  await stopAll()
  await removeWorkspaces()
})

/** A's rate limit both ways: far too slow to deliver the torrent within a test's time. */
const TRICKLE = 1 * KiB
const SIZE = 3 * MiB + 333

interface Swarm {
  ws: Workspace
  b: LtSeeder
  a: ManagedProcess
  aAddress: string
}

/** Starts seeder B and trickling leecher A (connected to B), and waits until A lists B as connected. */
async function startSwarm (seed: string): Promise<Swarm> {
  const ws = await makeWorkspace({ kind: 'single', name: `pex-${seed}.bin`, size: SIZE }, 'libtorrent', 64 * KiB, seed)
  const b = await startLtSeeder(ws.torrent, ws.src)
  const a = spawnLtMagnetPeer(ws.torrent, join(ws.root, 'a'), {
    peers: [b.address], uploadLimit: TRICKLE, downloadLimit: TRICKLE, keepRunning: true
  })
  const listening = await a.waitForJson((v) => v.event === 'listening', 20_000)
  await a.waitFor(() => ltPeerRecords(a).some((p) => p.address === b.address && p.connected) ? true : undefined,
    20_000, 'a connection from A to B')
  return { ws, b, a, aAddress: `127.0.0.1:${Number(listening.port)}` }
}

/** B's latest all-time upload in bytes, from lt_peer.py's state lines. */
function uploadedBy (seeder: LtSeeder): number {
  const states = seeder.process.json().filter((v) => v.event === 'state')
  return Number(states[states.length - 1]?.uploaded ?? 0)
}

describeWithClients('peer exchange (BEP 11) with libtorrent', [hasLibtorrent()], () => {
  it('harness: a libtorrent downloader given only A learns B through PEX and completes from it', async () => {
    const { ws, b, aAddress } = await startSwarm('lt')
    const c = spawnLtMagnetPeer(ws.torrent, ws.out, { peers: [aAddress], timeoutSeconds: 30 })
    const exit = await c.exited
    expect(exit.code, c.diagnostics()).toBe(0)
    const learnt = ltPeerRecords(c).filter((p) => p.address === b.address)
    expect(learnt.length, c.diagnostics()).toBeGreaterThan(0)
    expect(learnt.every((p) => p.sources.includes('pex')), c.diagnostics()).toBe(true)
    expect(await ws.compare()).toEqual([])
  })

  it('rxtorrent given only A learns B through PEX and downloads the data from B', async () => {
    const { ws, b, a, aAddress } = await startSwarm('rx')
    const uploadedBefore = uploadedBy(b)
    const started = Date.now()
    const result = await runCli(['download', ws.torrent, '--out', ws.out, '--peer', aAddress, '--quiet'],
      { timeoutMs: 45_000 })
    const seconds = (Date.now() - started) / 1000
    const why = `${result.diagnostics}\n${a.diagnostics()}\n${b.process.diagnostics()}`
    expect(result.code, why).toBe(0)
    expect(await ws.compare()).toEqual([])
    // A can have passed on at most TRICKLE bytes per second; the rest came from B.
    expect(SIZE - TRICKLE * (seconds + 5), 'A alone could not have delivered the torrent').toBeGreaterThan(0)
    await b.process.waitFor(() => uploadedBy(b) - uploadedBefore >= SIZE - TRICKLE * (seconds + 5) ? true : undefined,
      5_000, 'B reporting that it uploaded the torrent')
  })
})
