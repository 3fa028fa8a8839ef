/**
 * An aria2 downloader that finds its peers through the torrent's trackers
 * only (aria2c cannot be told to dial a peer): DHT (v4 and v6), LPD and PEX
 * off, IPv6 off, sockets bound to one address, plaintext allowed, and
 * `--seed-time=0` so it exits 0 as soon as the download is complete.
 */
import { mkdir } from 'node:fs/promises'
import { ManagedProcess, describeExit } from './processes.js'
import type { ManagedOptions } from './processes.js'

/** Options for {@link aria2DownloadArgs}. */
export interface Aria2LeecherOptions {
  /** TCP peer port. */
  port: number
  /** UDP port (aria2 shares it between DHT and UDP trackers; DHT stays off). */
  udpPort: number
  /** The address its sockets bind to (default 127.0.0.1). */
  bindAddress?: string
  /** Seconds between announces (aria2's `--bt-tracker-interval`; default 5). */
  trackerInterval?: number
  /** Give up when nothing arrives for this many seconds (`--bt-stop-timeout`; default 60). */
  stopTimeout?: number
  /**
   * Wraps the command before it is spawned, e.g. to run it inside a network
   * namespace (`netns.spawn`). Default: spawned directly.
   */
  spawn?: (command: string, args: readonly string[], options: ManagedOptions) => ManagedProcess
}

/** The aria2c arguments that download `torrent` into `outDir` from tracker peers only. */
export function aria2DownloadArgs (torrent: string, outDir: string, options: Aria2LeecherOptions): string[] {
  return [
    `--interface=${options.bindAddress ?? '127.0.0.1'}`, `--listen-port=${options.port}`, `--dht-listen-port=${options.udpPort}`,
    '--disable-ipv6=true', '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false',
    '--bt-require-crypto=false', '--bt-min-crypto-level=plain',
    '--bt-tracker-connect-timeout=5', '--bt-tracker-timeout=10', `--bt-tracker-interval=${options.trackerInterval ?? 5}`,
    `--bt-stop-timeout=${options.stopTimeout ?? 60}`,
    '--seed-time=0', '--file-allocation=none', '--allow-overwrite=true', '--auto-file-renaming=false',
    '--bt-save-metadata=false', '--save-session=', '--max-overall-upload-limit=0',
    '--summary-interval=1', '--console-log-level=notice', '--enable-color=false',
    `--dir=${outDir}`, torrent
  ]
}

/**
 * Runs aria2c until it exits and resolves with the process when it has the
 * whole torrent (exit code 0). Rejects with its output on any other exit, or
 * after `timeoutMs` (then it is killed).
 */
export async function aria2Download (torrent: string, outDir: string, options: Aria2LeecherOptions & { timeoutMs?: number }): Promise<ManagedProcess> {
  await mkdir(outDir, { recursive: true })
  const spawn = options.spawn ?? ((c: string, a: readonly string[], o: ManagedOptions) => new ManagedProcess(c, a, o))
  const proc = spawn('aria2c', aria2DownloadArgs(torrent, outDir, options), { label: 'aria2c (leecher)', cwd: outDir })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    proc.kill('SIGKILL')
  }, options.timeoutMs ?? 120_000)
  const exit = await proc.exited
  clearTimeout(timer)
  if (exit.code !== 0) {
    throw new Error(`aria2c did not finish (${describeExit(exit)}${timedOut ? ', timed out' : ''})\n${proc.diagnostics()}`)
  }
  return proc
}
