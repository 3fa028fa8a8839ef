import { describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { finish, makeData, makeTorrent, scriptedPeer } from './swarm-helpers.js'

/** Memory storage that makes the piece buffers (as the file storage does for direct writes) and checks every write uses one. */
class AllocatingStorage extends MemoryStorage {
  readonly made = new Set<Uint8Array>()
  foreignWrites = 0
  allocate (length: number): Uint8Array {
    const b = new Uint8Array(length)
    this.made.add(b)
    return b
  }

  override async write (offset: number, chunks: readonly Uint8Array[], options?: { signal?: AbortSignal }): Promise<void> {
    if (chunks.length !== 1 || !this.made.has(chunks[0] as Uint8Array)) this.foreignWrites++
    await super.write(offset, chunks, options)
  }
}

/** A scripted seed on 10.0.0.2 that has every piece and serves every request. */
async function servingSeed (net: ReturnType<typeof memoryNetwork>, torrent: ReturnType<typeof makeTorrent>, data: Uint8Array): Promise<PeerAddress> {
  return await scriptedPeer(net, '10.0.0.2', torrent, data, {
    idTail: 'seed',
    opening: [{ type: 'have-all' }, { type: 'unchoke' }],
    onMessage: (m, reply) => { if (m.type === 'request') reply.serve(m) }
  })
}

describe('piece buffers from the storage', () => {
  it('a download gathers every piece in a buffer its storage made, and reuses them', async () => {
    const data = makeData(24 * 16384, 5)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const seed = await servingSeed(net, torrent, data)
    const out = new AllocatingStorage(data.length)
    const last = await finish(download(torrent, { out: '', storage: out, transport: net.transport('10.0.0.1'), peers: [seed], hasher: nodeHasher }))
    expect(last.piecesVerified).toBe(torrent.pieceCount)
    expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
    expect(out.foreignWrites).toBe(0)
    expect(out.made.size).toBeGreaterThan(0)
    // Pooled: far fewer buffers than pieces.
    expect(out.made.size).toBeLessThan(torrent.pieceCount)
  })

  it('a storage whose buffer factory throws costs only its preference: plain memory, and the download completes (G68)', async () => {
    const data = makeData(12 * 16384, 6)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const seed = await servingSeed(net, torrent, data)
    let calls = 0
    class Failing extends AllocatingStorage {
      override allocate (): Uint8Array {
        calls++
        throw new RangeError('no memory of that kind')
      }
    }
    const out = new Failing(data.length)
    const last = await finish(download(torrent, { out: '', storage: out, transport: net.transport('10.0.0.1'), peers: [seed], hasher: nodeHasher }))
    expect(last.piecesVerified).toBe(torrent.pieceCount)
    expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
    expect(calls).toBeGreaterThan(0)
    // Every piece was gathered in plain memory instead.
    expect(out.foreignWrites).toBe(torrent.pieceCount)
  })
})
