import { randomBytes } from 'node:crypto'
import { rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generatePeerId } from '../lib/peer-id/index.js'
import { checkCount } from '../lib/session/connection-budget.js'
import type { Torrent } from '../lib/metainfo/types.js'
import type { ResumeFile } from '../lib/session/resume-data.js'
import { filePath } from '../lib/storage/file-layout.js'
import { StateDir } from './node/state-dir.js'
import { fetchMetadataWith } from './fetch-metadata.js'
import type { ResumeStore } from './session/resume-keeper.js'
import { nodeMetadataDefaults, nodeRunDefaults } from './node/defaults.js'
import { defaultMaxOpenFiles } from './node/fd-limit.js'
import { OpenFileBudget } from './node/open-file-budget.js'
import { tcpTransport } from './node/tcp.js'
import { bindUdpSocket } from './node/udp-socket.js'
import { sessionWith, type Session, type SessionOptions } from './session/session.js'

/**
 * Many torrents on one port, in one process: one TCP listener whose
 * incoming handshakes are routed by info-hash, one UDP socket on the same
 * port (every torrent's UDP tracker requests go through it; see
 * `Session.datagrams`), one peer id, one gate for connections still in
 * their handshake, one connection limit, one pair of rate limits and one
 * pool of open files for every torrent. Torrents are added with
 * `session.add(torrent, { out })` (files under `out` as libtorrent's save
 * path, TCP, node:crypto SHA-1, the Node tracker client).
 *
 * @example
 * const session = createSession({ port: 6881 })
 * session.add(a, { out: './downloads', seed: true })
 * session.add(b, { out: './downloads', seed: true })
 * session.progress$.subscribe(({ totals }) => console.log(totals.downloadRate))
 * @throws UsageError `bad-limit`, `bad-rate` for a bad limit (see `docs/guide.md`, "Many torrents").
 */
export function createSession (options: SessionOptions & {
  /**
   * Keep resume data here (`<info-hash>.resume` and `.torrent` per torrent):
   * a restart whose files match the record skips the check. Default none
   * (every start checks every piece); the CLI's default is
   * `$XDG_STATE_HOME/rxtorrent`, else `~/.local/state/rxtorrent`.
   */
  readonly stateDir?: string
  /**
   * File descriptors every torrent's files hold at most, together (one pool,
   * as libtorrent's `file_pool_size`): the least recently used idle file is
   * closed to open another. Default a quarter of the process's open-file
   * limit, at most 128 (`defaultMaxOpenFiles`). Torrents given their own
   * `storage` keep their own budget.
   */
  readonly maxOpenFiles?: number
} = {}): Session {
  checkCount('maxOpenFiles', options.maxOpenFiles)
  const openFiles = new OpenFileBudget(options.maxOpenFiles ?? defaultMaxOpenFiles())
  return sessionWith(options, {
    ...(options.stateDir === undefined ? {} : { store: nodeResumeStore(options.stateDir) }),
    transport: options.transport ?? tcpTransport({ ringReads: true }),
    peerId: options.peerId ?? generatePeerId(randomBytes(12)),
    bindUdp: async (address) => await bindUdpSocket(address),
    torrentPlatform: (torrent, out, addOptions, datagrams) => {
      const d = nodeRunDefaults(torrent, out, { ...addOptions, openFiles, ...(datagrams === undefined ? {} : { datagrams }) })
      return { storage: d.storage, closeStorage: d.closeStorage, hasher: d.hasher, makeTrackerClient: d.makeTrackerClient, webSeedFetch: d.webSeedFetch }
    },
    deleteData: async (torrent, out) => { await rm(join(out, torrent.name), { recursive: true, force: true }) },
    fetchMetadata: async (infoHash, o) => await fetchMetadataWith(infoHash, { ...o, ...nodeMetadataDefaults(o) })
  })
}

/** Resume data in `dir` (atomic writes), files stated under each torrent's save path. */
export function nodeResumeStore (dir: string): ResumeStore {
  const state = new StateDir(dir)
  return {
    read: async (name) => await state.read(name),
    write: async (name, bytes) => { await state.write(name, bytes) },
    remove: async (name) => { await state.remove(name) },
    fileStats: async (torrent, out) => await fileStats(torrent, out)
  }
}

/** Stats in flight at once: a torrent of 100,000 files is not 100,000 pending requests. */
const STATS_AT_ONCE = 32

async function fileStats (torrent: Torrent, out: string): Promise<Array<ResumeFile | undefined>> {
  const result: Array<ResumeFile | undefined> = new Array(torrent.files.length).fill(undefined)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < torrent.files.length) {
      const i = next++
      const f = torrent.files[i]
      if (f === undefined || f.padding) continue
      try {
        const st = await stat(join(out, ...filePath(torrent, f)))
        result[i] = { size: st.size, mtimeMs: Math.floor(st.mtimeMs) }
      } catch { /* missing: undefined */ }
    }
  }
  await Promise.all(Array.from({ length: Math.min(STATS_AT_ONCE, torrent.files.length) }, worker))
  return result
}
