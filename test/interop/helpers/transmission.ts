/**
 * A Transmission 3.x seeder on 127.0.0.1: `transmission-cli` in a throwaway
 * config directory whose settings.json switches off DHT, LPD, PEX, uTP, port
 * mapping, RPC and speed limits and tolerates plaintext peers.
 *
 * What we found running it on loopback:
 * - Incoming connections from 127.0.0.1 are accepted (the loopback filter
 *   applies only to peers learnt from trackers and PEX).
 * - Transmission unchokes on its rechoke timer, every 10 s, so the first
 *   block arrives up to 10 s after the handshake: budget for it.
 * - transmission-cli prints its status line ("Seeding, uploading to…") on
 *   stdout with `\r` and no newline, fully buffered when stdout is a pipe;
 *   it is started through `stdbuf -o0` when present, and the log line
 *   "Verification is done" on stderr (unbuffered) is the fallback signal.
 * - It writes settings.json and resume files back into the config dir on
 *   exit, so every seeder gets its own directory.
 */
import { spawnSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ManagedProcess, freePort, waitForPort } from './processes.js'

/** A running Transmission seeder. */
export interface TransmissionSeeder {
  process: ManagedProcess
  port: number
  /** `127.0.0.1:<port>`. */
  address: string
  /** SIGINT (Transmission's clean shutdown), then SIGKILL after a grace period. */
  stop: () => Promise<void>
}

/** Options for {@link startTransmissionSeeder}. */
export interface TransmissionOptions {
  /** Peer port; a free one is chosen when absent. */
  port?: number
  /** How long verification and start-up may take. */
  readyTimeoutMs?: number
}

/** The settings.json that keeps Transmission on loopback and off the Internet. */
export function transmissionSettings (port: number, downloadDir: string): Record<string, unknown> {
  return {
    'dht-enabled': false,
    'lpd-enabled': false,
    'pex-enabled': false,
    'utp-enabled': false,
    'port-forwarding-enabled': false,
    'bind-address-ipv4': '127.0.0.1',
    'bind-address-ipv6': '::1',
    'peer-port': port,
    'peer-port-random-on-start': false,
    // 0: prefer plaintext. RXT_TRANSMISSION_ENCRYPTION=1 tries Transmission's default (prefer encrypted).
    encryption: Number(process.env.RXT_TRANSMISSION_ENCRYPTION ?? 0),
    'speed-limit-up-enabled': false,
    'speed-limit-down-enabled': false,
    'alt-speed-enabled': false,
    'rpc-enabled': false,
    'blocklist-enabled': false,
    'start-added-torrents': true,
    'download-dir': downloadDir,
    'incomplete-dir-enabled': false,
    'ratio-limit-enabled': false,
    'idle-seeding-limit-enabled': false,
    'message-level': 2
  }
}

function hasStdbuf (): boolean {
  return spawnSync('sh', ['-c', 'command -v stdbuf'], { encoding: 'utf8' }).status === 0
}

/**
 * Starts `transmission-cli` seeding `torrent` from the complete data in
 * `dataDir`, with its config in `configDir` (created). Resolves once it has
 * verified the data, reports seeding, and accepts TCP connections.
 * Rejects if it exits first or is not ready in time.
 */
export async function startTransmissionSeeder (torrent: string, dataDir: string, configDir: string,
  options: TransmissionOptions = {}): Promise<TransmissionSeeder> {
  const port = options.port ?? await freePort()
  await mkdir(configDir, { recursive: true })
  await writeFile(join(configDir, 'settings.json'), JSON.stringify(transmissionSettings(port, dataDir), null, 2))
  const cliArgs = ['-g', configDir, '-w', dataDir, '-p', String(port), '-et', '-D', '-U', '-M', '-B', torrent]
  const unbuffered = hasStdbuf()
  const [command, args] = unbuffered
    ? ['stdbuf', ['-o0', '-e0', 'transmission-cli', ...cliArgs]]
    : ['transmission-cli', cliArgs]
  const proc = new ManagedProcess(command, args, { label: 'transmission-cli', cwd: configDir })
  const timeout = options.readyTimeoutMs ?? 60_000
  await proc.waitFor(() => {
    if (proc.lines.some((line) => line.trim().startsWith('Seeding'))) return true
    if (/Verification is done/.test(proc.stderr) && !unbuffered) return true
    return undefined
  }, timeout, 'the "Seeding" status')
  await waitForPort(port, timeout, proc)
  return {
    process: proc,
    port,
    address: `127.0.0.1:${port}`,
    stop: async () => { await proc.stop(3000, 'SIGINT') }
  }
}
