import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { decodePex, encodePex, pexAddressKey, type PexMessage, type PexPeer } from '../lib/extensions/ut-pex.js'
import { PexInbox, PexState } from '../lib/extensions/pex-state.js'
import { decodeTex, encodeTex, isExchangeableTrackerUrl, TexState } from '../lib/extensions/lt-tex.js'
import { decodeDontHave, encodeDontHave } from '../lib/extensions/lt-donthave.js'
import { decodeUploadOnly, encodeUploadOnly } from '../lib/extensions/upload-only.js'
import { encode } from '../lib/bencode/index.js'
import { RxTorrentError } from '../lib/errors.js'
import { formatIp } from '../lib/tracker/ip-address.js'

const v4Host = fc.tuple(fc.integer({ min: 1, max: 255 }), fc.nat(255), fc.nat(255), fc.nat(255)).map(b => b.join('.'))
/** Global unicast IPv6 (first byte 0x20), so no address is IPv4-mapped. */
const v6Host = fc.uint8Array({ minLength: 15, maxLength: 15 }).map(b => formatIp(Uint8Array.of(0x20, ...b)) as string)
const port = fc.integer({ min: 1, max: 65535 })
const flags = fc.integer({ min: 0, max: 255 })
const peersOf = (host: fc.Arbitrary<string>): fc.Arbitrary<PexPeer[]> =>
  fc.array(fc.record({ host, port, flags }), { maxLength: 50 })
const addrsOf = (host: fc.Arbitrary<string>): fc.Arbitrary<Array<{ host: string, port: number }>> =>
  fc.array(fc.record({ host, port }), { maxLength: 50 })

/** A value or one of our typed errors, never anything else. */
function total<T> (f: () => T): T | undefined {
  try { return f() } catch (e) {
    expect(e).toBeInstanceOf(RxTorrentError)
    return undefined
  }
}

describe('ut_pex codec properties', () => {
  it('round-trips messages of up to 50 peers per family', () => {
    fc.assert(fc.property(peersOf(v4Host), peersOf(v6Host), addrsOf(v4Host), addrsOf(v6Host), (a4, a6, d4, d6) => {
      const m: PexMessage = { added: [...a4, ...a6], dropped: [...d4, ...d6] }
      expect(decodePex(encodePex(m))).toEqual(m)
    }))
  })

  it('is total on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), bytes => { total(() => decodePex(bytes)) }))
  })

  it('is total on dictionaries of PEX keys with arbitrary values, and stays within its limits', () => {
    const key = fc.constantFrom('added', 'added.f', 'added6', 'added6.f', 'dropped', 'dropped6', 'x')
    const value = fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.integer(), fc.constant([]))
    fc.assert(fc.property(fc.dictionary(key, value), fc.integer({ min: 0, max: 60 }), (dict, maxPeers) => {
      const m = total(() => decodePex(encode(dict), { maxPeers }))
      if (m === undefined) return
      expect(m.added.filter(p => p.host.includes(':')).length).toBeLessThanOrEqual(maxPeers)
      expect(m.added.filter(p => !p.host.includes(':')).length).toBeLessThanOrEqual(maxPeers)
      expect(m.dropped.length).toBeLessThanOrEqual(2 * maxPeers)
      for (const p of [...m.added, ...m.dropped]) expect(pexAddressKey(p)).toBeDefined()
      for (const p of m.added) expect(p.flags).toBeLessThanOrEqual(255)
    }))
  })
})

describe('PexState model', () => {
  const universe = Array.from({ length: 160 }, (_, i) =>
    i % 3 === 0 ? { host: `2001:db8::${i.toString(16)}`, port: 1000 + i } : { host: `10.0.${i}.1`, port: 1000 + i })
  const round = fc.array(fc.record({ i: fc.nat(universe.length - 1), f: flags }), { maxLength: 160 })
    .map(xs => xs.map(({ i, f }) => ({ ...universe[i] as { host: string, port: number }, flags: f })))
  const step = fc.record({ current: round, dt: fc.integer({ min: 0, max: 120_000 }) })

  it('never exceeds its limits, and the receiver ends with exactly the sender\'s current set', () => {
    fc.assert(fc.property(fc.array(step, { maxLength: 12 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 50 }), (steps, maxAdded, maxDropped) => {
      const intervalMs = 60_000
      const sender = new PexState({ maxAdded, maxDropped, intervalMs })
      const view = new Map<string, number>()
      let now = 0
      let lastSent: number | undefined
      const deliver = (current: readonly PexPeer[]): void => {
        const m = sender.diff(current, now)
        if (m === undefined) return
        if (lastSent !== undefined) expect(now - lastSent).toBeGreaterThanOrEqual(intervalMs)
        lastSent = now
        expect(m.added.length).toBeLessThanOrEqual(maxAdded)
        expect(m.dropped.length).toBeLessThanOrEqual(maxDropped)
        const wire = decodePex(encodePex(m))
        for (const d of wire.dropped) view.delete(pexAddressKey(d) as string)
        for (const a of wire.added) view.set(pexAddressKey(a) as string, a.flags)
      }
      for (const s of steps) { now += s.dt; deliver(s.current) }
      const final = steps.at(-1)?.current ?? []
      for (let k = 0; k < Math.ceil(2 * universe.length / Math.min(maxAdded, maxDropped)) + 2; k++) { now += intervalMs; deliver(final) }
      const expected = new Map<string, number>()
      for (const p of final) { const key = pexAddressKey(p) as string; if (!expected.has(key)) expected.set(key, p.flags) }
      expect(view).toEqual(expected)
    }), { numRuns: 100 })
  })

  it('PexInbox returns at most maxPerMessage unique peers, none of them ours', () => {
    const self = [{ host: '10.0.1.1', port: 1001 }, { host: '2001:db8::3', port: 1003 }]
    fc.assert(fc.property(round, fc.integer({ min: 0, max: 60 }), (added, maxPerMessage) => {
      const got = new PexInbox({ maxPerMessage }).accept(0, { added, dropped: [] }, self)
      expect(got.length).toBeLessThanOrEqual(maxPerMessage)
      const keys = got.map(p => pexAddressKey(p))
      expect(new Set(keys).size).toBe(keys.length)
      for (const s of self) expect(keys).not.toContain(pexAddressKey(s))
    }))
  })
})

describe('lt_tex, lt_donthave and upload_only properties', () => {
  it('lt_tex round-trips exchangeable URLs (deduplicated, at most 50) and is total on arbitrary bytes', () => {
    const url = fc.oneof(fc.webUrl({ validSchemes: ['http', 'https'] }), fc.webUrl().map(u => u.replace(/^https?/, 'udp')), fc.string())
    fc.assert(fc.property(fc.array(url, { maxLength: 70 }), urls => {
      const expected = [...new Set(urls.filter(u => isExchangeableTrackerUrl(u)))].slice(0, 50)
      expect(decodeTex(encodeTex({ added: urls })).added).toEqual(expected)
    }))
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), bytes => { total(() => decodeTex(bytes)) }))
  })

  it('TexState sends every exchangeable tracker exactly once, within its limit', () => {
    fc.assert(fc.property(fc.array(fc.webUrl(), { maxLength: 120 }), fc.integer({ min: 1, max: 50 }), (urls, maxPerMessage) => {
      const s = new TexState({ maxPerMessage })
      const sent: string[] = []
      for (let k = 0; k < 130; k++) {
        const m = s.diff(urls, k * 60_000)
        if (m !== undefined) { expect(m.added.length).toBeLessThanOrEqual(maxPerMessage); sent.push(...m.added) }
      }
      expect(sent).toEqual([...new Set(urls.filter(u => isExchangeableTrackerUrl(u)))])
    }), { numRuns: 50 })
  })

  it('lt_donthave and upload_only round-trip and are total on arbitrary bytes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), i => { expect(decodeDontHave(encodeDontHave(i))).toBe(i) }))
    fc.assert(fc.property(fc.boolean(), b => { expect(decodeUploadOnly(encodeUploadOnly(b))).toBe(b) }))
    fc.assert(fc.property(fc.uint8Array({ maxLength: 8 }), fc.option(fc.nat()), (bytes, count) => {
      const piece = total(() => decodeDontHave(bytes, count ?? undefined))
      if (piece !== undefined) { expect(bytes.length).toBe(4); if (count !== null) expect(piece).toBeLessThan(count) }
      const flag = total(() => decodeUploadOnly(bytes))
      if (flag !== undefined) expect(bytes.length).toBe(1)
    }))
  })
})
