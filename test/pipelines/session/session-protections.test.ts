/**
 * The protections of the defects issue (11), held session-wide (issue 14):
 * the one inbound gate of a session's listener (idle timeout, a cap per
 * address, a half-open budget apart from the connection limit) counts
 * connections for every torrent together, and every torrent's files share
 * one bounded pool of descriptors (`maxOpenFiles`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { lastValueFrom } from 'rxjs'
import { pushable } from 'it-pushable'
import { LIMITS } from '../../../lib/constants.js'
import { MemoryStorage } from '../../../lib/storage/memory-storage.js'
import type { Storage } from '../../../lib/storage/types.js'
import type { PeerAddress } from '../../../lib/transport/types.js'
import { encodeHandshake, makeReserved } from '../../../lib/wire/index.js'
import { memoryNetwork, type MemoryNetwork } from '../../../operators/memory-network.js'
import { VirtualClock } from '../../../operators/virtual-clock.js'
import { download } from '../../../pipelines/download.js'
import { nodeFileSystem, type FileHandleLike } from '../../../pipelines/node/file-handle-cache.js'
import { nodeHasher } from '../../../pipelines/node/hasher.js'
import type { InboundLimits } from '../../../pipelines/inbound-gate.js'
import { createSession } from '../../../pipelines/session.js'
import { sessionWith, type Session } from '../../../pipelines/session/session.js'
import { filledStorage, makeData, makeTorrent } from '../swarm-helpers.js'

type Torrent = ReturnType<typeof makeTorrent>
const settle = (): Promise<void> => new Promise<void>((resolve) => { setImmediate(resolve) })
const sessions: Session[] = []
afterEach(async () => { while (sessions.length > 0) await sessions.pop()?.close() })

/** A session on the virtual clock seeding torrents A and B, with the given inbound limits. */
async function twoTorrentSession (net: MemoryNetwork, clock: VirtualClock, inbound?: InboundLimits): Promise<{ address: PeerAddress, a: Torrent, b: Torrent, warnings: string[] }> {
  const items = [0, 1].map((i) => { const data = makeData(4 * 16384, 90 + i); return { data, torrent: makeTorrent(data, 16384) } })
  const storages = new Map<string, Storage>()
  for (const it of items) storages.set(it.torrent.infoHashHex, await filledStorage(it.data))
  const warnings: string[] = []
  const session = sessionWith({ port: 0, scheduler: clock, onWarning: (w) => { warnings.push(w.message) }, ...(inbound === undefined ? {} : { inbound }) }, {
    transport: net.transport('10.0.0.1'),
    peerId: new Uint8Array(20).fill(0x51),
    torrentPlatform: (torrent) => ({ storage: storages.get(torrent.infoHashHex) as Storage, hasher: nodeHasher, closeStorage: false }),
    deleteData: async () => {}
  })
  sessions.push(session)
  for (const it of items) session.add(it.torrent, { out: '/unused', seed: true, trackers: false, pex: false })
  let address: PeerAddress | undefined
  void session.listening.then((x) => { address = x })
  await clock.run({ until: () => address !== undefined && session.torrents().every((t) => t.progress?.state === 'seeding'), forMs: 0, settle })
  const [a, b] = items.map((it) => it.torrent) as [Torrent, Torrent]
  return { address: address as PeerAddress, a, b, warnings }
}

/** A peer that sends `send` (nothing by default) and then waits; `isOpen` until the session hangs up. */
async function peer (net: MemoryNetwork, host: string, to: PeerAddress, send?: Uint8Array): Promise<{ isOpen: () => boolean, close: () => void }> {
  const conn = await net.transport(host).dial(to)
  const out = pushable<Uint8Array>()
  if (send !== undefined) out.push(send)
  void conn.sink(out).catch(() => {})
  let open = true
  void (async () => { try { for await (const _ of conn.source) { /* whatever the session says */ } } catch {} open = false })()
  return { isOpen: () => open, close: () => { out.end(); conn.close() } }
}

let nextId = 1
/** A handshake for `t` with a peer id of its own. */
const handshakeFor = (t: Torrent): Uint8Array => encodeHandshake({ reserved: makeReserved({ fast: true, extended: true }), infoHash: t.infoHash, peerId: new Uint8Array(20).fill(nextId++) })

describe('the session inbound gate, for every torrent together (virtual clock)', () => {
  it(`closes a connection that sends nothing after ${LIMITS.inboundIdleTimeoutMs} ms; one that sent part of a handshake keeps the ${LIMITS.handshakeTimeoutMs} ms handshake timeout`, async () => {
    const net = memoryNetwork()
    const clock = new VirtualClock()
    const { address, a } = await twoTorrentSession(net, clock)
    const start = clock.now()
    const idle = await peer(net, '10.0.3.1', address)
    const partial = await peer(net, '10.0.3.2', address, handshakeFor(a).subarray(0, 20))
    await clock.run({ until: () => false, forMs: LIMITS.inboundIdleTimeoutMs - 1, settle })
    expect(idle.isOpen()).toBe(true)
    await clock.run({ until: () => !idle.isOpen(), forMs: 1, settle })
    expect([idle.isOpen(), partial.isOpen()]).toEqual([false, true])
    await clock.run({ until: () => !partial.isOpen(), forMs: LIMITS.handshakeTimeoutMs, settle })
    expect(partial.isOpen()).toBe(false)
    expect(clock.now() - start).toBe(LIMITS.handshakeTimeoutMs)
  })

  it('caps one address across torrents: two connections for A and one for B from one host fill maxPerAddress 3; its fourth is refused, another host is not', async () => {
    const net = memoryNetwork()
    const clock = new VirtualClock()
    const { address, a, b } = await twoTorrentSession(net, clock, { maxPerAddress: 3 })
    const held = [await peer(net, '10.0.4.1', address, handshakeFor(a)), await peer(net, '10.0.4.1', address, handshakeFor(a)), await peer(net, '10.0.4.1', address, handshakeFor(b))]
    await clock.run({ until: () => false, forMs: 100, settle })
    const fourth = await peer(net, '10.0.4.1', address, handshakeFor(b))
    const other = await peer(net, '10.0.4.2', address, handshakeFor(b))
    await clock.run({ until: () => !fourth.isOpen(), forMs: 100, settle })
    expect(fourth.isOpen()).toBe(false)
    expect([...held, other].map((p) => p.isOpen())).toEqual([true, true, true, true])
    for (const p of [...held, other]) p.close()
  })

  it('one half-open budget for the session: full, its oldest idle connection is evicted for a newcomer; one that sent bytes is kept', async () => {
    const net = memoryNetwork()
    const clock = new VirtualClock()
    const { address, b, warnings } = await twoTorrentSession(net, clock, { maxHalfOpen: 3 })
    const busy = await peer(net, '10.0.5.1', address, handshakeFor(b).subarray(0, 1))
    await clock.run({ until: () => false, forMs: 100, settle })
    const old = await peer(net, '10.0.5.2', address)
    await clock.run({ until: () => false, forMs: 100, settle })
    const young = await peer(net, '10.0.5.3', address)
    await clock.run({ until: () => false, forMs: 100, settle })
    const newcomer = await peer(net, '10.0.5.4', address)
    await clock.run({ until: () => !old.isOpen(), forMs: 0, settle })
    expect(old.isOpen()).toBe(false)
    expect([busy, young, newcomer].map((p) => p.isOpen())).toEqual([true, true, true])
    // The session's handshakes fail quietly: a flood is no flood of warnings.
    expect(warnings).toEqual([])
    for (const p of [busy, young, newcomer]) p.close()
  })
})

describe('one pool of open files for every torrent of a session', () => {
  const root = mkdtempSync(join(tmpdir(), 'rxt-session-files-'))
  afterAll(() => { rmSync(root, { recursive: true, force: true }); vi.restoreAllMocks() })

  it('50 torrents of 3 files each, checked and served by a session with maxOpenFiles 16, never hold more than 16 descriptors', async () => {
    const counter = { now: 0, most: 0, opens: 0 }
    const realOpen = nodeFileSystem.open
    vi.spyOn(nodeFileSystem, 'open').mockImplementation(async (path, flags) => {
      const h = await realOpen(path, flags)
      counter.opens++
      counter.now++
      counter.most = Math.max(counter.most, counter.now)
      const wrapped: FileHandleLike = {
        read: async (buf, off, len, pos) => await h.read(buf, off, len, pos),
        writev: async (bufs, pos) => await h.writev(bufs, pos),
        sync: async () => { await h.sync() },
        close: async () => { await h.close(); counter.now-- }
      }
      return wrapped
    })
    const net = memoryNetwork()
    const items = Array.from({ length: 50 }, (_, i) => {
      const data = makeData(3 * 6000, 200 + i)
      const out = join(root, `t${i}`)
      mkdirSync(join(out, 'data'), { recursive: true })
      for (let f = 0; f < 3; f++) writeFileSync(join(out, 'data', `f${f}.bin`), data.subarray(f * 6000, (f + 1) * 6000))
      return { data, out, torrent: makeTorrent(data, 16384, [6000, 6000, 6000]) }
    })
    const session = createSession({ port: 0, host: '127.0.0.1', transport: net.transport('10.0.0.1'), maxOpenFiles: 16 })
    sessions.push(session)
    for (const it of items) session.add(it.torrent, { out: it.out, seed: true, trackers: false, pex: false, directIo: false })
    const address = await session.listening
    await new Promise<void>((resolve) => {
      const sub = session.progress$.subscribe(({ totals }) => { if (totals.complete === items.length) { sub.unsubscribe(); resolve() } })
    })
    // Served while the pool is full: downloads of ten of them at once.
    const got = await Promise.all(items.slice(0, 10).map(async (it, i) => {
      const storage = new MemoryStorage(it.data.length)
      await lastValueFrom(download(it.torrent, { out: '', storage, hasher: nodeHasher, transport: net.transport(`10.0.6.${i + 1}`), peers: [address], trackers: false, pex: false }))
      return Buffer.compare(Buffer.from(await storage.read(0, it.data.length)), Buffer.from(it.data))
    }))
    expect(got).toEqual(Array.from({ length: 10 }, () => 0))
    expect(counter.opens).toBeGreaterThanOrEqual(150)
    expect(counter.most).toBeLessThanOrEqual(16)
    expect(counter.most).toBeGreaterThan(8)
  })
})
