import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { parseMagnet } from '../lib/magnet/parse-magnet.js'
import { MAX_SELECT_ONLY_INDEX } from '../lib/magnet/select-only.js'
import { formatMagnet } from '../lib/magnet/format-magnet.js'
import { toBase32, toHex } from '../lib/magnet/info-hash.js'
import { MagnetError } from '../lib/errors.js'
import type { Magnet } from '../lib/magnet/types.js'
import type { PeerAddress } from '../lib/transport/types.js'

const text = fc.string({ unit: 'grapheme', maxLength: 30 })
const word = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).filter((s) => !/\s/.test(s))
const peer: fc.Arbitrary<PeerAddress> = fc.record({
  host: fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()),
  port: fc.integer({ min: 1, max: 65535 })
}).map(({ host, port }) => ({ host, port }))

/** Tracker URLs parseMagnet keeps: http, https or udp, with any tail. */
const trackerUrl = fc.tuple(fc.constantFrom('http://', 'https://', 'udp://', 'HTTP://', 'Udp://'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })).map(([a, b]) => a + b)

/** Magnets in the canonical form parseMagnet produces. */
const magnetArb: fc.Arbitrary<Magnet> = fc.record({
  infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  infoHashV2: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined }),
  name: fc.option(text, { nil: undefined }),
  trackers: fc.uniqueArray(trackerUrl, { maxLength: 5 }),
  webSeeds: fc.uniqueArray(fc.webUrl(), { maxLength: 3 }),
  peers: fc.uniqueArray(peer, { maxLength: 4, selector: (p) => `${p.host}|${p.port}` }),
  selectOnly: fc.option(fc.uniqueArray(fc.nat({ max: 500 }), { minLength: 1, maxLength: 20 }).map((a) => a.sort((x, y) => x - y)), { nil: undefined }),
  exactLength: fc.option(fc.maxSafeNat(), { nil: undefined }),
  keywords: fc.option(fc.array(word, { minLength: 1, maxLength: 4 }), { nil: undefined })
}).map((r) => {
  const m: Record<string, unknown> = { infoHash: r.infoHash, infoHashHex: toHex(r.infoHash), trackers: r.trackers, webSeeds: r.webSeeds, peers: r.peers }
  for (const k of ['infoHashV2', 'name', 'selectOnly', 'exactLength', 'keywords'] as const) if (r[k] !== undefined) m[k] = r[k]
  return m as unknown as Magnet
})

function parseOrCode (uri: string): Magnet | string {
  try {
    return parseMagnet(uri)
  } catch (e) {
    expect(e).toBeInstanceOf(MagnetError)
    return (e as MagnetError).code
  }
}

describe('magnet properties', () => {
  it('format → parse round-trips', () => {
    fc.assert(fc.property(magnetArb, (m) => {
      const parsed = parseMagnet(formatMagnet(m))
      expect(parsed).toEqual(m)
      expect(Object.keys(parsed).sort()).toEqual(Object.keys(m).sort())
    }))
  })

  it('format is canonical: format(parse(format(m))) === format(m)', () => {
    fc.assert(fc.property(magnetArb, (m) => {
      const uri = formatMagnet(m)
      expect(formatMagnet(parseMagnet(uri))).toBe(uri)
    }))
  })

  it('hex (either case) and base32 (either case) give the same info-hash', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (hash) => {
      const forms = [toHex(hash), toHex(hash).toUpperCase(), toBase32(hash), toBase32(hash).toLowerCase()]
      for (const f of forms) expect(parseMagnet(`magnet:?xt=urn:btih:${f}`).infoHash).toEqual(hash)
    }))
  })

  it('parseMagnet on arbitrary strings returns a magnet or throws MagnetError only', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => { parseOrCode(s) }))
  })

  it('parseMagnet on magnet-shaped noise returns a magnet or throws MagnetError only', () => {
    const key = fc.constantFrom('xt', 'xt.1', 'dn', 'tr', 'tr.2', 'ws', 'x.pe', 'so', 'xl', 'kt', 'zz', '', '%')
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom('urn:btih:', 'urn:btmh:1220', 'urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a', '0-5,7', '1-', '[::1]:80', '1.2.3.4:6881', '%zz', '+'),
      fc.tuple(fc.constantFrom('urn:btih:', 'urn:btmh:'), fc.stringMatching(/^[0-9a-zA-Z]{0,70}$/)).map(([a, b]) => a + b)
    )
    const pair = fc.tuple(key, value).map(([k, v]) => `${k}=${v}`)
    fc.assert(fc.property(fc.array(pair, { maxLength: 12 }), (pairs) => {
      const result = parseOrCode(`magnet:?${pairs.join('&')}`)
      if (typeof result !== 'string') {
        expect(result.infoHash.length).toBe(20)
        expect(result.trackers.length).toBeLessThanOrEqual(200)
      }
    }))
  })

  it('keys in any case parse to the same magnet (XT=, Dn=, tR.1=…)', () => {
    fc.assert(fc.property(magnetArb, fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), (m, flips) => {
      const uri = formatMagnet(m)
      let n = 0
      const shouted = 'magnet:?' + uri.slice('magnet:?'.length).split('&').map((pair) => {
        const eq = pair.indexOf('=')
        const key = [...pair.slice(0, eq)].map((c) => (flips[n++ % flips.length] === true ? c.toUpperCase() : c)).join('')
        return key + pair.slice(eq)
      }).join('&')
      expect(parseMagnet(shouted)).toEqual(m)
    }))
  })

  it('so: bad items are skipped, indices beyond the bound dropped, the rest kept exactly, never an error', () => {
    const good = fc.oneof(fc.nat({ max: 2_000_000 }).map(String), fc.tuple(fc.nat({ max: 2_000_000 }), fc.nat({ max: 50 })).map(([a, d]) => `${a}-${a + d}`))
    const bad = fc.oneof(fc.constantFrom('x', '-1', '1-', '5-2', '1.5', ' 3', '0x10', '1e3', '99999999999'), fc.string({ unit: 'binary', maxLength: 8 }).filter((t) => !t.includes(',') && !t.includes('&') && !t.includes('#')))
    fc.assert(fc.property(fc.array(fc.oneof(good, bad), { maxLength: 12 }), (items) => {
      const m = parseMagnet(`magnet:?xt=urn:btih:${'ab'.repeat(20)}&so=${items.map(encodeURIComponent).join(',')}`)
      const expected = new Set<number>()
      for (const item of items) {
        const r = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(item)
        if (r === null) continue
        const first = Number(r[1])
        const last = r[2] === undefined ? first : Number(r[2])
        for (let i = first; i <= Math.min(last, MAX_SELECT_ONLY_INDEX); i++) expected.add(i)
      }
      const want = [...expected].sort((a, b) => a - b)
      expect(m.selectOnly ?? []).toEqual(want)
      for (const i of m.selectOnly ?? []) expect(i).toBeLessThanOrEqual(MAX_SELECT_ONLY_INDEX)
      const kept = items.filter((t) => t !== '' && /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(t) !== null && Number(t.split('-')[0]) <= Number(t.split('-')[1] ?? t) && Number(t.split('-')[1] ?? t) <= MAX_SELECT_ONLY_INDEX)
      if (kept.length !== items.filter((t) => t !== '').length) expect(m.warnings?.length ?? 0).toBeGreaterThan(0)
    }))
  })

  it('tr: exactly the http, https and udp URLs are kept, in order; each other one is a warning', () => {
    const other = fc.tuple(fc.constantFrom('ws://', 'wss://', 'file://', 'ftp://', 'magnet:?', 'javascript:', '', 'udp:/', 'http:'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 })).map(([a, b]) => a + b)
    fc.assert(fc.property(fc.uniqueArray(fc.oneof(trackerUrl, other), { maxLength: 15 }), (urls) => {
      const m = parseMagnet(`magnet:?xt=urn:btih:${'ab'.repeat(20)}${urls.map((u) => `&tr=${encodeURIComponent(u)}`).join('')}`)
      const usable = urls.filter((u) => /^(?:https?|udp):\/\//i.test(u))
      expect(m.trackers).toEqual(usable)
      expect(m.warnings?.length ?? 0).toBe(urls.length - usable.length)
    }))
  })
})
