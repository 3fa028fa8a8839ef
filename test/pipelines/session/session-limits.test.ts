/**
 * A session's limits across its torrents (issue 14), on the memory network
 * under a virtual clock: the connection limit holds for every torrent
 * together (a torrent does not dial while the session is full; an incoming
 * connection beyond it is refused), and the upload limits hold for
 * connections routed by the session's listener, session-wide and per torrent.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { pushable } from 'it-pushable'
import { MemoryStorage } from '../../../lib/storage/memory-storage.js'
import type { Storage } from '../../../lib/storage/types.js'
import type { Duplex, PeerAddress, Transport } from '../../../lib/transport/types.js'
import { encodeHandshake, makeReserved } from '../../../lib/wire/index.js'
import { memoryNetwork, type MemoryNetwork } from '../../../operators/memory-network.js'
import { VirtualClock } from '../../../operators/virtual-clock.js'
import { download } from '../../../pipelines/download.js'
import { nodeHasher } from '../../../pipelines/node/hasher.js'
import { sessionWith, type Session, type SessionOptions } from '../../../pipelines/session/session.js'
import { createSession } from '../../../pipelines/session.js'
import { filledStorage, makeData, makeTorrent } from '../swarm-helpers.js'

type Torrent = ReturnType<typeof makeTorrent>
const settle = (): Promise<void> => new Promise<void>((resolve) => { setImmediate(resolve) })
const sessions: Session[] = []
afterEach(async () => { while (sessions.length > 0) await sessions.pop()?.close() })

/** Connections open now at listeners wrapped by {@link counted}, and the most ever open at once. */
interface Live { now: number, most: number, accepted: number }

/** `conn`, counted in `live` until its source ends or it is closed. */
function tracked (conn: Duplex, live: Live): Duplex {
  live.now++
  live.accepted++
  live.most = Math.max(live.most, live.now)
  let ended = false
  const end = (): void => { if (!ended) { ended = true; live.now-- } }
  const source = (async function * () { try { yield * conn.source } finally { end() } })()
  return { source, sink: conn.sink, close: (err) => { end(); conn.close(err) }, ...(conn.remote === undefined ? {} : { remote: conn.remote }) }
}

/** `t` whose accepted connections are counted in `live`. */
function counted (t: Transport, live: Live): Transport {
  return { dial: t.dial, listen: async (o, on) => await t.listen(o, (conn) => { on(tracked(conn, live)) }) }
}

/** A listener that accepts and reads, and never answers: a dial to it stays half-way through its handshake. */
async function blackHole (net: MemoryNetwork, host: string, live: Live): Promise<{ address: PeerAddress, conns: Duplex[] }> {
  const conns: Duplex[] = []
  const l = await net.transport(host).listen({ port: 0 }, (raw) => {
    const conn = tracked(raw, live)
    conns.push(conn)
    void (async () => { try { for await (const _ of conn.source) { /* swallowed */ } } catch {} })()
  })
  return { address: l.address, conns }
}

async function seedSession (net: MemoryNetwork, clock: VirtualClock, host: string, items: ReadonlyArray<{ torrent: Torrent, data: Uint8Array }>, options: SessionOptions & { live?: Live, uploadLimits?: readonly number[] } = {}): Promise<{ session: Session, address: PeerAddress }> {
  const storages = new Map<string, Storage>()
  for (const it of items) storages.set(it.torrent.infoHashHex, await filledStorage(it.data))
  const base = net.transport(host)
  const session = sessionWith({ port: 0, scheduler: clock, ...options }, {
    transport: options.live === undefined ? base : counted(base, options.live),
    peerId: new Uint8Array(20).fill(host.length + 0x41),
    torrentPlatform: (torrent) => ({ storage: storages.get(torrent.infoHashHex) as Storage, hasher: nodeHasher, closeStorage: false }),
    deleteData: async () => {}
  })
  sessions.push(session)
  items.forEach((it, i) => {
    const uploadLimit = options.uploadLimits?.[i]
    session.add(it.torrent, { out: '/unused', seed: true, trackers: false, pex: false, ...(uploadLimit === undefined ? {} : { uploadLimit }) })
  })
  let address: PeerAddress | undefined
  void session.listening.then((a) => { address = a })
  await clock.run({ until: () => address !== undefined && session.torrents().every((t) => t.progress?.state === 'seeding'), forMs: 0, settle })
  return { session, address: address as PeerAddress }
}

function item (length: number, seed: number): { torrent: Torrent, data: Uint8Array } {
  const data = makeData(length, seed)
  return { data, torrent: makeTorrent(data, 16384) }
}

/** A raw peer that sends a handshake for `torrent` and then nothing; `isOpen` until the session hangs up. */
async function rawPeer (net: MemoryNetwork, host: string, to: PeerAddress, torrent: Torrent): Promise<{ isOpen: () => boolean, close: () => void }> {
  const conn = await net.transport(host).dial(to)
  const out = pushable<Uint8Array>()
  out.push(encodeHandshake({ reserved: makeReserved({ fast: true, extended: true }), infoHash: torrent.infoHash, peerId: new Uint8Array(20).fill(host.length) }))
  void conn.sink(out).catch(() => {})
  let open = true
  void (async () => { try { for await (const _ of conn.source) { /* whatever the session says */ } } catch {} open = false })()
  return { isOpen: () => open, close: () => { out.end(); conn.close() } }
}

describe('the session connection limit holds across torrents', () => {
  it('while the session is full (2 of 2, one torrent dialing two silent peers) another torrent does not dial; a slot freed, it dials and completes', async () => {
    const net = memoryNetwork()
    const clock = new VirtualClock()
    const live: Live = { now: 0, most: 0, accepted: 0 }
    const b = item(12 * 16384, 81)
    const { address: seedAddress } = await seedSession(net, clock, '10.0.0.1', [b], { live })
    const holes = [await blackHole(net, '10.9.0.1', live), await blackHole(net, '10.9.0.2', live)]
    const leecher = sessionWith({ port: 0, scheduler: clock, maxConnections: 2 }, {
      transport: net.transport('10.0.0.2'),
      peerId: new Uint8Array(20).fill(0x71),
      torrentPlatform: (t) => ({ storage: new MemoryStorage(t.length), hasher: nodeHasher, closeStorage: false }),
      deleteData: async () => {}
    })
    sessions.push(leecher)
    const a = item(4 * 16384, 82)
    leecher.add(a.torrent, { out: '/unused', trackers: false, pex: false, peers: holes.map((h) => h.address) })
    await clock.run({ until: () => holes.every((h) => h.conns.length === 1), forMs: 1000, settle })
    expect(holes.map((h) => h.conns.length)).toEqual([1, 1])
    const tb = leecher.add(b.torrent, { out: '/unused', trackers: false, pex: false, peers: [seedAddress] })
    await clock.run({ until: () => false, forMs: 2000, settle })
    // The seed's listener saw nothing from the second torrent: the session was full.
    expect(live.accepted).toBe(2)
    holes[0]?.conns[0]?.close()
    await clock.run({ until: () => tb.progress?.piecesVerified === b.torrent.pieceCount, forMs: 5000, settle })
    expect(tb.progress?.piecesVerified).toBe(b.torrent.pieceCount)
    // The second torrent done, its slot is given back: the first dials its silent peer again.
    await clock.run({ until: () => holes[0]?.conns.length === 2, forMs: 5000, settle })
    expect(holes[0]?.conns.length).toBe(2)
    expect(live.most).toBeLessThanOrEqual(2)
  })

  it('an incoming connection for another torrent beyond the session limit is refused; once a connection ends, the next is admitted', async () => {
    const net = memoryNetwork()
    const clock = new VirtualClock()
    const [a, b] = [item(4 * 16384, 83), item(4 * 16384, 84)] as const
    const { address } = await seedSession(net, clock, '10.0.0.1', [a, b], { maxConnections: 1 })
    const first = await rawPeer(net, '10.0.1.1', address, a.torrent)
    await clock.run({ until: () => false, forMs: 100, settle })
    const second = await rawPeer(net, '10.0.1.2', address, b.torrent)
    await clock.run({ until: () => !second.isOpen(), forMs: 100, settle })
    expect([first.isOpen(), second.isOpen()]).toEqual([true, false])
    first.close()
    await clock.run({ until: () => false, forMs: 100, settle })
    const third = await rawPeer(net, '10.0.1.3', address, b.torrent)
    await clock.run({ until: () => false, forMs: 100, settle })
    expect(third.isOpen()).toBe(true)
    third.close()
  })

  it('setLimits raises the limit at runtime: a refused torrent gets in', async () => {
    const net = memoryNetwork()
    const clock = new VirtualClock()
    const [a, b] = [item(4 * 16384, 85), item(4 * 16384, 86)] as const
    const { session, address } = await seedSession(net, clock, '10.0.0.1', [a, b], { maxConnections: 1 })
    const first = await rawPeer(net, '10.0.1.1', address, a.torrent)
    await clock.run({ until: () => false, forMs: 100, settle })
    const refused = await rawPeer(net, '10.0.1.2', address, b.torrent)
    await clock.run({ until: () => !refused.isOpen(), forMs: 100, settle })
    expect(refused.isOpen()).toBe(false)
    session.setLimits({ maxConnections: 2 })
    const second = await rawPeer(net, '10.0.1.3', address, b.torrent)
    await clock.run({ until: () => false, forMs: 100, settle })
    expect([first.isOpen(), second.isOpen()]).toEqual([true, true])
    expect(() => { session.setLimits({ maxConnections: -3 }) }).toThrow(expect.objectContaining({ code: 'bad-limit' }))
    first.close()
    second.close()
  })
})

describe('upload limits for connections the session routes', () => {
  const KiB = 1024

  /** Download every torrent of `items` from `address` at once, each from its own host; the virtual time each took. */
  async function downloadAll (net: MemoryNetwork, clock: VirtualClock, address: PeerAddress, items: ReadonlyArray<{ torrent: Torrent }>): Promise<number[]> {
    const start = clock.now()
    const took: Array<number | undefined> = items.map(() => undefined)
    const subs = items.map((it, i) => download(it.torrent, {
      out: '', storage: new MemoryStorage(it.torrent.length), transport: net.transport(`10.0.2.${i + 1}`), hasher: nodeHasher, trackers: false, pex: false, peers: [address], scheduler: clock
    }).subscribe({ next: (p) => { if (p.piecesVerified === p.pieceCount && took[i] === undefined) took[i] = clock.now() - start } }))
    await clock.run({ until: () => took.every((t) => t !== undefined), forMs: 120_000, settle })
    for (const s of subs) s.unsubscribe()
    return took.map((t) => t ?? Infinity)
  }

  it('a torrent uploadLimit holds for a peer that came in through the session listener', async () => {
    const net = memoryNetwork()
    const clock = new VirtualClock()
    const a = item(20 * 16384, 87)
    const { address } = await seedSession(net, clock, '10.0.0.1', [a], { uploadLimits: [64 * KiB] })
    const [took] = await downloadAll(net, clock, address, [a])
    // 320 KiB at 64 KiB/s, the first second's burst free: at least 4 s.
    expect(took).toBeGreaterThanOrEqual(4000)
    expect(took).toBeLessThan(8000)
  })

  it('setTorrentLimits lifts a torrent limit at runtime, for the connection already running', async () => {
    const net = memoryNetwork()
    const clock = new VirtualClock()
    const a = item(20 * 16384, 91)
    const { session, address } = await seedSession(net, clock, '10.0.0.1', [a], { uploadLimits: [32 * KiB] })
    clock.schedule(() => { session.setTorrentLimits(a.torrent.infoHashHex, { uploadLimit: 0 }) }, 2000)
    const [took] = await downloadAll(net, clock, address, [a])
    // 320 KiB at 32 KiB/s would take 9 s; unlimited from 2 s on, it is done soon after.
    expect(took).toBeGreaterThanOrEqual(2000)
    expect(took).toBeLessThan(4000)
    expect(() => { session.setTorrentLimits(a.torrent.infoHashHex, { downloadLimit: -1 }) }).toThrow(expect.objectContaining({ code: 'bad-rate' }))
  })

  it('a session uploadLimit is shared by two torrents: together at most the limit, each about half', async () => {
    const net = memoryNetwork()
    const clock = new VirtualClock()
    const items = [item(20 * 16384, 88), item(20 * 16384, 89)]
    const { address } = await seedSession(net, clock, '10.0.0.1', items, { uploadLimit: 64 * KiB })
    const took = await downloadAll(net, clock, address, items)
    // 640 KiB at 64 KiB/s with one second of burst: at least 9 s for the pair; neither one far ahead.
    expect(Math.max(...took)).toBeGreaterThanOrEqual(9000)
    expect(Math.min(...took)).toBeGreaterThanOrEqual(7000)
    expect(Math.max(...took)).toBeLessThan(14_000)
  })
})

describe('bad limits', () => {
  it('are UsageErrors (bad-limit, bad-rate) from sessionWith, createSession, add and setLimits', async () => {
    const net = memoryNetwork()
    const platform = { transport: net.transport('10.0.0.1'), peerId: new Uint8Array(20).fill(1), torrentPlatform: () => ({ storage: new MemoryStorage(1), hasher: nodeHasher }), deleteData: async () => {} }
    expect(() => sessionWith({ port: 0, maxConnections: 0 }, platform)).toThrow(expect.objectContaining({ name: 'UsageError', code: 'bad-limit' }))
    expect(() => sessionWith({ port: 0, uploadLimit: -5 }, platform)).toThrow(expect.objectContaining({ code: 'bad-rate' }))
    expect(() => createSession({ port: 0, host: '127.0.0.1', transport: net.transport('10.0.0.2'), maxOpenFiles: 2.5 })).toThrow(expect.objectContaining({ code: 'bad-limit' }))
    const session = sessionWith({ port: 0 }, platform)
    sessions.push(session)
    const a = item(16384, 90)
    expect(() => session.add(a.torrent, { out: '/unused', downloadLimit: Number.NaN })).toThrow(expect.objectContaining({ code: 'bad-rate' }))
    expect(session.torrents()).toEqual([])
    expect(() => { session.setLimits({ maxHalfOpen: 4, uploadLimit: -1 }) }).toThrow(expect.objectContaining({ code: 'bad-rate' }))
  })
})
