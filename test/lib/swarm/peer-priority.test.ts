import { describe, it, expect } from 'vitest'
import { canonicalPeerPriority, byPriority } from '../../../lib/swarm/peer-priority.js'
import { crc32c } from '../../../lib/swarm/crc32c.js'
import { UsageError } from '../../../lib/errors.js'

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], b => parseInt(b, 16))
const ascii = (s: string): Uint8Array => Uint8Array.from(s, c => c.charCodeAt(0))
const peer = (host: string, port = 6881): { host: string, port: number } => ({ host, port })

describe('crc32c', () => {
  it('matches the standard check value and RFC 3720 B.4 vectors', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0)
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283)
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa)
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c)
  })

  it('continues over split input', () => {
    const data = ascii('123456789')
    for (let cut = 0; cut <= data.length; cut++) {
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(0xe3069283)
    }
  })
})

describe('canonicalPeerPriority', () => {
  it('matches the BEP 40 example for different /16s', () => {
    expect(crc32c(hex('624C14007BD50000'))).toBe(0xec2d7224)
    expect(canonicalPeerPriority(peer('123.213.32.10'), peer('98.76.54.32'))).toBe(0xec2d7224)
    expect(canonicalPeerPriority(peer('98.76.54.32'), peer('123.213.32.10'))).toBe(0xec2d7224)
  })

  it('matches the BEP 40 example for one /24', () => {
    expect(crc32c(hex('7BD5200A7BD520EA'))).toBe(0x99568189)
    expect(canonicalPeerPriority(peer('123.213.32.10'), peer('123.213.32.234'))).toBe(0x99568189)
    expect(canonicalPeerPriority(peer('123.213.32.234'), peer('123.213.32.10'))).toBe(0x99568189)
  })

  it('hashes the sorted ports when the IPs are equal', () => {
    const p = canonicalPeerPriority(peer('230.12.123.3', 0x4d2), peer('230.12.123.3', 0x12c))
    expect(p).toBe(crc32c(hex('012c04d2')))
    expect(canonicalPeerPriority(peer('230.12.123.3', 0x12c), peer('230.12.123.3', 0x4d2))).toBe(p)
    expect(canonicalPeerPriority(peer('::ffff:230.12.123.3', 0x12c), peer('230.12.123.3', 0x4d2))).toBe(p)
  })

  it('uses FF.FF.FF.55 within one /16 and FF.FF.55.55 across /16s', () => {
    expect(canonicalPeerPriority(peer('230.12.23.1'), peer('230.12.123.3'))).toBe(crc32c(hex('e60c1701e60c7b01')))
    expect(canonicalPeerPriority(peer('230.120.23.1'), peer('230.12.123.3'))).toBe(crc32c(hex('e60c5101e6781501')))
  })

  it('uses FFFF:FFFF:FFFF:5555:… for IPv6 outside one /48', () => {
    // 2001:db8:1::1 and 2001:db9::1 share three bytes; six FF bytes, then 0x55.
    const ma = '20010db80001' + '00'.repeat(9) + '01'
    const mb = '20010db90000' + '00'.repeat(9) + '01'
    expect(canonicalPeerPriority(peer('2001:db8:1::1'), peer('2001:db9::1'))).toBe(crc32c(hex(ma + mb)))
  })

  it('adds one FF byte per further shared byte in IPv6 (/48, /56)', () => {
    // same /48: 7 FF bytes; byte 7 (0x00) and the tail masked
    expect(canonicalPeerPriority(peer('2001:db8:1:1ff::ffff'), peer('2001:db8:1:2ff::ffff')))
      .toBe(crc32c(hex('20010db80001' + '0155' + '0000000000005555' + '20010db80001' + '0255' + '0000000000005555')))
    // same /56: 8 FF bytes
    expect(canonicalPeerPriority(peer('2001:db8:1:1a0:ffff::'), peer('2001:db8:1:1b0:ffff::')))
      .toBe(crc32c(hex('20010db8000101a0' + '5555000000000000' + '20010db8000101b0' + '5555000000000000')))
  })

  it('hashes the ports of equal IPv6 addresses', () => {
    expect(canonicalPeerPriority(peer('2001:db8::1', 0x4d2), peer('2001:0db8:0::1', 0x12c))).toBe(crc32c(hex('012c04d2')))
  })

  it('maps IPv4 to ::ffff:a.b.c.d when paired with IPv6', () => {
    // ::ffff:1.2.3.4 and 2001:db8::1 share no byte: six FF bytes, then 0x55.
    const mapped = '000000000000' + '00000000' + '5555' + '01000104'
    const v6 = '20010db80000' + '000000000000000000' + '01'
    expect(canonicalPeerPriority(peer('1.2.3.4'), peer('2001:db8::1'))).toBe(crc32c(hex(mapped + v6)))
    expect(canonicalPeerPriority(peer('2001:db8::1'), peer('1.2.3.4'))).toBe(crc32c(hex(mapped + v6)))
  })

  it('is symmetric on the examples', () => {
    const pairs: Array<[string, string]> = [['10.0.0.1', '10.0.0.2'], ['10.0.0.1', '10.0.1.1'], ['10.0.0.1', '11.0.0.1'], ['::1', '1.2.3.4']]
    for (const [x, y] of pairs) expect(canonicalPeerPriority(peer(x, 1), peer(y, 2))).toBe(canonicalPeerPriority(peer(y, 2), peer(x, 1)))
  })

  it('throws typed errors for host names and bad ports', () => {
    const code = (f: () => unknown): string | undefined => {
      try { f() } catch (e) { return e instanceof UsageError ? e.code : 'untyped' }
      return undefined
    }
    expect(code(() => canonicalPeerPriority(peer('localhost'), peer('1.2.3.4')))).toBe('bad-ip')
    expect(code(() => canonicalPeerPriority(peer('1.2.3.4'), peer('1.2.3.4', 70000)))).toBe('bad-port')
    expect(code(() => canonicalPeerPriority(peer('1.2.3.4', -1), peer('1.2.3.5')))).toBe('bad-port')
  })
})

describe('byPriority', () => {
  const self = peer('123.213.32.10')

  it('sorts highest priority first and does not change its input', () => {
    const peers = [peer('98.76.54.32'), peer('123.213.32.234'), peer('8.8.8.8'), peer('123.213.32.10', 1)]
    const copy = [...peers]
    const sorted = byPriority(self, peers)
    expect(peers).toEqual(copy)
    const priorities = sorted.map(p => canonicalPeerPriority(self, p))
    expect(priorities).toEqual([...priorities].sort((x, y) => y - x))
    expect(new Set(sorted)).toEqual(new Set(peers))
    // 0xec2d7224 > 0x99568189
    expect(sorted.indexOf(peers[0]!)).toBeLessThan(sorted.indexOf(peers[1]!))
  })

  it('keeps input order on ties and puts unrankable peers last', () => {
    const a = { ...peer('98.76.54.32'), id: 'a' }
    const b = { ...peer('98.76.54.32', 9999), id: 'b' }
    const named = { ...peer('tracker.example'), id: 'named' }
    const badPort = { ...peer('1.1.1.1', 1e6), id: 'badPort' }
    expect(byPriority(self, [named, a, badPort, b]).map(p => p.id)).toEqual(['a', 'b', 'named', 'badPort'])
    expect(byPriority(self, [])).toEqual([])
  })

  it('throws when self is not an IP address', () => {
    expect(() => byPriority(peer('localhost'), [peer('1.2.3.4')])).toThrow(UsageError)
  })
})
