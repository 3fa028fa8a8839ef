import { describe, expect, it } from 'vitest'
import { pushable } from 'it-pushable'
import { encodeExtendedHandshake } from '../../lib/extensions/extended-handshake.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { Duplex, PeerAddress } from '../../lib/transport/types.js'
import { encodeHandshake, encodeMessage, makeReserved } from '../../lib/wire/index.js'
import type { Request } from '../../lib/wire/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { finish, makeData, makeTorrent, readDownloader } from './swarm-helpers.js'

type Torrent = ReturnType<typeof makeTorrent>

/**
 * A scripted seed that says `reqq` in its extended handshake (when given),
 * collects requests and answers all it holds once a turn passes with no new
 * one; records the most requests it held unanswered at once.
 */
async function holdingSeed (net: ReturnType<typeof memoryNetwork>, torrent: Torrent, data: Uint8Array, reqq: number | undefined, seen: { most: number }): Promise<PeerAddress> {
  const listener = await net.transport('10.0.0.2').listen({ port: 0 }, (conn: Duplex) => {
    const out = pushable<Uint8Array>()
    out.push(encodeHandshake({ reserved: makeReserved({ fast: true, extended: true }), infoHash: torrent.infoHash, peerId: new TextEncoder().encode('-EV0001-333333333333') }))
    if (reqq !== undefined) out.push(encodeMessage({ type: 'extended', id: 0, payload: encodeExtendedHandshake({ m: {}, reqq }) }))
    out.push(encodeMessage({ type: 'have-all' }))
    out.push(encodeMessage({ type: 'unchoke' }))
    void conn.sink(out).catch(() => {})
    const held: Request[] = []
    let flushing = false
    const flush = (): void => {
      flushing = false
      for (const m of held.splice(0)) {
        const at = m.index * torrent.pieceLength + m.begin
        out.push(encodeMessage({ type: 'piece', index: m.index, begin: m.begin, block: data.subarray(at, at + m.length) }))
      }
    }
    readDownloader(conn, (m) => {
      if (m.type !== 'request') return
      held.push(m)
      seen.most = Math.max(seen.most, held.length)
      if (!flushing) { flushing = true; setImmediate(flush) }
    }, () => { out.end() })
  })
  return listener.address
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
