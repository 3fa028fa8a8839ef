import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { classifyDatagram } from '../lib/transport/classify-datagram.js'
import { DatagramDemux } from '../lib/transport/datagram-demux.js'
import type { Datagram, DatagramSocket } from '../lib/transport/datagram.js'

const bytes = fc.uint8Array({ minLength: 0, maxLength: 120 })
/** Datagrams that look like one protocol or another at the first bytes, then random. */
const shaped = fc.oneof(
  bytes,
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff_ffff }), bytes).map(([action, tid, rest]) => {
    const b = new Uint8Array(8 + rest.length)
    new DataView(b.buffer).setUint32(0, action)
    new DataView(b.buffer).setUint32(4, tid)
    b.set(rest, 8)
    return b
  }),
  bytes.map((b) => Uint8Array.from([0x64, ...b, 0x65])),
  fc.tuple(fc.integer({ min: 0, max: 15 }), fc.uint8Array({ minLength: 19, maxLength: 60 })).map(([type, rest]) => Uint8Array.from([(type << 4) | 1, ...rest]))
)

describe('classifyDatagram and DatagramDemux properties', () => {
  it('every datagram gets exactly one verdict, a tracker one only for an awaited id', () => {
    fc.assert(fc.property(shaped, fc.boolean(), (d, awaited) => {
      const verdict = classifyDatagram(d, () => awaited)
      expect(['tracker', 'dht', 'utp', 'drop']).toContain(verdict.kind)
      if (verdict.kind === 'tracker') expect(awaited).toBe(true)
      if (verdict.kind === 'dht') expect([d[0], d[d.length - 1]]).toEqual([0x64, 0x65])
      if (verdict.kind === 'utp') expect((d[0] ?? 0) & 0x0f).toBe(1)
    }))
  })

  it('each delivered datagram reaches one consumer; delivered plus dropped counts every datagram', () => {
    fc.assert(fc.property(fc.array(shaped, { maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 5 }), (datagrams, claims) => {
      let receive: ((d: Datagram) => void) | undefined
      const socket: DatagramSocket = { address: { host: '127.0.0.1', port: 1 }, send: async () => {}, receive: (r) => { receive = r }, close: async () => {} }
      const demux = new DatagramDemux(socket)
      let heard = 0
      const next = [...claims]
      for (let i = 0; i < claims.length; i++) {
        try { demux.tracker.claim(() => next.shift() ?? 0, () => { heard++ }) } catch { /* a repeated candidate */ }
      }
      demux.attach('dht', () => { heard++ })
      demux.attach('utp', () => { heard++ })
      for (const d of datagrams) receive?.({ data: d, from: { host: '10.0.0.1', port: 2 } })
      const s = demux.stats()
      expect(s.tracker + s.dht + s.utp).toBe(heard)
      expect(heard + Object.values(s.dropped).reduce((a, b) => a + b, 0)).toBe(datagrams.length)
    }))
  })
})
