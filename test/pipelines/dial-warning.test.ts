/** A failed dial is reported once: `cannot connect to X: <reason>`, the prefix not repeated. */
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import type { TorrentWarning } from '../../pipelines/types.js'
import { makeData, makeTorrent } from './swarm-helpers.js'

/** A loopback port nobody listens on (bound, then closed). */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

describe('dial warnings', () => {
  it('say "cannot connect to" once, with the reason', async () => {
    const port = await closedPort()
    const data = makeData(2 * 16384)
    const torrent = makeTorrent(data, 16384)
    const warning = await new Promise<TorrentWarning>((resolve, reject) => {
      const sub = download(torrent, {
        out: '/unused', storage: new MemoryStorage(data.length), hasher: nodeHasher, trackers: false, peers: [{ host: '127.0.0.1', port }],
        onWarning: (w) => { sub?.unsubscribe(); resolve(w) }
      }).subscribe({ error: reject })
    })
    expect(warning.message).toMatch(new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`))
    expect(warning.message.match(/cannot connect to/g)).toHaveLength(1)
    // Node's own message names the address again (`connect ECONNREFUSED 127.0.0.1:port`); ours does not.
    expect(warning.message.split(`127.0.0.1:${port}`)).toHaveLength(2)
    expect(warning.message).toBe(`cannot connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED)`)
  })
})
