/**
 * An opentracker on 127.0.0.1 (HTTP and UDP on one port) for tests that
 * find peers through a tracker.
 *
 * What we found: Debian's opentracker is built with a whitelist, so every
 * info-hash must be listed in the file given to `-w` or announces fail with
 * "Requested download is not authorized"; as root it chroots into `-d` and
 * then drops to `nobody` (it refuses to keep running as root), which clears
 * PR_SET_PDEATHSIG, so it runs under `watchdog.py`, which kills it when the
 * test process goes away.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ManagedProcess, SYSTEM_PYTHON, freePort, waitForPort } from './processes.js'

const WATCHDOG = join(dirname(fileURLToPath(import.meta.url)), 'watchdog.py')

/** A running opentracker. */
export interface Opentracker {
  process: ManagedProcess
  port: number
  /** `http://127.0.0.1:<port>/announce`. */
  httpAnnounce: string
  /** `udp://127.0.0.1:<port>/announce`. */
  udpAnnounce: string
  stop: () => Promise<void>
}

/** The announce URLs a tracker on `port` will have, known before it starts. */
export function announceUrls (port: number): { http: string, udp: string } {
  return { http: `http://127.0.0.1:${port}/announce`, udp: `udp://127.0.0.1:${port}/announce` }
}

/**
 * Starts opentracker in `dir` (created; its chroot) on `port` (a free one
 * when absent), serving only `infoHashes` (40 hex digits each). Resolves when
 * it accepts TCP connections; rejects if it exits first.
 */
export async function startOpentracker (dir: string, infoHashes: readonly string[], port?: number): Promise<Opentracker> {
  const chosen = port ?? await freePort()
  await mkdir(dir, { recursive: true })
  // Read after the switch to `nobody`: world-readable.
  await chmod(dir, 0o755)
  const whitelist = join(dir, 'whitelist')
  await writeFile(whitelist, infoHashes.map((h) => h.toLowerCase()).join('\n') + '\n', { mode: 0o644 })
  const args = [WATCHDOG, 'opentracker', '-i', '127.0.0.1', '-p', String(chosen), '-P', String(chosen),
    '-d', dir, '-w', 'whitelist']
  const proc = new ManagedProcess(SYSTEM_PYTHON, args, { label: 'opentracker', cwd: dir, dieWithParent: false })
  await waitForPort(chosen, 20_000, proc)
  const urls = announceUrls(chosen)
  return {
    process: proc,
    port: chosen,
    httpAnnounce: urls.http,
    udpAnnounce: urls.udp,
    stop: async () => { await proc.stop(2000) }
  }
}
