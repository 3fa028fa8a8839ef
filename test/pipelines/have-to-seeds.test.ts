import { describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { finish, makeData, makeTorrent, scriptedPeer } from './swarm-helpers.js'

type Torrent = ReturnType<typeof makeTorrent>

/**
 * A scripted peer on `host`: a seed (have-all, serves every request) or an
 * empty peer (have-none, interested, serves nothing). Records the index of
 * every `have` it is sent.
 */
async function haveRecorder (net: ReturnType<typeof memoryNetwork>, host: string, torrent: Torrent, data: Uint8Array, seed: boolean, haves: number[]): Promise<PeerAddress> {
  return await scriptedPeer(net, host, torrent, data, {
    idTail: host,
    opening: seed ? [{ type: 'have-all' }, { type: 'unchoke' }] : [{ type: 'have-none' }, { type: 'unchoke' }, { type: 'interested' }],
    onMessage: (m, reply) => {
      if (m.type === 'have') haves.push(m.index)
      if (m.type === 'request' && seed) reply.serve(m)
    }
  })
}

describe('have messages', () => {
  it('a seed is not sent have for the pieces we verify; a peer that lacks them is', async () => {
    const data = makeData(8 * 16384, 71)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const toSeed: number[] = []
    const toLeecher: number[] = []
    const seed = await haveRecorder(net, '10.0.0.2', torrent, data, true, toSeed)
    const leecher = await haveRecorder(net, '10.0.0.3', torrent, data, false, toLeecher)
    const out = new MemoryStorage(data.length)
    const last = await finish(download(torrent, { out: '', storage: out, transport: net.transport('10.0.0.1'), peers: [seed, leecher], hasher: nodeHasher }))
    expect(last.piecesVerified).toBe(torrent.pieceCount)
    expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
    expect(toSeed).toEqual([])
    // The leecher hears of pieces as they are verified (the last may still be
    // queued when the finished download closes the connection).
    expect(toLeecher.length).toBeGreaterThanOrEqual(torrent.pieceCount - 1)
    expect(new Set(toLeecher).size).toBe(toLeecher.length)
  })
})
