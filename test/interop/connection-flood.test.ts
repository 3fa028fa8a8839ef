/**
 * Connection exhaustion (issue 11, ADVERSARIAL L85's neighbour on the peer
 * port): one host (127.0.0.2) keeps 60 idle TCP sockets open to
 * `rxtorrent seed`, reopening each as soon as it is closed, while libtorrent
 * downloads from 127.0.0.1. The flooded download must finish within twice
 * the time the same download takes without the flood, measured in the same
 * test against the same seeder.
 */
import { connect, type Socket } from 'node:net'
import { afterEach, expect, it } from 'vitest'
import { describeWithClients, freePort, hasLibtorrent, spawnCli, stopAll, waitForPort } from './helpers/clients.js'
import { MiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import { spawnLtPeer } from './helpers/lt-peer.js'
import { describeExit } from './helpers/processes.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})

/** The flooding host: every 127/8 address is local on Linux loopback. */
const FLOOD_HOST = '127.0.0.2'
const FLOOD_SOCKETS = 60

interface Flood {
  /** Connections the seeder's kernel accepted so far. */
  readonly connects: () => number
  /** Resolves once `n` connections have been made. */
  readonly reached: (n: number) => Promise<void>
  readonly stop: () => void
}

/** `count` sockets from `FLOOD_HOST` that never send a byte, each reopened when closed. */
function flood (port: number, count: number): Flood {
  let running = true
  let connects = 0
  const sockets = new Set<Socket>()
  const waiters: Array<{ n: number, resolve: () => void }> = []
  const open = (): void => {
    if (!running) return
    const s = connect({ host: '127.0.0.1', port, localAddress: FLOOD_HOST })
    sockets.add(s)
    s.on('connect', () => {
      connects++
      for (const w of waiters.filter((w) => connects >= w.n)) { waiters.splice(waiters.indexOf(w), 1); w.resolve() }
    })
    s.on('error', () => {})
    s.on('close', () => { sockets.delete(s); open() })
  }
  for (let i = 0; i < count; i++) open()
  return {
    connects: () => connects,
    reached: async (n) => { if (connects < n) await new Promise<void>((resolve) => { waiters.push({ n, resolve }) }) },
    stop: () => { running = false; for (const s of sockets) s.destroy() }
  }
}

/** libtorrent's own measure of one download (from leaving the check to having every piece), in seconds. */
async function ltDownloadSeconds (torrent: string, out: string, peer: string, timeoutSeconds: number): Promise<number> {
  const proc = spawnLtPeer('bench', torrent, out, { peers: [peer], timeoutSeconds })
  const exit = await proc.exited
  const bench = proc.json().find((v) => v.event === 'bench')
  if (exit.code !== 0 || bench === undefined) throw new Error(`libtorrent download did not finish (${describeExit(exit)})\n${proc.diagnostics()}`)
  return Number(bench.seconds)
}

describeWithClients('rxtorrent seed under a connection flood from one host', [hasLibtorrent()], () => {
  it('60 idle sockets reopened in a loop from 127.0.0.2: libtorrent on 127.0.0.1 still downloads within 2x its normal time', async () => {
    const size = 64 * MiB
    const ws = await makeWorkspace({ kind: 'single', name: 'flooded.bin', size }, 'rxtorrent', 256 * 1024, 'connection-flood')
    const port = await freePort()
    const seed = spawnCli(['seed', ws.torrent, '--data', ws.src, '--port', String(port), '--host', '127.0.0.1'])
    await waitForPort(port, 60_000, seed)
    const peer = `127.0.0.1:${port}`

    let run = 0
    /** One libtorrent download into a fresh folder, checked byte for byte; its time in seconds. */
    const download = async (timeoutSeconds: number): Promise<number> => {
      const out = `${ws.out}/${++run}`
      const seconds = await ltDownloadSeconds(ws.torrent, out, peer, timeoutSeconds)
      expect(await ws.compare(out)).toEqual([])
      return seconds
    }
    /** A download under the flood, after every flood socket has connected once. */
    const floodedDownload = async (normal: number): Promise<number> => {
      const f = flood(port, FLOOD_SOCKETS)
      try {
        await f.reached(FLOOD_SOCKETS)
        // Before the fix the honest download never started under the flood: give up well past 2x.
        return await download(Math.max(20, Math.ceil(4 * normal)))
      } catch (err) {
        throw new Error(`${(err as Error).message}\nnormal time ${normal.toFixed(2)} s; flood connections: ${f.connects()}\n${seed.diagnostics()}`)
      } finally {
        f.stop()
      }
    }

    // The machine is shared (other tests, other processes): a pair of runs
    // is repeated once when the flooded one is over 2x, and the best of each
    // kind is compared; the factor stays 2.
    const normals = [await download(40)]
    const floods = [await floodedDownload(normals[0] as number)]
    if (Math.min(...floods) > 2 * Math.min(...normals)) {
      normals.push(await download(40))
      floods.push(await floodedDownload(Math.min(...normals)))
    }
    const normal = Math.min(...normals)
    const flooded = Math.min(...floods)
    console.log(`[connection-flood] ${size / MiB} MiB: normal ${normals.map((n) => n.toFixed(2)).join(', ')} s; flooded ${floods.map((n) => n.toFixed(2)).join(', ')} s`)
    expect(flooded).toBeLessThanOrEqual(2 * normal)
    expect(seed.hasExited, 'rxtorrent seed keeps running under the flood').toBe(false)
  })
})
