import { describe, expect, it } from 'vitest'
import type { Torrent } from '../../../lib/metainfo/types.js'
import type { ResumeFile } from '../../../lib/session/resume-data.js'
import type { Storage } from '../../../lib/storage/types.js'
import { memoryNetwork } from '../../../operators/memory-network.js'
import { nodeHasher } from '../../../pipelines/node/hasher.js'
import type { ResumeStore } from '../../../pipelines/session/resume-keeper.js'
import { sessionWith, type Session } from '../../../pipelines/session/session.js'
import { filledStorage, makeData, makeTorrent } from '../swarm-helpers.js'

/** A store in memory, with file stats the test sets. */
function memoryStore (): ResumeStore & { files: Map<string, Uint8Array>, stats: Array<ResumeFile | undefined> } {
  const files = new Map<string, Uint8Array>()
  const store = {
    files,
    stats: [] as Array<ResumeFile | undefined>,
    read: async (name: string) => files.get(name),
    write: async (name: string, bytes: Uint8Array) => { files.set(name, bytes) },
    remove: async (name: string) => { files.delete(name) },
    fileStats: async (torrent: Torrent) => torrent.files.map((_f, i) => store.stats[i])
  }
  return store
}

/** Storage that counts the bytes read from it. */
function counting (inner: Storage): Storage & { readBytes: number } {
  const s = {
    readBytes: 0,
    read: async (o: number, l: number) => { s.readBytes += l; return await inner.read(o, l) },
    write: inner.write.bind(inner),
    flush: inner.flush.bind(inner),
    close: async () => {}
  }
  return s
}

async function run (torrent: Torrent, storage: Storage, store: ResumeStore, warnings: string[]): Promise<Session> {
  const session = sessionWith({ port: 0, onWarning: (w) => { warnings.push(w.message) } }, {
    transport: memoryNetwork().transport('10.0.0.1'),
    peerId: new Uint8Array(20).fill(0x62),
    torrentPlatform: () => ({ storage, hasher: nodeHasher, closeStorage: false }),
    deleteData: async () => {},
    store
  })
  session.add(torrent, { out: '/unused', seed: true, trackers: false })
  await new Promise<void>((resolve) => { const sub = session.progress$.subscribe(({ torrents }) => { if (torrents[0]?.state === 'seeding') { sub.unsubscribe(); resolve() } }) })
  return session
}

describe('resume data in a session', () => {
  // Three files of 3, 5 and 4 pieces (16 KiB pieces, files aligned to pieces).
  const data = makeData(12 * 16384, 77)
  const torrent = makeTorrent(data, 16384, [3 * 16384, 5 * 16384, 4 * 16384])

  it('a restart whose files match the record reads no piece data; a changed file has only its pieces read', async () => {
    const store = memoryStore()
    store.stats = [{ size: 3 * 16384, mtimeMs: 1000 }, { size: 5 * 16384, mtimeMs: 2000 }, { size: 4 * 16384, mtimeMs: 3000 }]
    const warnings: string[] = []
    const first = counting(await filledStorage(data))
    await (await run(torrent, first, store, warnings)).close()
    expect(first.readBytes).toBe(data.length) // no record yet: every piece checked
    expect(store.files.has(`${torrent.infoHashHex}.resume`)).toBe(true)
    expect(store.files.has(`${torrent.infoHashHex}.torrent`)).toBe(true)

    const second = counting(await filledStorage(data))
    await (await run(torrent, second, store, warnings)).close()
    expect(second.readBytes).toBe(0)

    store.stats = [store.stats[0], { size: 5 * 16384, mtimeMs: 2500 }, store.stats[2]]
    const third = counting(await filledStorage(data))
    await (await run(torrent, third, store, warnings)).close()
    expect(third.readBytes).toBe(5 * 16384)
    expect(warnings.some((w) => w.includes('1 file(s) changed'))).toBe(true)
  })

  it('a restart with nothing new writes no state; one whose files changed writes the record again', async () => {
    const store = memoryStore()
    store.stats = [{ size: 3 * 16384, mtimeMs: 1000 }, { size: 5 * 16384, mtimeMs: 2000 }, { size: 4 * 16384, mtimeMs: 3000 }]
    const written: string[] = []
    const read: string[] = []
    const write = store.write
    const readFile = store.read
    store.write = async (name, bytes) => { written.push(name); await write(name, bytes) }
    store.read = async (name) => { read.push(name); return await readFile(name) }
    const warnings: string[] = []
    await (await run(torrent, counting(await filledStorage(data)), store, warnings)).close()
    expect(written.sort()).toEqual([`${torrent.infoHashHex}.resume`, `${torrent.infoHashHex}.torrent`])

    written.length = 0
    read.length = 0
    await (await run(torrent, counting(await filledStorage(data)), store, warnings)).close()
    expect(written).toEqual([])
    // The record is read; the metainfo, kept with it, is neither read nor written.
    expect(read).toEqual([`${torrent.infoHashHex}.resume`])

    store.stats = [store.stats[0], { size: 5 * 16384, mtimeMs: 2500 }, store.stats[2]]
    await (await run(torrent, counting(await filledStorage(data)), store, warnings)).close()
    expect(written).toEqual([`${torrent.infoHashHex}.resume`])
    // The new record holds the file's new mtime: the next start trusts every piece.
    const fourth = counting(await filledStorage(data))
    await (await run(torrent, fourth, store, warnings)).close()
    expect(fourth.readBytes).toBe(0)
  })

  it('resume data for another torrent, truncated or with a wrong bitfield is a warning and a full check, never trusted', async () => {
    const other = makeTorrent(makeData(12 * 16384, 78), 16384, [3 * 16384, 5 * 16384, 4 * 16384])
    const store = memoryStore()
    store.stats = [{ size: 1, mtimeMs: 1 }, { size: 1, mtimeMs: 1 }, { size: 1, mtimeMs: 1 }]
    const warnings: string[] = []
    await (await run(other, counting(await filledStorage(makeData(12 * 16384, 78))), store, warnings)).close()
    const good = store.files.get(`${other.infoHashHex}.resume`) as Uint8Array
    for (const bad of [good, good.subarray(0, good.length - 9), new Uint8Array(0)]) {
      store.files.set(`${torrent.infoHashHex}.resume`, bad)
      const s = counting(await filledStorage(data))
      await (await run(torrent, s, store, warnings)).close()
      expect(s.readBytes).toBe(data.length)
    }
    expect(warnings.filter((w) => w.includes('resume data not used'))).toHaveLength(3)
  })

  it('a store that cannot be written is one warning; the torrent goes on', async () => {
    const store = memoryStore()
    store.write = async () => { throw new Error('EROFS: read-only file system') }
    const warnings: string[] = []
    const session = await run(torrent, counting(await filledStorage(data)), store, warnings)
    expect(session.torrents()[0]?.progress?.state).toBe('seeding')
    await session.close()
    expect(warnings.filter((w) => w.includes('state not saved'))).toHaveLength(1)
  })
})
