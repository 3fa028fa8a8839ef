/**
 * Drives `lt_magnet.py` (libtorrent added by magnet URI or .torrent, with
 * ut_metadata and ut_pex on) from TypeScript, and builds the magnet links
 * the tests hand to both sides.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ManagedProcess, SYSTEM_PYTHON, describeExit } from './processes.js'

/** Path of the Python helper. */
export const LT_MAGNET_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'lt_magnet.py')

/** Options of `lt_magnet.py peer`. */
export interface LtMagnetOptions {
  /** Listen port; 0 (the default) lets the OS choose. */
  port?: number
  /** Peers to dial, as `host:port` (re-dialled while none is connected). */
  peers?: readonly string[]
  /** Per-torrent upload limit in bytes per second (0 = none). */
  uploadLimit?: number
  /** Per-torrent download limit in bytes per second (0 = none). */
  downloadLimit?: number
  /** Exit 3 after this many seconds. */
  timeoutSeconds?: number
  /** Exit 0 once the metadata is in. */
  metadataOnly?: boolean
  /** Write the received metadata as a .torrent here. */
  saveTorrent?: string
  /** Keep running after the data is complete. */
  keepRunning?: boolean
}

/** One peer as libtorrent lists it. */
export interface LtPeerRecord {
  address: string
  /** How libtorrent learnt it: `pex`, `incoming`, `tracker`, … (empty for a peer we were told to dial). */
  sources: string[]
  /** Past the BitTorrent handshake. */
  connected: boolean
  uploaded: number
  downloaded: number
  client: string
}

/**
 * Starts `lt_magnet.py peer <source> <savePath>`, where `source` is a magnet
 * URI or a .torrent path. Does not wait for anything.
 */
export function spawnLtMagnetPeer (source: string, savePath: string, options: LtMagnetOptions = {}): ManagedProcess {
  const args = [LT_MAGNET_SCRIPT, 'peer', source, savePath, '--port', String(options.port ?? 0)]
  for (const peer of options.peers ?? []) args.push('--peer', peer)
  if ((options.uploadLimit ?? 0) > 0) args.push('--upload-limit', String(options.uploadLimit))
  if ((options.downloadLimit ?? 0) > 0) args.push('--download-limit', String(options.downloadLimit))
  if (options.timeoutSeconds !== undefined) args.push('--timeout', String(options.timeoutSeconds))
  if (options.metadataOnly === true) args.push('--metadata-only')
  if (options.saveTorrent !== undefined) args.push('--save-torrent', options.saveTorrent)
  if (options.keepRunning === true) args.push('--keep-running')
  return new ManagedProcess(SYSTEM_PYTHON, args, { label: 'libtorrent magnet peer' })
}

/**
 * Runs `lt_magnet.py peer` to its end and resolves with the process once it
 * has exited 0 having received the metadata (and, without `metadataOnly`,
 * every piece). Rejects otherwise, with the output tails.
 */
export async function ltMagnetFetch (source: string, savePath: string, options: LtMagnetOptions = {}): Promise<ManagedProcess> {
  const proc = spawnLtMagnetPeer(source, savePath, { timeoutSeconds: 60, ...options })
  const exit = await proc.exited
  const gotMetadata = ltMetadataEvent(proc) !== undefined
  const finished = options.metadataOnly === true || proc.json().some((v) => v.event === 'finished')
  if (exit.code !== 0 || !gotMetadata || !finished) {
    throw new Error(`libtorrent magnet fetch failed (${describeExit(exit)}, metadata: ${String(gotMetadata)})\n${proc.diagnostics()}`)
  }
  return proc
}

/** The `metadata` event of an `lt_magnet.py` run, if it got that far. */
export function ltMetadataEvent (proc: ManagedProcess): { infoHash: string, name: string, totalSize: number } | undefined {
  const found = proc.json().find((v) => v.event === 'metadata')
  return found === undefined
    ? undefined
    : { infoHash: String(found.infoHash), name: String(found.name), totalSize: Number(found.totalSize) }
}

/** Every peer record an `lt_magnet.py` run has reported, oldest first. */
export function ltPeerRecords (proc: ManagedProcess): LtPeerRecord[] {
  return proc.json()
    .filter((v) => v.event === 'peers' && Array.isArray(v.peers))
    .flatMap((v) => v.peers as LtPeerRecord[])
}

/** Writes a v1 .torrent made by libtorrent, with the BEP 27 private flag when `isPrivate`. */
export async function ltCreateTorrentWithFlags (path: string, out: string, pieceLength: number,
  isPrivate: boolean): Promise<void> {
  const args = [LT_MAGNET_SCRIPT, 'create', path, out, '--piece-length', String(pieceLength)]
  if (isPrivate) args.push('--private')
  const proc = new ManagedProcess(SYSTEM_PYTHON, args, { label: 'libtorrent create' })
  const exit = await proc.exited
  if (exit.code !== 0) throw new Error(`libtorrent create failed (${describeExit(exit)})\n${proc.diagnostics()}`)
}

/**
 * A BEP 9 magnet link: `xt=urn:btih:<hex>`, `dn` when `name` is given, and
 * one `x.pe` per peer address.
 */
export function magnetUri (infoHash: string, name?: string, peers: readonly string[] = []): string {
  let uri = `magnet:?xt=urn:btih:${infoHash}`
  if (name !== undefined) uri += `&dn=${encodeURIComponent(name)}`
  for (const peer of peers) uri += `&x.pe=${peer}`
  return uri
}
