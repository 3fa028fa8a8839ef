/**
 * `rxtorrent download` exits promptly once complete (issue 11 item 4): a
 * torrent whose only tracker refuses connections (HTTP on a closed TCP port,
 * UDP on a closed port, which answers with ICMP port unreachable) exits
 * within 0.2 s of the last progress line reporting every piece; a live
 * tracker that answers slowly (500 ms) is waited for and hears `completed`
 * before the process exits.
 *
 * Only rxtorrent runs here (`rxtorrent seed` as the peer, given with
 * `--peer`), on 127.0.0.1. Wall time is measured, never slept on.
 */
import { createServer, type Server } from 'node:http'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { closedPort, freePort, spawnCli, stopAll, waitForPort, type ManagedProcess } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, removeWorkspaces, type Workspace } from './helpers/fixtures.js'

afterEach(async () => {
  await stopAll()
})

afterAll(async () => {
  await stopAll()
  await removeWorkspaces()
})

/** Starts `rxtorrent seed` for `ws` on a free port and returns the port. */
async function startSeed (ws: Workspace): Promise<number> {
  const port = await freePort()
  const seed = spawnCli(['seed', ws.torrent, '--data', ws.src, '--port', String(port), '--host', '127.0.0.1'])
  await waitForPort(port, 60_000, seed)
  return port
}

interface Timed { completeAt: number, exitAt: number, code: number | null, proc: ManagedProcess }

/**
 * Runs `rxtorrent download --json --peer` and stamps (wall clock) the first
 * progress line with every piece verified and the process exit.
 */
async function timedDownload (ws: Workspace, seedPort: number): Promise<Timed> {
  const proc = spawnCli(['download', ws.torrent, '--out', ws.out, '--json', '--peer', `127.0.0.1:${seedPort}`])
  let completeAt: number | undefined
  let buffered = ''
  proc.child.stdout?.on('data', (chunk: string | Buffer) => {
    const now = performance.now()
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) {
      if (completeAt !== undefined || !line.startsWith('{')) continue
      const r = JSON.parse(line) as { type?: string, piecesVerified?: number, pieceCount?: number }
      if (r.type === 'progress' && r.pieceCount !== undefined && r.piecesVerified === r.pieceCount) completeAt = now
    }
  })
  const exit = await proc.exited
  const exitAt = performance.now()
  expect(completeAt, proc.diagnostics()).toBeDefined()
  return { completeAt: completeAt ?? 0, exitAt, code: exit.code, proc }
}

describe('rxtorrent download exits promptly once complete', () => {
  for (const scheme of ['http', 'udp'] as const) {
    it(`its only tracker refuses connections (${scheme}): exit within 0.2 s of completion`, async () => {
      const dead = scheme === 'http' ? `http://127.0.0.1:${await closedPort()}/announce` : `udp://127.0.0.1:${await closedPort()}/announce`
      const ws = await makeWorkspace({ kind: 'single', name: `dead-${scheme}.bin`, size: 2 * MiB + 77 }, 'rxtorrent', 64 * KiB, `exit-dead-${scheme}`, [dead])
      const seedPort = await startSeed(ws)
      const t = await timedDownload(ws, seedPort)
      expect(t.code, t.proc.diagnostics()).toBe(0)
      expect(await ws.compare()).toEqual([])
      const warnings = t.proc.json().filter((r) => r.type === 'warning').map((r) => String(r.message))
      expect(warnings.some((m) => m.includes(dead)), warnings.join('\n')).toBe(true)
      expect(t.exitAt - t.completeAt, t.proc.diagnostics()).toBeLessThan(200)
    })
  }

  it('a live tracker that answers in 500 ms is waited for and hears completed before the exit', async () => {
    const events: Array<{ event: string, at: number, answeredAt?: number }> = []
    const server: Server = createServer((req, res) => {
      const event = new URL(req.url ?? '/', 'http://x').searchParams.get('event') ?? ''
      const entry: { event: string, at: number, answeredAt?: number } = { event, at: performance.now() }
      events.push(entry)
      setTimeout(() => {
        entry.answeredAt = performance.now()
        res.end('d8:intervali1800e5:peers0:e')
      }, 500)
    })
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', () => { resolve() }) })
    try {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      const ws = await makeWorkspace({ kind: 'single', name: 'slow-tracker.bin', size: 2 * MiB + 5 }, 'rxtorrent', 64 * KiB, 'exit-slow', [`http://127.0.0.1:${port}/announce`])
      const seedPort = await startSeed(ws)
      const t = await timedDownload(ws, seedPort)
      expect(t.code, t.proc.diagnostics()).toBe(0)
      expect(await ws.compare()).toEqual([])
      const completed = events.find((e) => e.event === 'completed')
      expect(completed, JSON.stringify(events)).toBeDefined()
      expect(completed?.answeredAt, 'the completed announce was answered').toBeDefined()
      expect(t.exitAt).toBeGreaterThan(completed?.answeredAt ?? Number.POSITIVE_INFINITY)
      // ... and not held to the 3 s bound once it answered.
      expect(t.exitAt - t.completeAt).toBeLessThan(2500)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  })
})
