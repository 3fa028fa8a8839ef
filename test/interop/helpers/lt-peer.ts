/**
 * Drives `lt_peer.py` (a scriptable libtorrent session on 127.0.0.1) from
 * TypeScript: a seeder that reports its port once its data has been checked,
 * a downloader, and libtorrent-made .torrent files.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ManagedProcess, SYSTEM_PYTHON, describeExit } from './processes.js'

/** Path of the Python helper. */
export const LT_PEER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'lt_peer.py')

/** Options shared by the libtorrent modes. */
export interface LtOptions {
  /** Listen port; 0 (the default) lets the OS choose. */
  port?: number
  /** Per-torrent upload limit in bytes per second (0 = none). */
  uploadLimit?: number
  /** Peers to dial, as `host:port`. */
  peers?: readonly string[]
  /** Exit with an error after this many seconds. */
  timeoutSeconds?: number
  /** Allow uTP as well as TCP. */
  utp?: boolean
}

function ltArgs (mode: string, a: string, b: string, options: LtOptions): string[] {
  const args = [LT_PEER_SCRIPT, mode, a, b, '--port', String(options.port ?? 0)]
  for (const peer of options.peers ?? []) args.push('--peer', peer)
  if (options.uploadLimit !== undefined && options.uploadLimit > 0) args.push('--upload-limit', String(options.uploadLimit))
  if (options.timeoutSeconds !== undefined) args.push('--timeout', String(options.timeoutSeconds))
  if (options.utp === true) args.push('--utp')
  return args
}

/** Starts `lt_peer.py <mode>` without waiting for anything. */
export function spawnLtPeer (mode: 'seed' | 'download' | 'bench', torrent: string, savePath: string, options: LtOptions = {}): ManagedProcess {
  return new ManagedProcess(SYSTEM_PYTHON, ltArgs(mode, torrent, savePath, options), { label: `libtorrent ${mode}` })
}

/** A running libtorrent seeder. */
export interface LtSeeder {
  process: ManagedProcess
  port: number
  /** `127.0.0.1:<port>`. */
  address: string
}

/**
 * Starts a libtorrent seeder for `torrent` over the data in `savePath` and
 * resolves once it has checked the data and is seeding.
 * Rejects when libtorrent finds the data incomplete or exits.
 */
export async function startLtSeeder (torrent: string, savePath: string, options: LtOptions = {}): Promise<LtSeeder> {
  const proc = spawnLtPeer('seed', torrent, savePath, options)
  const listening = await proc.waitForJson((v) => v.event === 'listening', 20_000)
  const port = Number(listening.port)
  await proc.waitForJson((v) => v.event === 'finished' || v.event === 'error', 60_000)
  const error = proc.json().find((v) => v.event === 'error')
  if (error !== undefined) {
    await proc.stop()
    throw new Error(`libtorrent seeder failed: ${String(error.message)}\n${proc.diagnostics()}`)
  }
  return { process: proc, port, address: `127.0.0.1:${port}` }
}

/**
 * Runs a libtorrent download of `torrent` into `savePath` from `peers` and
 * resolves when libtorrent has every piece. Rejects on error, exit without
 * finishing, or `timeoutSeconds`.
 */
export async function ltDownload (torrent: string, savePath: string, options: LtOptions & { peers: readonly string[] }): Promise<ManagedProcess> {
  const timeoutSeconds = options.timeoutSeconds ?? 120
  const proc = spawnLtPeer('download', torrent, savePath, { ...options, timeoutSeconds })
  const exit = await proc.exited
  const finished = proc.json().some((v) => v.event === 'finished')
  if (exit.code !== 0 || !finished) {
    throw new Error(`libtorrent download did not finish (${describeExit(exit)})\n${proc.diagnostics()}`)
  }
  return proc
}

/**
 * Writes a v1 .torrent for `path` (a file or a directory) made by
 * libtorrent's `create_torrent`, with the given piece length and announce
 * URLs (one tier each).
 */
export async function ltCreateTorrent (path: string, out: string, pieceLength: number, trackers: readonly string[] = []): Promise<void> {
  const args = [LT_PEER_SCRIPT, 'create', path, out, '--piece-length', String(pieceLength)]
  for (const url of trackers) args.push('--tracker', url)
  const proc = new ManagedProcess(SYSTEM_PYTHON, args, { label: 'libtorrent create' })
  const exit = await proc.exited
  if (exit.code !== 0) throw new Error(`libtorrent create failed (${describeExit(exit)})\n${proc.diagnostics()}`)
}

/** What libtorrent reads in a .torrent. */
export interface LtTorrentInfo {
  infoHash: string
  name: string
  pieceLength: number
  pieceCount: number
  totalSize: number
  files: Array<{ path: string, size: number }>
}

/** Parses `torrent` with libtorrent and returns its summary. */
export async function ltTorrentInfo (torrent: string): Promise<LtTorrentInfo> {
  const proc = new ManagedProcess(SYSTEM_PYTHON, [LT_PEER_SCRIPT, 'info', torrent, '-'], { label: 'libtorrent info' })
  const exit = await proc.exited
  const info = proc.json().find((v) => v.event === 'info')
  if (exit.code !== 0 || info === undefined) {
    throw new Error(`libtorrent could not read ${torrent} (${describeExit(exit)})\n${proc.diagnostics()}`)
  }
  return info as unknown as LtTorrentInfo
}
