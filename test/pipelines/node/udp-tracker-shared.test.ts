/**
 * The UDP tracker client over a shared socket (a session's): requests of
 * several clients leave from one port, transaction ids never collide, and
 * hostile replies to one client neither crash anything nor disturb another.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { DatagramDemux } from '../../../lib/transport/datagram-demux.js'
import type { AnnounceRequest } from '../../../lib/tracker/types.js'
import { bindUdpSocket } from '../../../pipelines/node/udp-socket.js'
import { udpTrackerClient, type UdpTrackerClient } from '../../../pipelines/node/udp-tracker-client.js'

interface Packet { readonly msg: Buffer, readonly from: RemoteInfo }

/** A UDP tracker on loopback whose packets the test answers by hand. */
class ScriptedTracker {
  readonly socket: Socket = createSocket('udp4')
  readonly seen: Packet[] = []
  private readonly queue: Packet[] = []
  private wake: (() => void) | undefined
  constructor () { this.socket.on('message', (msg, from) => { this.seen.push({ msg, from }); this.queue.push({ msg, from }); this.wake?.() }) }
  async listen (): Promise<string> {
    await new Promise<void>((resolve) => { this.socket.bind(0, '127.0.0.1', resolve) })
    return `udp://127.0.0.1:${this.socket.address().port}/announce`
  }

  async next (): Promise<Packet> {
    while (this.queue.length === 0) await new Promise<void>((resolve) => { this.wake = resolve })
    return this.queue.shift() as Packet
  }

  send (to: RemoteInfo, bytes: Uint8Array): void { this.socket.send(bytes, to.port, to.address) }
}

const tidOf = (p: Packet): number => p.msg.readUInt32BE(12)
const infoHashOf = (p: Packet): string => p.msg.subarray(16, 36).toString('hex')
const connectReply = (tid: number): Buffer => { const b = Buffer.alloc(16); b.writeUInt32BE(0, 0); b.writeUInt32BE(tid, 4); b.writeBigUInt64BE(77n, 8); return b }
const announceReply = (tid: number, port: number): Buffer => {
  const b = Buffer.alloc(26)
  b.writeUInt32BE(1, 0); b.writeUInt32BE(tid, 4); b.writeUInt32BE(900, 8); b.writeUInt32BE(1, 12); b.writeUInt32BE(1, 16)
  b.set([10, 0, 0, 1], 20); b.writeUInt16BE(port, 24)
  return b
}
const request = (fill: number): AnnounceRequest => ({ infoHash: new Uint8Array(20).fill(fill), peerId: new Uint8Array(20).fill(0x2d), port: 6881, uploaded: 0, downloaded: 0, left: 1, event: 'started' })
/** Ids 1, 2, 3… for each client alike: on a shared socket they must still come out distinct. */
const counting = (): () => number => { let n = 0; return () => ++n }

let cleanup: Array<() => unknown> = []
afterEach(async () => { for (const f of cleanup.reverse()) await f(); cleanup = [] })

async function setup (): Promise<{ demux: DatagramDemux, tracker: ScriptedTracker, url: string, clients: [UdpTrackerClient, UdpTrackerClient] }> {
  const demux = new DatagramDemux(await bindUdpSocket({ host: '127.0.0.1', port: 0 }))
  const tracker = new ScriptedTracker()
  const url = await tracker.listen()
  const make = (): UdpTrackerClient => udpTrackerClient({ datagrams: demux.tracker, transactionId: counting(), retransmitBaseMs: 60_000 })
  const clients: [UdpTrackerClient, UdpTrackerClient] = [make(), make()]
  cleanup.push(async () => { await demux.close() }, () => { tracker.socket.close() }, async () => { for (const c of clients) await c.close() })
  return { demux, tracker, url, clients }
}

describe('udpTrackerClient over a shared socket', () => {
  it('sends every request of two clients from the shared port, with transaction ids that never collide', async () => {
    const { demux, tracker, url, clients } = await setup()
    const done = clients.map(async (c, i) => await c.announce(url, request(0xa0 + i)))
    const connects = [await tracker.next(), await tracker.next()]
    for (const c of connects) tracker.send(c.from, connectReply(tidOf(c)))
    const announces = [await tracker.next(), await tracker.next()]
    for (const a of announces) tracker.send(a.from, announceReply(tidOf(a), 1000 + (infoHashOf(a) === 'a0'.repeat(20) ? 0 : 1)))
    const [a, b] = await Promise.all(done)
    expect(a?.peers).toEqual([{ host: '10.0.0.1', port: 1000 }])
    expect(b?.peers).toEqual([{ host: '10.0.0.1', port: 1001 }])
    expect(new Set(tracker.seen.map((p) => p.from.port))).toEqual(new Set([demux.address.port]))
    const tids = tracker.seen.map(tidOf)
    expect(new Set(tids).size).toBe(4)
    expect(demux.pendingTransactions).toBe(0)
  })

  it('ignores truncated replies, wrong actions, strangers and a flood of garbage aimed at one client; the other is not disturbed', async () => {
    const { demux, tracker, url, clients } = await setup()
    const stranger = createSocket('udp4')
    await new Promise<void>((resolve) => { stranger.bind(0, '127.0.0.1', resolve) })
    cleanup.push(() => { stranger.close() })
    const victim = clients[0].announce(url, request(0xb0))
    const c = await tracker.next()
    const tid = tidOf(c)
    tracker.send(c.from, connectReply(tid).subarray(0, 12)) // truncated
    tracker.send(c.from, announceReply(tid, 1)) // wrong action for a connect
    stranger.send(connectReply(tid), c.from.port, c.from.address) // wrong sender
    // 2000 datagrams of garbage, in batches the socket's receive buffer holds, each followed by a KRPC-shaped marker.
    let x = 99
    let marked: (() => void) | undefined
    demux.attach('dht', () => { marked?.() })
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 100; i++) {
        const junk = Buffer.alloc(i % 64).map(() => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x >>> 24 })
        if (junk[0] === 0x64) junk[0] = 0xff
        tracker.send(c.from, junk)
      }
      await new Promise<void>((resolve) => { marked = resolve; tracker.send(c.from, Buffer.from('de')) })
    }
    // Meanwhile the other client's whole announce goes through.
    const other = clients[1].announce(url, request(0xb1))
    const c2 = await tracker.next()
    tracker.send(c2.from, connectReply(tidOf(c2)))
    const a2 = await tracker.next()
    tracker.send(a2.from, announceReply(tidOf(a2), 2002))
    expect((await other).peers).toEqual([{ host: '10.0.0.1', port: 2002 }])
    // The victim still completes once the real replies come.
    tracker.send(c.from, connectReply(tid))
    const a = await tracker.next()
    tracker.send(a.from, announceReply(tidOf(a), 3003).subarray(0, 19)) // truncated announce
    tracker.send(a.from, announceReply(tidOf(a), 3003))
    expect((await victim).peers).toEqual([{ host: '10.0.0.1', port: 3003 }])
    const dropped = demux.stats().dropped
    expect(dropped.unrecognised + dropped['unknown-transaction'] + dropped.empty).toBeGreaterThan(1000)
  })

  it('a client closed mid-request fails it with closed and releases its ids; the shared socket stays open for others', async () => {
    const { demux, tracker, url, clients } = await setup()
    const pending = clients[0].announce(url, request(0xc0)).catch((e: unknown) => e)
    await tracker.next()
    await clients[0].close()
    expect(await pending).toMatchObject({ code: 'closed' })
    expect(demux.pendingTransactions).toBe(0)
    const ok = clients[1].announce(url, request(0xc1))
    const c = await tracker.next()
    tracker.send(c.from, connectReply(tidOf(c)))
    const a = await tracker.next()
    tracker.send(a.from, announceReply(tidOf(a), 4004))
    expect((await ok).peers).toHaveLength(1)
  })

  it('a send that fails (an IPv6 tracker from an IPv4 socket) fails the request with unreachable, not a crash', async () => {
    const { clients } = await setup()
    const r = await clients[0].announce('udp://[::1]:9/announce', request(0xd0)).catch((e: unknown) => e)
    expect(r).toMatchObject({ name: 'TrackerError', code: 'unreachable' })
  })
})
