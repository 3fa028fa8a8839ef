import { describe, expect, it } from 'vitest'
import { pushable } from 'it-pushable'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { Duplex, PeerAddress } from '../../lib/transport/types.js'
import { encodeHandshake, encodeMessage, makeReserved } from '../../lib/wire/index.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { finish, makeData, makeTorrent, readDownloader } from './swarm-helpers.js'

type Torrent = ReturnType<typeof makeTorrent>

/**
 * A scripted peer on `host`: a seed (have-all, serves every request) or an
 * empty peer (have-none, serves nothing). Records the index of every `have`
 * it is sent.
 */
async function scriptedPeer (net: ReturnType<typeof memoryNetwork>, host: string, torrent: Torrent, data: Uint8Array, seed: boolean, haves: number[]): Promise<PeerAddress> {
  const listener = await net.transport(host).listen({ port: 0 }, (conn: Duplex) => {
    const out = pushable<Uint8Array>()
    out.push(encodeHandshake({ reserved: makeReserved({ fast: true }), infoHash: torrent.infoHash, peerId: new TextEncoder().encode(`-EV0001-${host.padEnd(12, 'x').slice(0, 12)}`) }))
    out.push(encodeMessage({ type: seed ? 'have-all' : 'have-none' }))
    out.push(encodeMessage({ type: 'unchoke' }))
    if (!seed) out.push(encodeMessage({ type: 'interested' }))
    void conn.sink(out).catch(() => {})
    readDownloader(conn, (m) => {
      if (m.type === 'have') haves.push(m.index)
      if (m.type !== 'request' || !seed) return
      const at = m.index * torrent.pieceLength + m.begin
      out.push(encodeMessage({ type: 'piece', index: m.index, begin: m.begin, block: data.subarray(at, at + m.length) }))
    }, () => { out.end() })
  })
  return listener.address
}

describe('have messages', () => {
  it('a seed is not sent have for the pieces we verify; a peer that lacks them is', async () => {
    const data = makeData(8 * 16384, 71)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const toSeed: number[] = []
    const toLeecher: number[] = []
    const seed = await scriptedPeer(net, '10.0.0.2', torrent, data, true, toSeed)
    const leecher = await scriptedPeer(net, '10.0.0.3', torrent, data, false, toLeecher)
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
