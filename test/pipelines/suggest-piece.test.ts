import { describe, expect, it } from 'vitest'
import type { PiecePicker } from '../../lib/pieces/piece-picker.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { finish, makeData, makeTorrent, scriptedPeer } from './swarm-helpers.js'

type Torrent = ReturnType<typeof makeTorrent>

/** Picks in index order, so without the hint piece 0 would be asked for first. */
const inOrder: PiecePicker = {
  pick (view, peerHas, max) {
    const out: number[] = []
    for (let i = 0; i < view.pieceCount && out.length < max; i++) {
      if (peerHas.has(i) && !view.have.has(i) && !view.isInProgress(i) && view.isWanted(i)) out.push(i)
    }
    return out
  }
}

/**
 * A scripted seed: handshake, have-all, `suggest_piece` for each of
 * `suggest`, then unchoke; serves every request it gets and records the
 * piece index of each, in order.
 */
async function scriptedSeed (net: ReturnType<typeof memoryNetwork>, torrent: Torrent, data: Uint8Array, suggest: number[], requested: number[]): Promise<PeerAddress> {
  return await scriptedPeer(net, '10.0.0.2', torrent, data, {
    idTail: '222222222222',
    opening: [{ type: 'have-all' }, ...suggest.map((index) => ({ type: 'suggest-piece' as const, index })), { type: 'unchoke' }],
    onMessage: (m, reply) => {
      if (m.type !== 'request') return
      requested.push(m.index)
      reply.serve(m)
    }
  })
}

describe('BEP 6 suggest_piece over the memory network', () => {
  it('a peer that suggests piece N is asked for piece N first; the download completes', async () => {
    const data = makeData(8 * 16384 + 100, 53)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const requested: number[] = []
    const addr = await scriptedSeed(net, torrent, data, [6], requested)
    const out = new MemoryStorage(data.length)
    const last = await finish(download(torrent, { out: '', storage: out, transport: net.transport('10.0.0.1'), peers: [addr], hasher: nodeHasher, picker: inOrder }))
    expect(requested[0]).toBe(6)
    expect(requested.slice(1, 3)).toEqual([0, 1]) // then the picker's own order
    expect(last.piecesVerified).toBe(torrent.pieceCount)
    expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
  })

  it('a suggestion out of range is ignored; a flood of repeats is followed once per piece, most recent first', async () => {
    const data = makeData(8 * 16384, 59)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const requested: number[] = []
    const flood = [torrent.pieceCount + 1000, ...Array.from({ length: 500 }, (_, i) => (i % 3 === 0 ? 4 : 3))]
    const addr = await scriptedSeed(net, torrent, data, flood, requested)
    const out = new MemoryStorage(data.length)
    const last = await finish(download(torrent, { out: '', storage: out, transport: net.transport('10.0.0.1'), peers: [addr], hasher: nodeHasher, picker: inOrder }))
    expect(requested.slice(0, 4)).toEqual([3, 4, 0, 1]) // most recent suggestion first, each followed once
    expect(last.piecesVerified).toBe(torrent.pieceCount)
  })
})
