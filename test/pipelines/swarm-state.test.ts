import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { SwarmState } from '../../lib/swarm/swarm-state.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { seed } from '../../pipelines/seed.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import type { TorrentRuntime } from '../../pipelines/torrent-runtime.js'
import { filledStorage, finish, makeData, makeTorrent } from './swarm-helpers.js'

const cleanups: Array<() => void> = []
afterEach(() => { while (cleanups.length > 0) cleanups.pop()?.() })

describe('TorrentRuntime.swarm$', () => {
  it('follows a download: handshake, choke and interest, the seed flag, bytes, and the close', async () => {
    const data = makeData(6 * 16384, 5)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    let seedRt: TorrentRuntime | undefined
    let resolve!: (a: PeerAddress) => void
    const listening = new Promise<PeerAddress>((r) => { resolve = r })
    const sub = seed(torrent, { data: '/unused', storage: await filledStorage(data), transport: net.transport('seed'), port: 0, hasher: nodeHasher, onListening: resolve, onRuntime: (rt) => { seedRt = rt } }).subscribe({ error: () => {} })
    cleanups.push(() => { sub.unsubscribe() })
    const addr = await listening

    const states: SwarmState[] = []
    let leechRt: TorrentRuntime | undefined
    const last = await finish(download(torrent, {
      out: '/unused', storage: new MemoryStorage(data.length), transport: net.transport('leech'), peers: [addr], hasher: nodeHasher,
      onRuntime: (rt) => { leechRt = rt; rt.swarm$.subscribe((s) => { states.push(s) }) }
    }))
    expect(last.piecesVerified).toBe(torrent.pieceCount)
    const key = `${addr.host}:${addr.port}`
    const seen = states.map((s) => s.peers.get(key)).filter((p) => p !== undefined)
    expect(seen[0]).toMatchObject({ handshake: false, outgoing: true, reachable: addr })
    expect(seen.some((p) => p.handshake && p.client.startsWith('rxtorrent') && p.seed && p.pieces === torrent.pieceCount)).toBe(true)
    expect(seen.some((p) => p.amInterested && !p.peerChoking)).toBe(true)
    // The first value is the empty swarm, untouched by every later event.
    expect(states[0]?.peers.size).toBe(0)
    const end = leechRt?.swarm
    expect(end?.peers.has(key)).toBe(false)
    expect(end?.downloaded).toBe(data.length)
    expect(end?.recentlyClosed.at(-1)).toMatchObject({ key, downloaded: data.length, client: expect.stringMatching(/^rxtorrent/) as unknown })
    expect([end?.opened, end?.closed]).toEqual([1, 1])
    // The seed saw an incoming, interested peer it unchoked and uploaded to.
    seedRt?.flushTransfers()
    const seedSide = seedRt?.swarm
    expect((seedSide?.uploaded ?? 0) + (seedSide?.recentlyClosed.reduce((n, c) => n + c.uploaded, 0) ?? 0)).toBeGreaterThanOrEqual(data.length)
  })
})
