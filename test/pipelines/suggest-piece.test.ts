import { describe, expect, it } from 'vitest'
import { pushable } from 'it-pushable'
import type { PiecePicker } from '../../lib/pieces/piece-picker.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { Duplex, PeerAddress } from '../../lib/transport/types.js'
import { encodeHandshake, encodeMessage, makeReserved } from '../../lib/wire/index.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { finish, makeData, makeTorrent, readDownloader } from './swarm-helpers.js'

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
  const listener = await net.transport('10.0.0.2').listen({ port: 0 }, (conn: Duplex) => {
    const out = pushable<Uint8Array>()
    out.push(encodeHandshake({ reserved: makeReserved({ fast: true }), infoHash: torrent.infoHash, peerId: new TextEncoder().encode('-EV0001-222222222222') }))
    out.push(encodeMessage({ type: 'have-all' }))
    for (const index of suggest) out.push(encodeMessage({ type: 'suggest-piece', index }))
    out.push(encodeMessage({ type: 'unchoke' }))
    void conn.sink(out).catch(() => {})
    readDownloader(conn, (m) => {
      if (m.type !== 'request') return
      requested.push(m.index)
      const at = m.index * torrent.pieceLength + m.begin
      out.push(encodeMessage({ type: 'piece', index: m.index, begin: m.begin, block: data.subarray(at, at + m.length) }))
    }, () => { out.end() })
  })
  return listener.address
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
