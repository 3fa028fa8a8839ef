import { describe, expect, it } from 'vitest'
import { DatagramDemux } from '../../../lib/transport/datagram-demux.js'
import type { Datagram, DatagramSocket } from '../../../lib/transport/datagram.js'
import type { PeerAddress } from '../../../lib/transport/types.js'
import { krpc, trackerReplies, utpPacket, UTP } from './datagram-fixtures.js'

/** A socket in memory: the test pushes datagrams in and reads what was sent. */
function fakeSocket (): DatagramSocket & { push: (data: Uint8Array, from?: PeerAddress) => void, sent: Array<{ data: Uint8Array, to: PeerAddress }>, closed: boolean } {
  let receiver: ((d: Datagram) => void) | undefined
  const s = {
    address: { host: '127.0.0.1', port: 6881 },
    sent: [] as Array<{ data: Uint8Array, to: PeerAddress }>,
    closed: false,
    send: async (data: Uint8Array, to: PeerAddress) => { s.sent.push({ data, to }) },
    receive: (r: (d: Datagram) => void) => { receiver = r },
    close: async () => { s.closed = true },
    push: (data: Uint8Array, from: PeerAddress = { host: '10.0.0.9', port: 6969 }) => { receiver?.({ data, from }) }
  }
  return s
}

/** Seeded candidate transaction ids. */
function seeded (seed: number): () => number {
  let x = seed >>> 0
  return () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x }
}

describe('DatagramDemux', () => {
  it('routes each datagram to exactly one consumer: the transaction waiting for its id, the DHT, uTP', () => {
    const socket = fakeSocket()
    const demux = new DatagramDemux(socket)
    const got: Record<string, Uint8Array[]> = { a: [], b: [], dht: [], utp: [] }
    const a = demux.tracker.claim(seeded(1), (d) => { got.a?.push(d.data) })
    const b = demux.tracker.claim(seeded(2), (d) => { got.b?.push(d.data) })
    demux.attach('dht', (d) => { got.dht?.push(d.data) })
    demux.attach('utp', (d) => { got.utp?.push(d.data) })
    socket.push(trackerReplies(a).connect as Uint8Array)
    socket.push(trackerReplies(b).announce as Uint8Array)
    socket.push(trackerReplies(b).error as Uint8Array)
    socket.push(krpc.query as Uint8Array)
    socket.push(utpPacket(UTP.SYN))
    expect(got.a).toHaveLength(1)
    expect(got.b).toHaveLength(2)
    expect(got.dht).toHaveLength(1)
    expect(got.utp).toHaveLength(1)
    expect(demux.stats()).toMatchObject({ tracker: 3, dht: 1, utp: 1 })
  })

  it('routes a reply with an unknown or released transaction id to no one, and counts it', () => {
    const socket = fakeSocket()
    const demux = new DatagramDemux(socket)
    const got: number[] = []
    const tid = demux.tracker.claim(seeded(3), () => { got.push(1) })
    socket.push(trackerReplies((tid + 1) >>> 0).connect as Uint8Array)
    demux.tracker.release(tid)
    socket.push(trackerReplies(tid).connect as Uint8Array)
    expect(got).toEqual([])
    expect(demux.stats().dropped['unknown-transaction']).toBe(2)
    expect(demux.pendingTransactions).toBe(0)
  })

  it('never hands out a transaction id twice, even when the candidates repeat', () => {
    const demux = new DatagramDemux(fakeSocket())
    const first = demux.tracker.claim(() => 5, () => {})
    expect(first).toBe(5)
    const values = [5, 5, 9]
    expect(demux.tracker.claim(() => values.shift() ?? 0, () => {})).toBe(9)
    expect(() => demux.tracker.claim(() => 5, () => {})).toThrow(expect.objectContaining({ code: 'no-transaction-id' }))
  })

  it('caps the transactions waiting at once', () => {
    const demux = new DatagramDemux(fakeSocket(), { maxTransactions: 3 })
    const next = seeded(4)
    for (let i = 0; i < 3; i++) demux.tracker.claim(next, () => {})
    expect(() => demux.tracker.claim(next, () => {})).toThrow(expect.objectContaining({ code: 'too-many-transactions' }))
  })

  it('drops DHT and uTP datagrams while no consumer is attached; a detached consumer hears nothing more', () => {
    const socket = fakeSocket()
    const demux = new DatagramDemux(socket)
    socket.push(krpc.response as Uint8Array)
    socket.push(utpPacket(UTP.DATA, 10))
    const heard: number[] = []
    const detach = demux.attach('dht', () => { heard.push(1) })
    socket.push(krpc.response as Uint8Array)
    detach()
    socket.push(krpc.response as Uint8Array)
    expect(heard).toEqual([1])
    expect(demux.stats().dropped['no-consumer']).toBe(3)
  })

  it('survives a consumer that throws: that datagram is lost, the next is delivered', () => {
    const socket = fakeSocket()
    const demux = new DatagramDemux(socket)
    let calls = 0
    demux.attach('utp', () => { calls++; if (calls === 1) throw new Error('boom') })
    socket.push(utpPacket(UTP.STATE))
    socket.push(utpPacket(UTP.STATE))
    expect(calls).toBe(2)
    expect(demux.stats()).toMatchObject({ utp: 1, dropped: { 'consumer-failed': 1 } })
  })

  it('takes a flood of 100 000 garbage datagrams without delivering one, then still routes a real reply', () => {
    const socket = fakeSocket()
    const demux = new DatagramDemux(socket)
    const got: number[] = []
    const tid = demux.tracker.claim(seeded(6), () => { got.push(1) })
    const next = seeded(7)
    for (let i = 0; i < 100_000; i++) {
      const d = new Uint8Array(i % 40).map(() => next() >>> 24)
      // Never the awaited id: the garbage is shaped as a reply to someone else at times.
      if (d.length >= 8 && new DataView(d.buffer).getUint32(4) === tid) continue
      socket.push(d)
    }
    socket.push(trackerReplies(tid).announce as Uint8Array)
    expect(got).toEqual([1])
    const s = demux.stats()
    expect(s.tracker).toBe(1)
    const dropped = Object.values(s.dropped).reduce((a, b) => a + b, 0)
    expect(dropped + s.dht + s.utp).toBeGreaterThan(99_000)
  })

  it('sends through the socket and closes it', async () => {
    const socket = fakeSocket()
    const demux = new DatagramDemux(socket)
    await demux.tracker.send(new Uint8Array([1, 2]), { host: '10.0.0.2', port: 80 })
    await demux.send(new Uint8Array([3]), { host: '10.0.0.3', port: 81 })
    expect(socket.sent.map((s) => s.to.port)).toEqual([80, 81])
    expect(demux.address).toEqual({ host: '127.0.0.1', port: 6881 })
    await demux.close()
    expect(socket.closed).toBe(true)
  })
})
