/**
 * Makes .torrent files with each of the creators the interop tests compare:
 * `rxtorrent create`, libtorrent's `create_torrent`, and mktorrent.
 */
import { ManagedProcess, describeExit, runCli } from './processes.js'
import { ltCreateTorrent } from './lt-peer.js'

/** Who writes the .torrent. */
export type TorrentCreator = 'rxtorrent' | 'libtorrent' | 'mktorrent'

/**
 * Writes a v1 .torrent for `path` (a file or directory; its basename is the
 * torrent's name) to `out` with `pieceLength` bytes per piece and the
 * announce URLs in `trackers` (none by default).
 * mktorrent only takes powers of two from 32 KiB up.
 * Rejects when the creator fails.
 */
export async function makeTorrent (creator: TorrentCreator, path: string, out: string, pieceLength: number,
  trackers: readonly string[] = []): Promise<void> {
  if (creator === 'libtorrent') {
    await ltCreateTorrent(path, out, pieceLength, trackers)
    return
  }
  if (creator === 'rxtorrent') {
    const args = ['create', path, '-o', out, '--piece-length', String(pieceLength)]
    for (const url of trackers) args.push('--announce', url)
    const result = await runCli(args, { timeoutMs: 60_000 })
    if (result.code !== 0) throw new Error(`rxtorrent create failed: ${result.diagnostics}`)
    return
  }
  const log2 = Math.log2(pieceLength)
  if (!Number.isInteger(log2) || log2 < 15 || log2 > 28) {
    throw new Error(`mktorrent cannot make ${pieceLength}-byte pieces (powers of two, 2^15..2^28 only)`)
  }
  const args = ['-l', String(log2), '-o', out]
  for (const url of trackers) args.push('-a', url)
  const proc = new ManagedProcess('mktorrent', [...args, path], { label: 'mktorrent' })
  const exit = await proc.exited
  if (exit.code !== 0) throw new Error(`mktorrent failed (${describeExit(exit)})\n${proc.diagnostics()}`)
}
