import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { generatePeerId } from '../lib/peer-id/index.js'
import { nodeRunDefaults } from './node/defaults.js'
import { tcpTransport } from './node/tcp.js'
import { sessionWith, type Session, type SessionOptions } from './session/session.js'

/**
 * Many torrents on one port, in one process: one TCP listener whose
 * incoming handshakes are routed by info-hash, one peer id, one gate for
 * connections still in their handshake. Torrents are added with
 * `session.add(torrent, { out })` (files under `out` as libtorrent's save
 * path, TCP, node:crypto SHA-1, the Node tracker client).
 *
 * @example
 * const session = createSession({ port: 6881 })
 * session.add(a, { out: './downloads', seed: true })
 * session.add(b, { out: './downloads', seed: true })
 * session.progress$.subscribe(({ totals }) => console.log(totals.downloadRate))
 */
export function createSession (options: SessionOptions = {}): Session {
  return sessionWith(options, {
    transport: options.transport ?? tcpTransport({ ringReads: true }),
    peerId: options.peerId ?? generatePeerId(randomBytes(12)),
    torrentPlatform: (torrent, out, addOptions) => {
      const d = nodeRunDefaults(torrent, out, addOptions)
      return { storage: d.storage, closeStorage: d.closeStorage, hasher: d.hasher, makeTrackerClient: d.makeTrackerClient, webSeedFetch: d.webSeedFetch }
    },
    deleteData: async (torrent, out) => { await rm(join(out, torrent.name), { recursive: true, force: true }) }
  })
}
