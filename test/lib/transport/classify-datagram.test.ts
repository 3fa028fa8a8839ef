import { describe, expect, it } from 'vitest'
import { LIMITS } from '../../../lib/constants.js'
import { classifyDatagram } from '../../../lib/transport/classify-datagram.js'
import { krpc, trackerReplies, utpPacket, UTP } from './datagram-fixtures.js'

const waiting = (tid: number) => (t: number): boolean => t === tid

describe('classifyDatagram', () => {
  it('sends every BEP 15 reply (connect, announce, scrape, error) whose transaction id is awaited to the tracker', () => {
    for (const [name, d] of Object.entries(trackerReplies(0xdeadbeef))) {
      expect(classifyDatagram(d, waiting(0xdeadbeef)), name).toEqual({ kind: 'tracker', transactionId: 0xdeadbeef })
    }
  })

  it('drops a tracker-shaped reply whose transaction id no one awaits', () => {
    for (const d of Object.values(trackerReplies(7))) {
      expect(classifyDatagram(d, waiting(8))).toEqual({ kind: 'drop', reason: 'unknown-transaction' })
    }
  })

  it('does not take an action above 3 for a tracker reply', () => {
    const d = trackerReplies(7).error as Uint8Array
    const wrong = d.slice()
    wrong[3] = 4
    expect(classifyDatagram(wrong, () => true)).toEqual({ kind: 'drop', reason: 'unrecognised' })
  })

  it('sends KRPC queries, responses and errors to the DHT', () => {
    for (const d of Object.values(krpc)) expect(classifyDatagram(d, () => true)).toEqual({ kind: 'dht' })
  })

  it('sends uTP SYN, DATA, STATE, FIN and RESET to uTP', () => {
    for (const type of Object.values(UTP)) {
      expect(classifyDatagram(utpPacket(type, type === UTP.DATA ? 100 : 0), () => true)).toEqual({ kind: 'utp', packetType: type })
    }
  })

  it('drops uTP-looking packets of another version, an unknown type or a short header', () => {
    expect(classifyDatagram(utpPacket(UTP.SYN, 0, 2), () => true).kind).toBe('drop')
    expect(classifyDatagram(utpPacket(5), () => true).kind).toBe('drop')
    expect(classifyDatagram(utpPacket(UTP.STATE).subarray(0, 19), () => true).kind).toBe('drop')
  })

  it('drops empty, 1-byte, garbage and oversized datagrams with their reason', () => {
    expect(classifyDatagram(new Uint8Array(0), () => true)).toEqual({ kind: 'drop', reason: 'empty' })
    for (const b of [0x00, 0x01, 0x41, 0x64, 0xff]) {
      expect(classifyDatagram(new Uint8Array([b]), () => true), `byte ${b}`).toEqual({ kind: 'drop', reason: 'unrecognised' })
    }
    expect(classifyDatagram(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'), () => true)).toEqual({ kind: 'drop', reason: 'unrecognised' })
    // A dictionary cut short (no closing `e`) is not passed to the DHT.
    expect(classifyDatagram((krpc.query as Uint8Array).subarray(0, 20), () => true)).toEqual({ kind: 'drop', reason: 'unrecognised' })
    const big = new Uint8Array(LIMITS.maxDatagramLength + 1)
    big[0] = 0x64
    big[big.length - 1] = 0x65
    expect(classifyDatagram(big, () => true)).toEqual({ kind: 'drop', reason: 'oversized' })
    expect(classifyDatagram(krpc.query as Uint8Array, () => true, { maxLength: 10 })).toEqual({ kind: 'drop', reason: 'oversized' })
  })

  it('reads a datagram that is a view into a larger buffer at its own offset', () => {
    const reply = trackerReplies(42).connect as Uint8Array
    const backing = new Uint8Array(reply.length + 5).fill(0x64)
    backing.set(reply, 3)
    expect(classifyDatagram(backing.subarray(3, 3 + reply.length), waiting(42))).toEqual({ kind: 'tracker', transactionId: 42 })
  })

  it('gives a verdict for every byte string of length 0 to 40 with seeded contents, never throwing', () => {
    let x = 12345
    for (let n = 0; n <= 40; n++) {
      for (let k = 0; k < 50; k++) {
        const d = new Uint8Array(n).map(() => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x >>> 24 })
        expect(['tracker', 'dht', 'utp', 'drop']).toContain(classifyDatagram(d, () => k % 2 === 0).kind)
      }
    }
  })
})
