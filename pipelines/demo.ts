import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lastValueFrom, tap } from 'rxjs'
import type { PeerAddress } from '../lib/transport/types.js'
import { ProgressReporter, chooseMode } from './cli/progress-reporter.js'
import { download } from './download.js'
import { createTorrentFromPath } from './node/create-torrent.js'
import { seed } from './seed.js'
import { startTracker, type TrackerServer } from './tracker-server.js'

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Bytes of generated data; default 128 MiB. */
  readonly size?: number
  readonly pieceLength?: number
  readonly stdout?: NodeJS.WritableStream & { isTTY?: boolean, columns?: number }
  readonly stderr?: NodeJS.WritableStream & { isTTY?: boolean, columns?: number }
}

/**
 * The embedded demo: starts a tracker on 127.0.0.1 (HTTP and UDP), generates
 * a folder of random files, makes a torrent of it announcing to that tracker,
 * seeds it, and downloads it in the same process over TCP, finding the seed
 * through the tracker, with a progress bar; then compares every file with its
 * source byte for byte.
 * Resolves 0 when the copy is identical, 1 otherwise. Cleans up its temp dir.
 */
export async function runDemo (options: DemoOptions = {}): Promise<number> {
  const out = options.stdout ?? process.stdout
  const err = options.stderr ?? process.stderr
  const size = options.size ?? 128 * 1024 * 1024
  const root = await mkdtemp(join(tmpdir(), 'rxtorrent-demo-'))
  const ac = new AbortController()
  let tracker: TrackerServer | undefined
  try {
    const src = join(root, 'seed', 'demo-data')
    await mkdir(join(src, 'videos'), { recursive: true })
    const files: Array<[string, number]> = [['readme.txt', 1234], ['videos/big.bin', size - 1234 - 3 * 1024 * 1024 - 777], ['videos/small.bin', 3 * 1024 * 1024 + 777], ['empty.txt', 0]]
    out.write(`rxtorrent demo: generating ${(size / 1048576).toFixed(0)} MiB in ${files.length} files under ${root}\n`)
    for (const [name, length] of files) await writeFile(join(src, name), randomBytes(length))
    tracker = await startTracker({ host: '127.0.0.1', httpPort: 0, udpPort: 0, interval: 60 })
    out.write(`tracker on ${tracker.httpUrl ?? ''} and ${tracker.udpUrl ?? ''}\n`)
    const { torrent } = await createTorrentFromPath(src, { pieceLength: options.pieceLength ?? 256 * 1024, announce: [tracker.httpUrl, tracker.udpUrl].filter((u): u is string => u !== undefined) })
    out.write(`torrent ${torrent.name}: ${torrent.pieceCount} pieces of ${torrent.pieceLength / 1024} KiB, info-hash ${torrent.infoHashHex}\n`)

    const listening = new Promise<PeerAddress>((resolve, reject) => {
      seed(torrent, { data: join(root, 'seed'), host: '127.0.0.1', port: 0, signal: ac.signal, onListening: resolve }).subscribe({ error: reject })
    })
    const address = await listening
    out.write(`seeding on ${address.host}:${address.port}; the downloader finds it through the tracker and saves into ${join(root, 'download')}\n`)

    const reporter = new ProgressReporter(chooseMode({}, err), out, err, { plainIntervalMs: 1000 })
    const last = await lastValueFrom(download(torrent, {
      out: join(root, 'download'),
      host: '127.0.0.1',
      progressIntervalMs: 100,
      signal: ac.signal,
      onWarning: (w) => { reporter.warning(w) }
    }).pipe(tap((p) => { reporter.progress(p) })))
    reporter.end()

    let identical = true
    for (const [name] of files) {
      const a = await sha1File(join(src, name))
      const b = await sha1File(join(root, 'download', 'demo-data', name))
      if (a !== b) { identical = false; err.write(`rxtorrent demo: ${name} differs\n`) }
    }
    const seconds = last.elapsedMs / 1000
    out.write(`downloaded ${(torrent.length / 1048576).toFixed(1)} MiB in ${seconds.toFixed(2)} s (${(torrent.length / 1e6 / Math.max(seconds, 0.001)).toFixed(0)} MB/s), ${last.piecesVerified}/${last.pieceCount} pieces verified by SHA-1\n`)
    out.write(identical ? 'every file is identical to its source\n' : 'the copy differs from its source\n')
    return identical ? 0 : 1
  } finally {
    ac.abort()
    await tracker?.close()
    await rm(root, { recursive: true, force: true })
  }
}

async function sha1File (path: string): Promise<string> {
  const h = createHash('sha1')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}
