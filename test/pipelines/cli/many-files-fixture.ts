/**
 * Torrents of many small files on disk, made without walking or re-reading
 * them, and `rxtorrent` child processes that report their peak resident
 * memory. Shared by the many-files tests and `bench/many-files.ts`.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createTorrent } from '../../../lib/metainfo/create-torrent.js'
import { ManagedProcess, REPO_ROOT } from '../../interop/helpers/processes.js'

/** What {@link writeManyFiles} made. */
export interface ManyFiles {
  /** The .torrent's path. */
  readonly torrent: string
  /** The folder holding the torrent's folder (`--data` of `rxtorrent seed`). */
  readonly data: string
  readonly name: string
  readonly files: number
  readonly bytes: number
}

/**
 * Write `files` files of 0 to `maxLength` bytes (deterministic content) under
 * `<dir>/data/<name>/dNNN/fNNNNNN.dat`, 200 to a folder, and the .torrent
 * describing them (piece hashes computed while writing).
 */
export function writeManyFiles (dir: string, options: { files: number, maxLength: number, pieceLength: number, name?: string }): ManyFiles {
  const name = options.name ?? 'many'
  const data = join(dir, 'data')
  let seed = 12345
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return seed >>> 16
  }
  const entries: Array<{ path: string[], length: number }> = []
  const hashes: Buffer[] = []
  const piece = new Uint8Array(options.pieceLength)
  let filled = 0
  let total = 0
  for (let i = 0; i < options.files; i++) {
    const folder = `d${String(Math.floor(i / 200)).padStart(4, '0')}`
    if (i % 200 === 0) mkdirSync(join(data, name, folder), { recursive: true })
    const length = next() % (options.maxLength + 1)
    const content = new Uint8Array(length)
    for (let j = 0; j < length; j++) content[j] = next() & 0xff
    const file = `f${String(i).padStart(7, '0')}.dat`
    writeFileSync(join(data, name, folder, file), content)
    entries.push({ path: [folder, file], length })
    total += length
    for (let at = 0; at < length;) {
      const n = Math.min(length - at, piece.length - filled)
      piece.set(content.subarray(at, at + n), filled)
      filled += n
      at += n
      if (filled === piece.length) {
        hashes.push(createHash('sha1').update(piece).digest())
        filled = 0
      }
    }
  }
  if (filled > 0) hashes.push(createHash('sha1').update(piece.subarray(0, filled)).digest())
  const bytes = createTorrent({ name, multiFile: true, files: entries, pieceLength: options.pieceLength, pieceHashes: Buffer.concat(hashes) })
  const torrent = join(dir, `${name}.torrent`)
  writeFileSync(torrent, bytes)
  return { torrent, data, name, files: options.files, bytes: total }
}

/** A line the preload prints on stderr at exit: the process's peak resident set in KiB. */
export const MAX_RSS_LINE = /^max-rss-kib (\d+)$/m

/** Write the preload that prints {@link MAX_RSS_LINE}; returns its path. */
export function writeMaxRssReporter (dir: string): string {
  const path = join(dir, 'report-max-rss.cjs')
  writeFileSync(path, "process.on('exit', () => { process.stderr.write('\\nmax-rss-kib ' + process.resourceUsage().maxRSS + '\\n') })\n")
  return path
}

/** `node --require <reporter> bin/rxtorrent.js <args>`, under `ulimit -n <openFiles>` when given. */
export function spawnMeasuredCli (label: string, reporter: string, args: readonly string[], openFiles?: number): ManagedProcess {
  const cli = resolve(REPO_ROOT, 'bin/rxtorrent.js')
  const limit = openFiles === undefined ? '' : `ulimit -n ${openFiles} && `
  return new ManagedProcess('bash', ['-c', `${limit}exec "$@"`, 'measured', process.execPath, '--require', reporter, cli, ...args], { label })
}

/** The peak RSS in MiB a process made with {@link spawnMeasuredCli} reported, or undefined. */
export function maxRssMiB (p: ManagedProcess): number | undefined {
  const m = MAX_RSS_LINE.exec(p.stderr)
  return m === null ? undefined : Number(m[1]) / 1024
}
