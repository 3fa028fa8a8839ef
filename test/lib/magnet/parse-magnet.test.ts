import { describe, it, expect } from 'vitest'
import { parseMagnet } from '../../../lib/magnet/parse-magnet.js'
import { MagnetError } from '../../../lib/errors.js'

const HEX = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'
// The same 20 bytes in RFC 4648 base32.
const B32 = 'YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK'

function thrown (f: () => unknown): MagnetError {
  try { f() } catch (e) { expect(e).toBeInstanceOf(MagnetError); return e as MagnetError }
  throw new Error('expected a MagnetError')
}

describe('parseMagnet', () => {
  it('parses xt, dn, tr, ws, x.pe, xl, kt and so', () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}&dn=Big+Buck%20Bunny&tr=udp%3A%2F%2Ft1.example%3A80&tr=http://t2.example/announce` +
      '&ws=https%3A%2F%2Fseed.example%2F&x.pe=10.0.0.1:6881&x.pe=%5B2001:db8::1%5D:51413&x.pe=peer.example:7000' +
      '&xl=1048576&kt=big+buck+bunny&so=0,2,4-6')
    expect(m.infoHashHex).toBe(HEX)
    expect(Buffer.from(m.infoHash).toString('hex')).toBe(HEX)
    expect(m.name).toBe('Big Buck Bunny')
    expect(m.trackers).toEqual(['udp://t1.example:80', 'http://t2.example/announce'])
    expect(m.webSeeds).toEqual(['https://seed.example/'])
    expect(m.peers).toEqual([{ host: '10.0.0.1', port: 6881 }, { host: '2001:db8::1', port: 51413 }, { host: 'peer.example', port: 7000 }])
    expect(m.exactLength).toBe(1048576)
    expect(m.keywords).toEqual(['big', 'buck', 'bunny'])
    expect(m.selectOnly).toEqual([0, 2, 4, 5, 6])
  })

  it('a minimal magnet has empty lists and no optional fields', () => {
    expect(parseMagnet(`magnet:?xt=urn:btih:${HEX}`)).toEqual({
      infoHash: Uint8Array.from(Buffer.from(HEX, 'hex')), infoHashHex: HEX, trackers: [], webSeeds: [], peers: []
    })
  })

  it('base32 and upper-case hex give the same info-hash as lower-case hex', () => {
    const a = parseMagnet(`magnet:?xt=urn:btih:${HEX}`)
    expect(parseMagnet(`magnet:?xt=urn:btih:${B32}`).infoHash).toEqual(a.infoHash)
    expect(parseMagnet(`magnet:?xt=urn:btih:${B32.toLowerCase()}`).infoHash).toEqual(a.infoHash)
    expect(parseMagnet(`MAGNET:?xt=URN:BTIH:${HEX.toUpperCase()}`).infoHashHex).toBe(HEX)
  })

  it('dedupes trackers keeping their order, and reads indexed tr.1, tr.2 forms', () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}&tr.1=http://a&tr.2=http://b&tr=http://a&tr=http://c&tr=`)
    expect(m.trackers).toEqual(['http://a', 'http://b', 'http://c'])
  })

  it('keeps the first dn and xl; ignores bad xl, bad x.pe and unknown keys', () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}&dn=a&dn=b&xl=-1&xl=12&x.pe=nope&x.pe=1.2.3.4:0&x.pe=1.2.3.4:70000&x.pe=[1.2.3.4]:5&zz=1`)
    expect(m.name).toBe('a')
    expect(m.exactLength).toBe(12)
    expect(m.peers).toEqual([])
  })

  it('recognises a v2 urn:btmh: alongside btih and keeps its 32-byte hash', () => {
    const v2 = 'ab'.repeat(32)
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:1220${v2}`)
    expect(Buffer.from(m.infoHashV2 ?? []).toString('hex')).toBe(v2)
  })

  it('a v2-only magnet → MagnetError no-btih saying v1 is required', () => {
    const err = thrown(() => parseMagnet(`magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}`))
    expect(err.code).toBe('no-btih')
    expect(err.message).toMatch(/v1/)
    expect(err.disposition).toBe('reject')
  })

  it('a malformed btmh → bad-info-hash', () => {
    expect(thrown(() => parseMagnet(`magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:1114${'ab'.repeat(32)}`)).code).toBe('bad-info-hash')
  })

  it('no xt at all → no-btih', () => {
    expect(thrown(() => parseMagnet('magnet:?dn=x')).code).toBe('no-btih')
  })

  it('E52: odd-length hex in xt → bad-info-hash', () => {
    expect(thrown(() => parseMagnet(`magnet:?xt=urn:btih:${HEX.slice(0, 39)}`)).code).toBe('bad-info-hash')
    expect(thrown(() => parseMagnet(`magnet:?xt=urn:btih:${HEX}a`)).code).toBe('bad-info-hash')
  })

  it('invalid hex or base32 characters, and wrong lengths → bad-info-hash', () => {
    expect(thrown(() => parseMagnet(`magnet:?xt=urn:btih:${'g'.repeat(40)}`)).code).toBe('bad-info-hash')
    expect(thrown(() => parseMagnet(`magnet:?xt=urn:btih:${'1'.repeat(32)}`)).code).toBe('bad-info-hash')
    expect(thrown(() => parseMagnet(`magnet:?xt=urn:btih:${HEX.slice(0, 38)}`)).code).toBe('bad-info-hash')
    expect(thrown(() => parseMagnet('magnet:?xt=urn:btih:')).code).toBe('bad-info-hash')
  })

  it('two different btih → conflicting-info-hash; the same one twice is fine', () => {
    expect(parseMagnet(`magnet:?xt=urn:btih:${HEX}&xt=urn:btih:${B32}`).infoHashHex).toBe(HEX)
    expect(thrown(() => parseMagnet(`magnet:?xt=urn:btih:${HEX}&xt=urn:btih:${'0'.repeat(40)}`)).code).toBe('conflicting-info-hash')
  })

  it('trims whitespace around a pasted URI', () => {
    expect(parseMagnet(`  magnet:?xt=urn:btih:${HEX}&dn=x\n`).name).toBe('x')
  })

  it('not a magnet → not-a-magnet', () => {
    expect(thrown(() => parseMagnet(`http://x/?xt=urn:btih:${HEX}`)).code).toBe('not-a-magnet')
    expect(thrown(() => parseMagnet('')).code).toBe('not-a-magnet')
  })

  it('E52: 100 000 tr= entries → rejected as too long before any parsing', () => {
    const uri = `magnet:?xt=urn:btih:${HEX}` + '&tr=http://t'.repeat(100_000)
    expect(thrown(() => parseMagnet(uri)).code).toBe('too-long')
  })

  it('E52: entries over maxParams are dropped, not an error', () => {
    const tr = Array.from({ length: 1000 }, (_, i) => `&tr=http://t${i}`).join('')
    const pe = Array.from({ length: 1000 }, (_, i) => `&x.pe=10.0.${i >> 8}.${i & 255}:1`).join('')
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}${tr}${pe}`, { maxLength: 1 << 20 })
    expect(m.trackers).toHaveLength(200)
    expect(m.trackers[199]).toBe('http://t199')
    expect(m.peers).toHaveLength(200)
    expect(parseMagnet(`magnet:?xt=urn:btih:${HEX}${tr}`, { maxLength: 1 << 20, maxParams: 3 }).trackers).toEqual(['http://t0', 'http://t1', 'http://t2'])
  })

  it('an xt after the capped entries is still read', () => {
    const tr = Array.from({ length: 300 }, (_, i) => `&tr=http://t${i}`).join('')
    expect(parseMagnet(`magnet:?${tr.slice(1)}&xt=urn:btih:${HEX}`).infoHashHex).toBe(HEX)
  })

  it('so: a huge range is never expanded past the cap (the tolerant rules are in parse-magnet-tolerance.test.ts)', () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}&so=0-999999999`)
    expect(m.selectOnly).toHaveLength(10_000)
    expect(parseMagnet(`magnet:?xt=urn:btih:${HEX}&so=0-3`, { maxSelectOnly: 3 }).selectOnly).toEqual([0, 1, 2])
    expect(parseMagnet(`magnet:?xt=urn:btih:${HEX}&so=6,1-2,2`).selectOnly).toEqual([1, 2, 6])
  })

  it('ignores a fragment and tolerates invalid percent escapes', () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}&dn=100%25%zz#dn=other`)
    expect(m.name).toBe('100%%zz')
  })
})
