/**
 * A Transmission 3.x downloader: `transmission-cli` in a throwaway config
 * directory with the same loopback-only settings as the seeder helper
 * (DHT, LPD, PEX, uTP, port mapping, RPC, blocklist off), bound to one
 * address, finding its peers through the torrent's trackers only
 * (transmission-cli cannot be told to dial a peer).
 *
 * What we found:
 * - Transmission drops tracker peers in 127.0.0.0/8 (its "martian address"
 *   filter covers 0/8, 127/8 and 224/3), so a loopback-only swarm never
 *   connects; peers on another local address such as 198.18.0.1 (inside a
 *   network namespace, see `netns.ts`) are accepted.
 * - Transmission 3 keeps one entry per peer IP address: tracker peers that
 *   share an address with each other or with Transmission itself collapse
 *   into one, and the others are never dialled. Each client needs its own
 *   address (Transmission binds its tracker and peer connections to
 *   `bindAddress`, so the tracker sees it there).
 * - With `rename-partial-files` off, the files carry their final names
 *   while downloading; the status line switches to "Seeding" once every
 *   piece is verified and written.
 */
import { spawnSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ManagedProcess } from './processes.js'
import type { ManagedOptions } from './processes.js'
import { transmissionSettings } from './transmission.js'

/** Options for {@link spawnTransmissionLeecher}. */
export interface TransmissionLeecherOptions {
  /** Peer port. */
  port: number
  /** The IPv4 address it binds to (default 127.0.0.1). */
  bindAddress?: string
  /**
   * Wraps the command before it is spawned, e.g. to run it inside a network
   * namespace (`netns.spawn`). Default: spawned directly.
   */
  spawn?: (command: string, args: readonly string[], options: ManagedOptions) => ManagedProcess
}

function hasStdbuf (): boolean {
  return spawnSync('sh', ['-c', 'command -v stdbuf'], { encoding: 'utf8' }).status === 0
}

/**
 * Starts `transmission-cli` downloading `torrent` into `outDir` with its
 * config in `configDir` (created). Does not wait for anything; see
 * {@link waitForTransmissionSeeding}.
 */
export async function spawnTransmissionLeecher (torrent: string, outDir: string, configDir: string,
  options: TransmissionLeecherOptions): Promise<ManagedProcess> {
  await mkdir(configDir, { recursive: true })
  await mkdir(outDir, { recursive: true })
  const settings = {
    ...transmissionSettings(options.port, outDir),
    'bind-address-ipv4': options.bindAddress ?? '127.0.0.1',
    'rename-partial-files': false
  }
  await writeFile(join(configDir, 'settings.json'), JSON.stringify(settings, null, 2))
  const cliArgs = ['-g', configDir, '-w', outDir, '-p', String(options.port), '-et', '-D', '-U', '-M', '-B', torrent]
  // The status line is written with `\r` and fully buffered on a pipe: stdbuf makes it visible.
  const [command, args] = hasStdbuf()
    ? ['stdbuf', ['-o0', '-e0', 'transmission-cli', ...cliArgs]]
    : ['transmission-cli', cliArgs]
  const spawn = options.spawn ?? ((c: string, a: readonly string[], o: ManagedOptions) => new ManagedProcess(c, a, o))
  return spawn(command, args, { label: 'transmission-cli (leecher)', cwd: configDir })
}

/**
 * Resolves once `proc` (a {@link spawnTransmissionLeecher} process) reports
 * "Seeding", i.e. has the whole torrent. Rejects when it exits first or
 * after `timeoutMs`.
 */
export async function waitForTransmissionSeeding (proc: ManagedProcess, timeoutMs: number): Promise<void> {
  await proc.waitFor(() => proc.lines.some((line) => line.trim().startsWith('Seeding')) ? true : undefined,
    timeoutMs, 'the "Seeding" status')
}
