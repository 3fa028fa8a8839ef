/**
 * A session's one UDP socket: bound on the TCP listener's port, used by
 * every torrent's UDP tracker requests, closed after the `stopped`
 * announces; what happens when that UDP port is taken.
 */
import { createSocket, type Socket } from 'node:dgram'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createTorrent } from '../../../lib/metainfo/create-torrent.js'
import { parseTorrent } from '../../../lib/metainfo/parse-torrent.js'
import type { Torrent } from '../../../lib/metainfo/types.js'
import { SwarmRegistry } from '../../../lib/tracker/swarm-registry.js'
import { serveUdpPacket, type UdpRemote } from '../../../lib/tracker/serve-udp.js'
import type { DatagramSocket } from '../../../lib/transport/datagram.js'
import { memoryNetwork } from '../../../operators/memory-network.js'
import { createSession } from '../../../pipelines/session.js'
import { hmacConnectionIds, listenUdpTracker, type UdpTrackerListener } from '../../../pipelines/node/tracker-udp-server.js'
import { TransportError } from '../../../pipelines/node/tcp.js'
import { listenPortPair, type PortPair } from '../../../pipelines/session/session-udp.js'
import type { Session } from '../../../pipelines/session/session.js'
import { makeData, sha1 } from '../swarm-helpers.js'

let cleanup: Array<() => unknown> = []
afterEach(async () => { for (const f of cleanup.reverse()) await f(); cleanup = [] })

interface Announce { readonly infoHash: string, readonly event: number, readonly from: UdpRemote }

/** The project's UDP tracker on loopback, recording every announce with the address it came from. */
async function recordingTracker (): Promise<{ url: string, announces: Announce[], seen: (n: number, event: number) => Promise<void> }> {
  const registry = new SwarmRegistry()
  const connectionIds = hmacConnectionIds()
  const announces: Announce[] = []
  let wake = (): void => {}
  const listener: UdpTrackerListener = await listenUdpTracker({
    host: '127.0.0.1',
    port: 0,
    handle: (packet, remote) => {
      const b = Buffer.from(packet)
      if (b.length >= 98 && b.readUInt32BE(8) === 1) { announces.push({ infoHash: b.subarray(16, 36).toString('hex'), event: b.readUInt32BE(80), from: remote }); wake() }
      return serveUdpPacket(registry, packet, remote, Date.now(), { interval: 1800, connectionIds })
    }
  })
  cleanup.push(async () => { await listener.close() })
  const seen = async (n: number, event: number): Promise<void> => {
    while (announces.filter((a) => a.event === event).length < n) await new Promise<void>((resolve) => { wake = resolve })
  }
  return { url: `udp://127.0.0.1:${listener.address.port}/announce`, announces, seen }
}

/** A single-file torrent announcing to `tracker`, its data written under a fresh directory. */
async function seededTorrent (name: string, seed: number, tracker: string): Promise<{ torrent: Torrent, out: string }> {
  const data = makeData(3 * 16384 + seed, seed)
  const hashes = new Uint8Array(Math.ceil(data.length / 16384) * 20)
  for (let i = 0; i * 16384 < data.length; i++) hashes.set(sha1(data.subarray(i * 16384, (i + 1) * 16384)), i * 20)
  const torrent = parseTorrent(createTorrent({ name, multiFile: false, files: [{ path: [name], length: data.length }], pieceLength: 16384, pieceHashes: hashes, announce: [tracker] }), { sha1 })
  const out = await mkdtemp(join(tmpdir(), 'rxtorrent-session-udp-'))
  cleanup.push(async () => { await rm(out, { recursive: true, force: true }) })
  await mkdir(out, { recursive: true })
  await writeFile(join(out, name), data)
  return { torrent, out }
}

/** `listenPortPair` on port 0 over the memory network, the UDP port reported taken `taken` times before `socket` binds. */
async function portPairTakenFor (taken: number, socket?: DatagramSocket): Promise<{ pair: PortPair, tried: number[], warnings: string[] }> {
  const tried: number[] = []
  const warnings: string[] = []
  const pair = await listenPortPair({
    transport: memoryNetwork().transport('10.0.0.1'),
    bindUdp: async ({ port }) => {
      tried.push(port)
      if (tried.length <= taken || socket === undefined) throw new TransportError('udp-port-taken', `UDP port ${port} is taken`)
      return { ...socket, address: { host: '10.0.0.1', port } }
    },
    host: '10.0.0.1',
    port: 0,
    signal: new AbortController().signal,
    onConnection: () => {},
    warn: (m) => { warnings.push(m) }
  })
  cleanup.push(async () => { await pair.listener.close() })
  return { pair, tried, warnings }
}

describe('a session\'s UDP socket', () => {
  it('carries both torrents\' UDP announces from the session\'s port, and their stopped announces before it closes', async () => {
    const tracker = await recordingTracker()
    const items = await Promise.all([seededTorrent('one.bin', 1, tracker.url), seededTorrent('two.bin', 2, tracker.url)])
    const session: Session = createSession({ port: 0, host: '127.0.0.1' })
    let closed = false
    cleanup.push(async () => { if (!closed) await session.close() })
    for (const it of items) session.add(it.torrent, { out: it.out, seed: true, pex: false })
    const address = await session.listening
    const demux = await session.datagrams
    expect(demux?.address).toEqual({ host: '127.0.0.1', port: address.port })
    await tracker.seen(2, 2)
    const started = tracker.announces.filter((a) => a.event === 2)
    expect(new Set(started.map((a) => a.infoHash))).toEqual(new Set(items.map((it) => it.torrent.infoHashHex)))
    expect(started.map((a) => a.from.port)).toEqual([address.port, address.port])
    // The replies (two connects, two announces) came back through the demultiplexer.
    for (let turn = 0; turn < 100_000 && (demux?.stats().tracker ?? 0) < 4; turn++) await new Promise<void>((resolve) => { setImmediate(resolve) })
    expect(demux?.stats().tracker).toBeGreaterThanOrEqual(4)
    await session.close()
    closed = true
    const stopped = tracker.announces.filter((a) => a.event === 3)
    expect(stopped.map((a) => a.from.port)).toEqual([address.port, address.port])
    expect(new Set(stopped.map((a) => a.infoHash))).toEqual(new Set(items.map((it) => it.torrent.infoHashHex)))
  })

  it('a magnet\'s metadata fetch announces to its UDP tracker from the session\'s socket, with the session\'s port', async () => {
    const tracker = await recordingTracker()
    const item = await seededTorrent('magnet.bin', 5, tracker.url)
    // A seeding session gives the metadata and the data.
    const seeder = createSession({ port: 0, host: '127.0.0.1' })
    cleanup.push(async () => { await seeder.close() })
    seeder.add(item.torrent, { out: item.out, seed: true, pex: false, trackers: false })
    const seedAddress = await seeder.listening
    const out = await mkdtemp(join(tmpdir(), 'rxtorrent-session-udp-'))
    cleanup.push(async () => { await rm(out, { recursive: true, force: true }) })
    const session = createSession({ port: 0, host: '127.0.0.1' })
    cleanup.push(async () => { await session.close() })
    const address = await session.listening
    const magnet = { infoHash: item.torrent.infoHash, infoHashHex: item.torrent.infoHashHex, trackers: [tracker.url], webSeeds: [], peers: [seedAddress] }
    const t = await session.addMagnet(magnet, { out, pex: false })
    expect((await t.done)?.piecesVerified).toBe(item.torrent.pieceCount)
    await tracker.seen(1, 2)
    const fromFetch = tracker.announces.filter((a) => a.infoHash === item.torrent.infoHashHex)
    expect(fromFetch.length).toBeGreaterThan(0)
    expect(new Set(fromFetch.map((a) => a.from.port))).toEqual(new Set([address.port]))
  })

  it('a flood of garbage and forged tracker replies at the session\'s port harms no torrent\'s announce', async () => {
    const tracker = await recordingTracker()
    const items = await Promise.all([seededTorrent('three.bin', 3, tracker.url), seededTorrent('four.bin', 4, tracker.url)])
    const session = createSession({ port: 0, host: '127.0.0.1' })
    cleanup.push(async () => { await session.close() })
    const address = await session.listening
    const demux = await session.datagrams
    const attacker = createSocket('udp4')
    await new Promise<void>((resolve) => { attacker.bind(0, '127.0.0.1', resolve) })
    cleanup.push(() => { attacker.close() })
    let marked = (): void => {}
    demux?.attach('dht', () => { marked() })
    let x = 7
    const junk = (n: number): Buffer => Buffer.from(new Uint8Array(n).map(() => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x >>> 24 }))
    const forged = (tid: number, action: number): Buffer => { const b = junk(20); b.writeUInt32BE(action, 0); b.writeUInt32BE(tid, 4); return b }
    for (let batch = 0; batch < 10; batch++) {
      if (batch === 2) for (const it of items) session.add(it.torrent, { out: it.out, seed: true, pex: false })
      for (let i = 0; i < 100; i++) attacker.send(i % 2 === 0 ? junk(i % 50) : forged(i * 7919, i % 4), address.port, '127.0.0.1')
      await new Promise<void>((resolve) => { marked = resolve; attacker.send('de', address.port, '127.0.0.1') })
    }
    await tracker.seen(2, 2)
    expect(tracker.announces.filter((a) => a.event === 2).map((a) => a.from.port)).toEqual([address.port, address.port])
    const dropped = demux?.stats().dropped
    expect((dropped?.unrecognised ?? 0) + (dropped?.['unknown-transaction'] ?? 0) + (dropped?.empty ?? 0)).toBeGreaterThan(500)
  })

  it('with an explicit port whose UDP side is taken: a warning, TCP still listens, no shared socket', async () => {
    const blocker: Socket = createSocket('udp4')
    await new Promise<void>((resolve) => { blocker.bind(0, '127.0.0.1', resolve) })
    cleanup.push(() => { blocker.close() })
    const port = blocker.address().port
    const warnings: string[] = []
    const session = createSession({ port, host: '127.0.0.1', onWarning: (w) => { warnings.push(w.message) } })
    cleanup.push(async () => { await session.close() })
    expect((await session.listening).port).toBe(port)
    expect(await session.datagrams).toBeUndefined()
    expect(warnings.join('\n')).toMatch(new RegExp(`UDP socket could not be bound on 127\\.0\\.0\\.1:${port} \\(UDP port 127\\.0\\.0\\.1:${port} is taken\\)`))
  })

  it('with port 0, a taken UDP port makes it try another pair', async () => {
    const fake: DatagramSocket = { address: { host: '10.0.0.1', port: 0 }, send: async () => {}, receive: () => {}, close: async () => {} }
    const { pair, tried, warnings } = await portPairTakenFor(2, fake)
    expect(tried).toHaveLength(3)
    expect(new Set(tried).size).toBe(3)
    expect(pair.udp?.address.port).toBe(pair.listener.address.port)
    expect(warnings).toEqual([])
  })

  it('gives up after five pairs with a warning and runs without UDP', async () => {
    const { pair, tried, warnings } = await portPairTakenFor(Infinity)
    expect(tried).toHaveLength(5)
    expect(pair.udp).toBeUndefined()
    expect(warnings).toHaveLength(1)
  })
})
