/**
 * An aria2 seeder on 127.0.0.1: `aria2c` verifies the complete data (`-V`)
 * and seeds without end (`--seed-ratio=0.0`), with DHT, LPD and PEX off,
 * plaintext allowed, its listening socket bound to 127.0.0.1
 * (`--interface`) and IPv6 off.
 *
 * What we found: aria2c listens only on the given TCP port (no UDP socket
 * with DHT off), accepts our loopback connection, and prints a summary line
 * `[#gid SEED(…) …]` every `--summary-interval` seconds once seeding.
 */
import { ManagedProcess, freePort, waitForPort } from './processes.js'

/** A running aria2 seeder. */
export interface Aria2Seeder {
  process: ManagedProcess
  port: number
  /** `127.0.0.1:<port>`. */
  address: string
  stop: () => Promise<void>
}

/** The aria2c flags that keep it on loopback and off the Internet, seeding `torrent` from `dataDir`. */
export function aria2SeedArgs (torrent: string, dataDir: string, port: number): string[] {
  return [
    '--interface=127.0.0.1', `--listen-port=${port}`, '--disable-ipv6=true',
    '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false',
    '--bt-require-crypto=false', '--bt-min-crypto-level=plain',
    '--seed-ratio=0.0', '--bt-seed-unverified=false', '-V', '--bt-detach-seed-only=false',
    '--max-overall-upload-limit=0', '--bt-max-peers=0',
    '--summary-interval=1', '--console-log-level=notice', '--enable-color=false', '--show-console-readout=true',
    `--dir=${dataDir}`, torrent
  ]
}

/**
 * Starts `aria2c` seeding `torrent` from the complete data in `dataDir` and
 * resolves once it reports seeding and accepts TCP connections. Rejects if
 * it exits first or is not ready within `readyTimeoutMs`.
 */
export async function startAria2Seeder (torrent: string, dataDir: string, options: { port?: number, readyTimeoutMs?: number } = {}): Promise<Aria2Seeder> {
  const port = options.port ?? await freePort()
  const proc = new ManagedProcess('aria2c', aria2SeedArgs(torrent, dataDir, port), { label: 'aria2c', cwd: dataDir })
  const timeout = options.readyTimeoutMs ?? 60_000
  await proc.waitFor(() => proc.lines.some((line) => /SEED\(/.test(line)) ? true : undefined, timeout, 'the SEED summary')
  await waitForPort(port, timeout, proc)
  return {
    process: proc,
    port,
    address: `127.0.0.1:${port}`,
    stop: async () => { await proc.stop(3000, 'SIGINT') }
  }
}
