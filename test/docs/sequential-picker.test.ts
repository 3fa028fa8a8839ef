/**
 * The guide's "strictly in order" picker while a seed keeps us choked and
 * allows only some pieces (BEP 6 allowed-fast, as libtorrent sends: see
 * test/interop/sequential-picker.test.ts for the real seeder). The planner
 * then offers the picker only those pieces; the picker does not skip ahead.
 */
import { describe, expect, it } from 'vitest'
import { inOrder } from '../../docs/examples/sequential-picker.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { makeData, makeTorrent, scriptedPeer } from '../pipelines/swarm-helpers.js'

describe('docs/examples/sequential-picker under choke with allowed-fast pieces', () => {
  it('fetches piece 0, then waits instead of jumping to allowed piece 6', async () => {
    const data = makeData(12 * 16384, 31)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const requested: number[] = []
    const addr = await scriptedPeer(net, '10.0.0.2', torrent, data, {
      idTail: 'chokingseed1',
      // Never unchokes; lets us fetch pieces 6, 0 and 9 while choked.
      opening: [{ type: 'have-all' }, { type: 'allowed-fast', index: 6 }, { type: 'allowed-fast', index: 0 }, { type: 'allowed-fast', index: 9 }],
      onMessage: (m, reply) => {
        if (m.type !== 'request') return
        requested.push(m.index)
        reply.serve(m)
      }
    })
    const storage = new MemoryStorage(data.length)
    await new Promise<void>((resolve, reject) => {
      const sub = download(torrent, {
        out: '', storage, transport: net.transport('10.0.0.1'), peers: [addr], hasher: nodeHasher, picker: inOrder, trackers: false, requestQueueDepth: 4,
        onRuntime: (rt) => { rt.verified$.subscribe(() => { if (rt.have.has(0)) { sub.unsubscribe(); resolve() } }) }
      }).subscribe({ error: reject })
    })
    expect(requested).toEqual([0])
  })
})
