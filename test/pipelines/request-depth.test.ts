import { describe, expect, it } from 'vitest'
import { encodeExtendedHandshake } from '../../lib/extensions/extended-handshake.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import type { Request } from '../../lib/wire/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { finish, makeData, makeTorrent, scriptedPeer } from './swarm-helpers.js'

type Torrent = ReturnType<typeof makeTorrent>

/**
 * A scripted seed that says `reqq` in its extended handshake (when given),
 * collects requests and answers all it holds once a turn passes with no new
 * one; records the most requests it held unanswered at once.
 */
async function holdingSeed (net: ReturnType<typeof memoryNetwork>, torrent: Torrent, data: Uint8Array, reqq: number | undefined, seen: { most: number }): Promise<PeerAddress> {
  const held: Request[] = []
  let flushing = false
  return await scriptedPeer(net, '10.0.0.2', torrent, data, {
    idTail: '333333333333',
    extended: true,
    opening: [
      ...(reqq === undefined ? [] : [{ type: 'extended' as const, id: 0, payload: encodeExtendedHandshake({ m: {}, reqq }) }]),
      { type: 'have-all' },
      { type: 'unchoke' }
    ],
    onMessage: (m, reply) => {
      if (m.type !== 'request') return
      held.push(m)
      seen.most = Math.max(seen.most, held.length)
      if (flushing) return
      flushing = true
      setImmediate(() => {
        flushing = false
        for (const r of held.splice(0)) reply.serve(r)
      })
    }
  })
}

describe('request depth', () => {
  it('never keeps more requests outstanding than the peer\'s reqq (BEP 10); without one, at least the minimum depth', async () => {
    const data = makeData(64 * 16384, 83)
    const torrent = makeTorrent(data, 4 * 16384)
    const most = async (reqq: number | undefined): Promise<number> => {
      const net = memoryNetwork()
      const seen = { most: 0 }
      const addr = await holdingSeed(net, torrent, data, reqq, seen)
      const out = new MemoryStorage(data.length)
      const last = await finish(download(torrent, { out: '', storage: out, transport: net.transport('10.0.0.1'), peers: [addr], hasher: nodeHasher }))
      expect(last.piecesVerified).toBe(torrent.pieceCount)
      expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
      return seen.most
    }
    // The cap is reached (the downloader fills the queue) and never passed.
    expect(await most(5)).toBe(5)
    // Without reqq: at least the minimum depth, more as the measured rate
    // grows, never beyond the maximum.
    const free = await most(undefined)
    expect(free).toBeGreaterThanOrEqual(16)
    expect(free).toBeLessThanOrEqual(250)
  })
})
