import { asyncScheduler, lastValueFrom } from 'rxjs'
import { MagnetError, StorageError } from '../../../lib/errors.js'
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../../lib/storage/memory-storage.js'
import type { Storage } from '../../../lib/storage/types.js'
import { encodeHandshake } from '../../../lib/wire/handshake.js'
import { memoryNetwork } from '../../../operators/memory-network.js'
import { download } from '../../../pipelines/download.js'
import { nodeHasher } from '../../../pipelines/node/hasher.js'
import { sessionWith, type Session } from '../../../pipelines/session/session.js'
import { fetchMetadataWith } from '../../../pipelines/fetch-metadata.js'
import { sha1 } from '../../../pipelines/node/hasher.js'
import { filledStorage, makeData, makeTorrent } from '../swarm-helpers.js'

const sessions: Session[] = []
afterEach(async () => { while (sessions.length > 0) await sessions.pop()?.close() })

async function seededSession (count: number): Promise<{ session: Session, net: ReturnType<typeof memoryNetwork>, items: Array<{ data: Uint8Array, torrent: ReturnType<typeof makeTorrent> }>, warnings: string[], removed: string[] }> {
  const net = memoryNetwork()
  const items = Array.from({ length: count }, (_, i) => { const data = makeData(20 * 16384 + i * 1000, 50 + i); return { data, torrent: makeTorrent(data, 16384) } })
  const storages = new Map<string, Storage>()
  for (const it of items) storages.set(it.torrent.infoHashHex, await filledStorage(it.data))
  const warnings: string[] = []
  const removed: string[] = []
  const session = sessionWith({ port: 0, onWarning: (w) => { warnings.push(`${w.infoHash ?? '-'} ${w.message}`) } }, {
    transport: net.transport('10.0.0.1'),
    peerId: new Uint8Array(20).fill(0x61),
    torrentPlatform: (torrent) => ({ storage: storages.get(torrent.infoHashHex) as Storage, hasher: nodeHasher, closeStorage: false }),
    deleteData: async (torrent) => { removed.push(torrent.name) }
  })
  sessions.push(session)
  for (const it of items) session.add(it.torrent, { out: '/unused', seed: true, trackers: false })
  return { session, net, items, warnings, removed }
}

describe('a session: many torrents on one port', () => {
  it('serves two torrents on one listener: each downloader gets its own torrent from the same address', async () => {
    const { session, net, items } = await seededSession(2)
    const address = await session.listening
    const results = await Promise.all(items.map(async (it, i) => {
      const out = new MemoryStorage(it.torrent.length)
      await lastValueFrom(download(it.torrent, { out: '/unused', storage: out, hasher: nodeHasher, transport: net.transport(`10.0.0.${i + 2}`), peers: [address], trackers: false }))
      return Buffer.compare(Buffer.from(await out.read(0, it.data.length)), Buffer.from(it.data))
    }))
    expect(results).toEqual([0, 0])
    expect(session.torrents().map((t) => t.id)).toEqual(items.map((it) => it.torrent.infoHashHex))
  })

  it('closes a handshake for an info-hash it lacks, quietly', async () => {
    const { session, net, warnings } = await seededSession(1)
    const address = await session.listening
    const conn = await net.transport('10.0.0.9').dial(address)
    const sent = conn.sink((async function * () { yield encodeHandshake({ reserved: new Uint8Array(8), infoHash: new Uint8Array(20).fill(3), peerId: new Uint8Array(20).fill(4) }) })())
    const got: Uint8Array[] = []
    for await (const chunk of conn.source) got.push(chunk)
    await sent.catch(() => {})
    expect(got.reduce((n, c) => n + c.length, 0)).toBe(0)
    expect(warnings).toEqual([])
  })

  it('the same torrent added twice is one torrent and a clear error; add after close is an error; remove can delete the data', async () => {
    const { session, items, removed } = await seededSession(1)
    const first = items[0]
    if (first === undefined) throw new Error('no torrent')
    expect(() => session.add(first.torrent, { out: '/unused' })).toThrow(/already in the session/)
    expect(session.torrents()).toHaveLength(1)
    await session.remove(first.torrent.infoHashHex, { deleteData: true })
    expect(removed).toEqual([first.torrent.name])
    expect(session.torrents()).toEqual([])
    await session.close()
    expect(() => session.add(first.torrent, { out: '/unused' })).toThrow(expect.objectContaining({ code: 'session-closed' }))
  })

  it('reports every torrent and the totals on progress$', async () => {
    const { session } = await seededSession(2)
    const seen = await new Promise<{ torrents: number, complete: number }>((resolve) => {
      const sub = session.progress$.subscribe(({ torrents, totals }) => {
        if (torrents.length === 2 && totals.complete === 2) { sub.unsubscribe(); resolve({ torrents: totals.torrents, complete: totals.complete }) }
      })
    })
    expect(seen).toEqual({ torrents: 2, complete: 2 })
  })
})

describe('progress$ with many torrents', () => {
  it('changes of several torrents in one turn make one emission, on the next turn of the scheduler', async () => {
    const { session, items } = await seededSession(3)
    await new Promise<void>((resolve) => { const sub = session.progress$.subscribe(({ totals }) => { if (totals.complete === 3) { sub.unsubscribe(); resolve() } }) })
    const seen: number[] = []
    const sub = session.progress$.subscribe(({ torrents }) => { seen.push(torrents.length) })
    // Each pause reports a change; paused torrents tick no more.
    for (const it of items) void session.pause(it.torrent.infoHashHex)
    expect(seen).toEqual([])
    // Queued after the emission the pauses scheduled (same delay, scheduled later).
    await new Promise<void>((resolve) => { asyncScheduler.schedule(() => { resolve() }) })
    sub.unsubscribe()
    expect(seen).toEqual([3])
  })
})

describe('checks across a session', () => {
  it('a read cache or a number of checks that is not a positive integer is a UsageError bad-limit', () => {
    const platform = { transport: memoryNetwork().transport('10.0.0.1'), peerId: new Uint8Array(20), torrentPlatform: () => { throw new Error('unused') }, deleteData: async () => {} }
    expect(() => sessionWith({ port: 0, activeChecks: 0 }, platform)).toThrow(expect.objectContaining({ name: 'UsageError', code: 'bad-limit' }))
    expect(() => sessionWith({ port: 0, readCacheBytes: 1.5 }, platform)).toThrow(expect.objectContaining({ name: 'UsageError', code: 'bad-limit' }))
  })

  it('with activeChecks 1, one torrent reads its data at a time, each check whole before the next', async () => {
    const net = memoryNetwork()
    const items = [0, 1, 2].map((i) => { const data = makeData(6 * 16384, 70 + i); return { data, torrent: makeTorrent(data, 16384) } })
    const reads: number[] = []
    const storages = new Map<string, Storage>()
    for (const [i, it] of items.entries()) {
      const inner = await filledStorage(it.data)
      storages.set(it.torrent.infoHashHex, { ...inner, read: async (o: number, l: number) => { reads.push(i); return await inner.read(o, l) }, write: inner.write.bind(inner), flush: inner.flush.bind(inner), close: async () => {} })
    }
    const session = sessionWith({ port: 0, activeChecks: 1 }, {
      transport: net.transport('10.0.0.1'),
      peerId: new Uint8Array(20).fill(0x63),
      torrentPlatform: (torrent) => ({ storage: storages.get(torrent.infoHashHex) as Storage, hasher: nodeHasher, closeStorage: false }),
      deleteData: async () => {}
    })
    sessions.push(session)
    for (const it of items) session.add(it.torrent, { out: '/unused', seed: true, trackers: false })
    await new Promise<void>((resolve) => { const sub = session.progress$.subscribe(({ totals }) => { if (totals.complete === 3) { sub.unsubscribe(); resolve() } }) })
    expect(reads).toHaveLength(18)
    // Six reads of one torrent, then six of another: never interleaved.
    const runs = reads.filter((t, i) => i === 0 || reads[i - 1] !== t)
    expect(runs).toHaveLength(3)
    expect(new Set(runs).size).toBe(3)
  })
})

describe('pause and resume', () => {
  it('a paused torrent refuses its peers (its info-hash is no longer routed); resumed, it serves again', async () => {
    const { session, net, items } = await seededSession(1)
    const address = await session.listening
    const it0 = items[0]
    if (it0 === undefined) throw new Error('no torrent')
    const id = it0.torrent.infoHashHex
    await new Promise<void>((resolve) => { const sub = session.progress$.subscribe(({ totals }) => { if (totals.complete === 1) { sub.unsubscribe(); resolve() } }) })
    session.pause(id)
    expect(session.torrents()[0]?.paused).toBe(true)
    const refused = download(it0.torrent, { out: '/unused', storage: new MemoryStorage(it0.torrent.length), hasher: nodeHasher, transport: net.transport('10.0.0.7'), peers: [address], trackers: false, connectQueue: { maxManualFailures: 1, maxFailures: 1, backoffMs: () => 1 } })
    await expect(lastValueFrom(refused)).rejects.toMatchObject({ code: 'no-peers' })
    session.resume(id)
    const out = new MemoryStorage(it0.torrent.length)
    await new Promise<void>((resolve) => { const sub = session.progress$.subscribe(({ totals }) => { if (totals.complete === 1) { sub.unsubscribe(); resolve() } }) })
    await lastValueFrom(download(it0.torrent, { out: '/unused', storage: out, hasher: nodeHasher, transport: net.transport('10.0.0.8'), peers: [address], trackers: false }))
    expect(Buffer.compare(Buffer.from(await out.read(0, it0.data.length)), Buffer.from(it0.data))).toBe(0)
  })
})

describe('one torrent failing leaves the others running', () => {
  it('a torrent whose choker throws stops with strategy-failed; the other keeps serving', async () => {
    const net = memoryNetwork()
    const items = [0, 1].map((i) => { const data = makeData(8 * 16384, 60 + i); return { data, torrent: makeTorrent(data, 16384) } })
    const storages = new Map<string, Storage>()
    for (const it of items) storages.set(it.torrent.infoHashHex, await filledStorage(it.data))
    const warnings: string[] = []
    const session = sessionWith({ port: 0, onWarning: (w) => { warnings.push(`${w.infoHash ?? '-'} ${w.message}`) } }, {
      transport: net.transport('10.0.0.1'),
      peerId: new Uint8Array(20).fill(0x63),
      torrentPlatform: (torrent) => ({ storage: storages.get(torrent.infoHashHex) as Storage, hasher: nodeHasher, closeStorage: false }),
      deleteData: async () => {}
    })
    sessions.push(session)
    const [good, bad] = items as [typeof items[0], typeof items[0]]
    session.add(good.torrent, { out: '/unused', seed: true, trackers: false })
    const broken = session.add(bad.torrent, { out: '/unused', seed: true, trackers: false, choker: { name: 'broken', decide: () => { throw new Error('no') } } })
    await broken.done
    expect(warnings.some((w) => w.startsWith(bad.torrent.infoHashHex) && w.includes('choker broken failed'))).toBe(true)
    const address = await session.listening
    const out = new MemoryStorage(good.torrent.length)
    await lastValueFrom(download(good.torrent, { out: '/unused', storage: out, hasher: nodeHasher, transport: net.transport('10.0.0.5'), peers: [address], trackers: false }))
    expect(Buffer.compare(Buffer.from(await out.read(0, good.data.length)), Buffer.from(good.data))).toBe(0)
  })

  it('a torrent whose disk is full stops with its StorageError; the other completes', async () => {
    const net = memoryNetwork()
    const items = [0, 1].map((i) => { const data = makeData(8 * 16384, 70 + i); return { data, torrent: makeTorrent(data, 16384) } })
    // A seed session serving both.
    const seeds = new Map<string, Storage>()
    for (const it of items) seeds.set(it.torrent.infoHashHex, await filledStorage(it.data))
    const seeder = sessionWith({ port: 0 }, { transport: net.transport('10.0.0.1'), peerId: new Uint8Array(20).fill(0x64), torrentPlatform: (t) => ({ storage: seeds.get(t.infoHashHex) as Storage, hasher: nodeHasher, closeStorage: false }), deleteData: async () => {} })
    sessions.push(seeder)
    for (const it of items) seeder.add(it.torrent, { out: '/unused', seed: true, trackers: false })
    const address = await seeder.listening
    // A downloading session whose second torrent's disk is full.
    const [ok, full] = items as [typeof items[0], typeof items[0]]
    const okStorage = new MemoryStorage(ok.torrent.length)
    const fullStorage = new MemoryStorage(full.torrent.length)
    fullStorage.write = async () => { throw new StorageError('disk-full', 'no space left on device (ENOSPC)') }
    const warnings: string[] = []
    const leecher = sessionWith({ port: 0, onWarning: (w) => { warnings.push(`${w.infoHash ?? '-'} ${w.message}`) } }, {
      transport: net.transport('10.0.0.2'),
      peerId: new Uint8Array(20).fill(0x65),
      torrentPlatform: (t) => ({ storage: t.infoHashHex === ok.torrent.infoHashHex ? okStorage : fullStorage, hasher: nodeHasher, closeStorage: false }),
      deleteData: async () => {}
    })
    sessions.push(leecher)
    const a = leecher.add(ok.torrent, { out: '/unused', trackers: false, peers: [address] })
    const b = leecher.add(full.torrent, { out: '/unused', trackers: false, peers: [address] })
    const [pa, pb] = await Promise.all([a.done, b.done])
    expect(pa?.piecesVerified).toBe(pa?.pieceCount)
    expect(pb?.piecesVerified ?? 0).toBeLessThan(full.torrent.pieceCount)
    expect(warnings.some((w) => w.startsWith(full.torrent.infoHashHex) && w.includes('no space left'))).toBe(true)
    expect(Buffer.compare(Buffer.from(await okStorage.read(0, ok.data.length)), Buffer.from(ok.data))).toBe(0)
  })
})

describe('magnet links in a session', () => {
  it('addMagnet fetches the metadata from the magnet\'s peer (BEP 9), then downloads', async () => {
    const { session: seedSession, net, items } = await seededSession(1)
    const address = await seedSession.listening
    const it0 = items[0]
    if (it0 === undefined) throw new Error('no torrent')
    const out = new MemoryStorage(it0.torrent.length)
    const leecher = sessionWith({ port: 0 }, {
      transport: net.transport('10.0.0.30'),
      peerId: new Uint8Array(20).fill(0x66),
      torrentPlatform: () => ({ storage: out, hasher: nodeHasher, closeStorage: false }),
      deleteData: async () => {},
      fetchMetadata: async (ih, o) => await fetchMetadataWith(ih, { ...o, sha1 })
    })
    sessions.push(leecher)
    const magnet = { infoHash: it0.torrent.infoHash, infoHashHex: it0.torrent.infoHashHex, trackers: [], webSeeds: [], peers: [address] }
    const t = await leecher.addMagnet(magnet, { out: '/unused', trackers: false })
    const final = await t.done
    expect(final?.piecesVerified).toBe(it0.torrent.pieceCount)
    expect(Buffer.compare(Buffer.from(await out.read(0, it0.data.length)), Buffer.from(it0.data))).toBe(0)
    await expect(leecher.addMagnet(magnet, { out: '/unused' })).rejects.toMatchObject({ code: 'duplicate-torrent' })
  })

  it('add takes a magnet link too, parsed or as its text, and then resolves once its metadata has come', async () => {
    const { session: seedSession, net, items } = await seededSession(2)
    const address = await seedSession.listening
    const outs = items.map((it) => new MemoryStorage(it.torrent.length))
    const leecher = sessionWith({ port: 0 }, {
      transport: net.transport('10.0.0.31'),
      peerId: new Uint8Array(20).fill(0x67),
      torrentPlatform: (torrent) => ({ storage: outs[items.findIndex((it) => it.torrent.infoHashHex === torrent.infoHashHex)] as MemoryStorage, hasher: nodeHasher, closeStorage: false }),
      deleteData: async () => {},
      fetchMetadata: async (ih, o) => await fetchMetadataWith(ih, { ...o, sha1 })
    })
    sessions.push(leecher)
    const [a, b] = items
    if (a === undefined || b === undefined) throw new Error('no torrents')
    const parsed = { infoHash: a.torrent.infoHash, infoHashHex: a.torrent.infoHashHex, trackers: [], webSeeds: [], peers: [address] }
    const text = `magnet:?xt=urn:btih:${b.torrent.infoHashHex}&x.pe=${address.host}:${address.port}`
    const added = await Promise.all([leecher.add(parsed, { out: '/unused', trackers: false }), leecher.add(text, { out: '/unused', trackers: false })])
    const finals = await Promise.all(added.map(async (t) => await t.done))
    expect(finals.map((p) => p?.piecesVerified)).toEqual([a.torrent.pieceCount, b.torrent.pieceCount])
    for (const [i, it] of items.entries()) expect(Buffer.compare(Buffer.from(await outs[i]?.read(0, it.data.length) ?? new Uint8Array()), Buffer.from(it.data))).toBe(0)
    expect(() => leecher.add('magnet:?xt=urn:btih:nothex', { out: '/unused' })).toThrow(MagnetError)
  })
})
