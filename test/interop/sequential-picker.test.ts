/**
 * The guide's "strictly in order" picker (docs/examples/sequential-picker.ts)
 * against a real libtorrent seeder. libtorrent sends each peer a BEP 6
 * allowed-fast set (here pieces 0, 6, 24, 45 and 51) as soon as it connects:
 * pieces it serves even while it chokes. While choked, the request planner
 * offers the picker only those pieces; the picker must still not jump ahead.
 * libtorrent unchokes an interested peer at once (even with no unchoke slots
 * configured), so the choked case is shown with a scripted seed sending the
 * same messages: test/docs/sequential-picker.test.ts.
 */
import { readFile } from 'node:fs/promises'
import { lastValueFrom } from 'rxjs'
import { afterEach, expect, it } from 'vitest'
import { inOrder } from '../../docs/examples/sequential-picker.js'
import { parseTorrent } from '../../lib/metainfo/parse-torrent.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PiecePicker } from '../../lib/pieces/piece-picker.js'
import { download } from '../../pipelines/download.js'
import { sha1 } from '../../pipelines/node/hasher.js'
import type { TorrentRuntime } from '../../pipelines/torrent-runtime.js'
import { describeWithClients, hasLibtorrent, stopAll } from './helpers/clients.js'
import { KiB, makeWorkspace, removeWorkspaces, type Workspace } from './helpers/fixtures.js'
import { startLtSeeder } from './helpers/lt-peer.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})

/** 96 one-block pieces; libtorrent's allowed-fast set for 127.0.0.1 and this torrent holds piece 0. */
async function workspace (): Promise<{ ws: Workspace, torrent: Torrent, data: Uint8Array }> {
  const ws = await makeWorkspace({ kind: 'single', name: 'in-order.bin', size: 96 * 16 * KiB + 123 }, 'libtorrent', 16 * KiB, 'sequential')
  const torrent = parseTorrent(new Uint8Array(await readFile(ws.torrent)), { sha1 })
  return { ws, torrent, data: new Uint8Array(await readFile(`${ws.src}/in-order.bin`)) }
}

/** The guide's picker, recording what it picks. */
function recording (): { picker: PiecePicker, requested: number[] } {
  const requested: number[] = []
  return { requested, picker: { pick: (view, peerHas, max) => { const p = inOrder.pick(view, peerHas, max); requested.push(...p); return p } } }
}

describeWithClients('the sequential picker against a libtorrent seeder', [hasLibtorrent()], () => {
  it('requests and writes every piece in order', { timeout: 60_000 }, async () => {
    const { ws, torrent, data } = await workspace()
    const seeder = await startLtSeeder(ws.torrent, ws.src)
    const storage = new MemoryStorage(torrent.length)
    const written: number[] = []
    const write = storage.write.bind(storage)
    storage.write = async (offset, chunks) => { written.push(offset / torrent.pieceLength); await write(offset, chunks) }
    const { picker, requested } = recording()
    const allowedFast = new Set<number>()
    let rt: TorrentRuntime | undefined
    const watching = { pick: (...args: Parameters<PiecePicker['pick']>) => {
      for (const peer of rt?.peers.values() ?? []) for (const i of peer.session?.allowedFast ?? []) allowedFast.add(i)
      return picker.pick(...args)
    } }
    await lastValueFrom(download(torrent, { out: '/unused', storage, peers: [{ host: '127.0.0.1', port: seeder.port }], trackers: false, picker: watching, requestQueueDepth: 1, onRuntime: (r) => { rt = r } }))
    // libtorrent offered pieces far ahead of the next one; none was fetched out of turn.
    expect([...allowedFast].some((i) => i > 1), JSON.stringify([...allowedFast])).toBe(true)
    const all = [...Array(torrent.pieceCount).keys()]
    expect(requested).toEqual(all)
    expect(written).toEqual(all)
    expect(Buffer.compare(await storage.read(0, torrent.length), data)).toBe(0)
  })
})
