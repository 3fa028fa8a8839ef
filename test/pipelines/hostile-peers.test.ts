import { describe, expect, it } from 'vitest'
import type { Duplex, PeerAddress } from '../../lib/transport/types.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import { encodeHandshake, encodeMessage, makeReserved } from '../../lib/wire/index.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { seed } from '../../pipelines/seed.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import type { TorrentWarning } from '../../pipelines/types.js'
import { filledStorage, finish, makeData, makeTorrent } from './swarm-helpers.js'

/**
 * One hostile peer next to an honest seeder: whatever the hostile peer sends,
 * its session ends with a reason, and the download completes from the other.
 */
type Torrent = ReturnType<typeof makeTorrent>

function u32 (n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n)
  return b
}

/** A listener that answers the handshake, then sends `attack(torrent)` and keeps the connection open. */
async function hostile (net: ReturnType<typeof memoryNetwork>, torrent: Torrent, attack: (t: Torrent) => Uint8Array[]): Promise<PeerAddress> {
  const listener = await net.transport('hostile').listen({ port: 0 }, (conn: Duplex) => {
    const frames = [
      encodeHandshake({ reserved: makeReserved({ fast: true }), infoHash: torrent.infoHash, peerId: new TextEncoder().encode('-EV0001-000000000000') }),
      ...attack(torrent)
    ]
    void conn.sink((async function * () {
      yield * frames
      await new Promise(() => {}) // stay connected: the downloader must be the one to hang up
    })()).catch(() => {})
    void (async () => { for await (const _ of conn.source) { /* drain */ } })().catch(() => {})
  })
  return listener.address
}

const attacks: Array<[string, (t: Torrent) => Uint8Array[], RegExp]> = [
  ['a length prefix over the limit (C30)', () => [u32(0xfffffff0)], /too large|message-too-large|exceeds/i],
  ['a bitfield of the wrong size (C33)', (t) => [encodeMessage({ type: 'bitfield', bits: new Uint8Array(Math.ceil(t.pieceCount / 8) + 1) })], /bitfield/i],
  ['a bitfield with spare bits set (C33)', (t) => [encodeMessage({ type: 'bitfield', bits: new Uint8Array(Math.ceil(t.pieceCount / 8)).fill(0xff) })], /spare/i],
  ['a have for a piece out of range (C34)', (t) => [encodeMessage({ type: 'have-none' }), encodeMessage({ type: 'have', index: t.pieceCount + 5 })], /range|have/i],
  ['an unknown message id (C31)', () => [encodeMessage({ type: 'have-none' }), encodeMessage({ type: 'unknown', id: 0xff, payload: new Uint8Array(3) })], /unknown/i],
  ['a piece nobody requested, then one outside the torrent (C38)', (t) => [encodeMessage({ type: 'have-none' }), encodeMessage({ type: 'piece', index: t.pieceCount, begin: 0, block: new Uint8Array(16) })], /piece|outside/i]
]

describe('hostile peers beside an honest seeder', () => {
  for (const [name, attack, reason] of attacks) {
    it(`${name}: that peer is dropped with a reason, the download completes`, async () => {
      const data = makeData(6 * 16384 + 77, 31)
      const torrent = makeTorrent(data, 16384)
      const net = memoryNetwork()
      const bad = await hostile(net, torrent, attack)
      let resolve!: (a: PeerAddress) => void
      const listening = new Promise<PeerAddress>((r) => { resolve = r })
      const sub = seed(torrent, { data: '', storage: await filledStorage(data), transport: net.transport('seed'), port: 0, hasher: nodeHasher, onListening: resolve }).subscribe()
      const good = await listening
      const warnings: TorrentWarning[] = []
      const out = new MemoryStorage(data.length)
      const last = await finish(download(torrent, { out: '', storage: out, transport: net.transport('leech'), peers: [bad, good], hasher: nodeHasher, onWarning: (w) => warnings.push(w) }))
      sub.unsubscribe()
      expect(last.piecesVerified).toBe(torrent.pieceCount)
      expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
      const dropped = warnings.filter((w) => w.peer?.startsWith('hostile:'))
      expect(dropped.length).toBeGreaterThan(0)
      expect(dropped.map((w) => w.message).join('\n')).toMatch(reason)
    })
  }

  it('a peer flooding requests while choked is disconnected (C37); the seed keeps serving others', async () => {
    const data = makeData(4 * 16384, 41)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const warnings: TorrentWarning[] = []
    let resolve!: (a: PeerAddress) => void
    const listening = new Promise<PeerAddress>((r) => { resolve = r })
    const sub = seed(torrent, { data: '', storage: await filledStorage(data), transport: net.transport('seed'), port: 0, hasher: nodeHasher, onListening: resolve, onWarning: (w) => warnings.push(w) }).subscribe()
    const addr = await listening
    const conn = await net.transport('flooder').dial(addr)
    const flood: Uint8Array[] = [encodeHandshake({ reserved: makeReserved({}), infoHash: torrent.infoHash, peerId: new TextEncoder().encode('-EV0001-111111111111') })]
    for (let i = 0; i < 400; i++) flood.push(encodeMessage({ type: 'request', index: 0, begin: 0, length: 16384 + (i % 2) }))
    void conn.sink((async function * () { yield * flood; await new Promise(() => {}) })()).catch(() => {})
    const received: Uint8Array[] = []
    for await (const chunk of conn.source) received.push(chunk)
    // The seed hung up on the flooder; an honest leecher still gets everything.
    const out = new MemoryStorage(data.length)
    const last = await finish(download(torrent, { out: '', storage: out, transport: net.transport('leech'), peers: [addr], hasher: nodeHasher }))
    sub.unsubscribe()
    expect(warnings.some((w) => w.peer?.startsWith('flooder:') && /choked/i.test(w.message))).toBe(true)
    expect(last.piecesVerified).toBe(4)
  })
})
