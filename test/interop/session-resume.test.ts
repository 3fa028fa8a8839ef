/**
 * Resume data through a crash: a session downloading two torrents from two
 * (slow) libtorrent seeders is killed with SIGKILL after it has saved resume
 * data; a new session on the same state folder finishes both, and the files
 * are identical to the source. Files written after the last record are
 * checked again, never assumed.
 */
import { spawn } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { describeWithClients, hasLibtorrent, stopAll } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import { startLtSeeder } from './helpers/lt-peer.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})

interface Line { event: string, torrents: Array<{ name: string, verified: number, count: number, checked?: number, state?: string }> }

/** Runs the session child; resolves with its JSON lines once `until` holds (then kills it with SIGKILL) or it exits. */
async function runChild (config: unknown, until?: (l: Line, all: Line[]) => boolean): Promise<{ lines: Line[], killed: boolean }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'helpers/session-child.ts'), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: Line[] = []
  let buffered = ''
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  return await new Promise((resolve, reject) => {
    let killed = false
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`session child timed out\n${stderr}`)) }, 90_000)
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString()
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, nl)) as Line
        buffered = buffered.slice(nl + 1)
        lines.push(line)
        if (!killed && until?.(line, lines) === true) { killed = true; child.kill('SIGKILL') }
      }
    })
    child.on('exit', () => { clearTimeout(timer); resolve({ lines, killed }) })
    child.on('error', reject)
  })
}

describeWithClients('session resume data through kill -9', [hasLibtorrent()], () => {
  it('kill -9 during a two-torrent download, restart on the same state: both complete, files identical', { timeout: 150_000 }, async () => {
    const workspaces = await Promise.all([0, 1].map(async (i) => await makeWorkspace({ kind: 'single', name: `crash${i}.bin`, size: 6 * MiB + i * 999 }, 'libtorrent', 64 * KiB, `session-crash-${i}`)))
    // Slow seeders, so the download is still running when the session dies.
    const seeders = await Promise.all(workspaces.map(async (ws) => await startLtSeeder(ws.torrent, ws.src, { uploadLimit: 1536 * KiB })))
    const state = join(workspaces[0]?.root ?? '', 'state')
    const config = { state, intervalMs: 300, torrents: workspaces.map((ws, i) => ({ file: ws.torrent, out: ws.out, peer: seeders[i]?.port })) }
    // Killed once both torrents have some pieces verified and a record had time to be written.
    const first = await runChild(config, (l, all) => l.event === 'progress' && l.torrents.length === 2 && l.torrents.every((t) => t.verified > 10 && t.verified < t.count) && all.length > 8)
    expect(first.killed).toBe(true)
    const saved = (await readdir(state)).filter((n) => n.endsWith('.resume'))
    expect(saved).toHaveLength(2)
    const second = await runChild(config)
    const done = second.lines.find((l) => l.event === 'done')
    expect(done?.torrents.every((t) => t.verified === t.count), JSON.stringify(second.lines.slice(-3))).toBe(true)
    for (const ws of workspaces) expect(await ws.compare()).toEqual([])
    // The files were written after the last record (until the kill), so the
    // restart checked their pieces instead of trusting the record, and kept
    // what verified: its first report already counts verified pieces.
    const start = second.lines.find((l) => l.event === 'progress' && l.torrents.length === 2)
    expect(start?.torrents.every((t) => t.verified > 0 && t.checked === t.count), JSON.stringify(start)).toBe(true)
  })
})
