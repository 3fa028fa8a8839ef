import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BencodeError } from '../lib/errors.js'
import { toHex } from '../lib/magnet/info-hash.js'
import { decodeCompactPeers, encodeCompactPeers } from '../lib/tracker/compact-peers.js'
import { buildAnnounceUrl, parseAnnounceResponse, parseScrapeResponse } from '../lib/tracker/http-codec.js'
import { encodeAnnounceResponse, encodeScrapeResponse, parseAnnounceQuery, parseScrapeQuery } from '../lib/tracker/http-server-codec.js'
import { formatIp, parseIp } from '../lib/tracker/ip-address.js'
import { TrackerError } from '../lib/tracker/tracker-error.js'
import type { AnnounceRequest, TrackerPeer } from '../lib/tracker/types.js'
import { decodeUdpResponse, encodeAnnounceRequest, encodeConnectRequest, encodeScrapeRequest, type UdpResponse } from '../lib/tracker/udp-codec.js'
import { decodeUdpRequest, encodeUdpResponse } from '../lib/tracker/udp-server-codec.js'

const b20 = fc.uint8Array({ minLength: 20, maxLength: 20 })
const u32 = fc.integer({ min: 0, max: 0xffffffff })
const port = fc.integer({ min: 1, max: 65535 })
const v4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map(b => formatIp(b) as string)
const v6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(b => formatIp(b) as string)
  .filter(h => parseIp(h)?.family === 6 && !/^::ffff:/.test(h) && !h.startsWith('::ffff:'))
const peer = (host: fc.Arbitrary<string>): fc.Arbitrary<TrackerPeer> => fc.record({ host, port })
const count = fc.integer({ min: 0, max: 2 ** 40 })
const event = fc.constantFrom('started' as const, 'completed' as const, 'stopped' as const, 'none' as const)

const announceRequest: fc.Arbitrary<AnnounceRequest> = fc.record({
  infoHash: b20, peerId: b20, port, uploaded: count, downloaded: count, left: count, event,
  key: fc.option(u32, { nil: undefined }),
  numwant: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
  ip: fc.option(v4, { nil: undefined })
}, { requiredKeys: ['infoHash', 'peerId', 'port', 'uploaded', 'downloaded', 'left', 'event'] })

const strip = <T extends object>(o: T): T => JSON.parse(JSON.stringify(o, (_k, v: unknown) => v instanceof Uint8Array ? toHex(v) : v)) as T

function typedOnly (f: () => unknown): void {
  try { f() } catch (e) {
    if (!(e instanceof TrackerError) && !(e instanceof BencodeError)) throw e
  }
}

describe('tracker codecs round-trip', () => {
  it('compact peers (BEP 23, BEP 7)', () => {
    fc.assert(fc.property(fc.array(peer(v4), { maxLength: 30 }), fc.array(peer(v6), { maxLength: 30 }), (p4, p6) => {
      const all = [...p4, ...p6]
      expect(decodeCompactPeers(encodeCompactPeers(all, 4), 4)).toEqual(p4)
      expect(decodeCompactPeers(encodeCompactPeers(all, 6), 6)).toEqual(p6)
    }))
  })

  it('HTTP announce response, compact', () => {
    fc.assert(fc.property(fc.array(peer(fc.oneof(v4, v6)), { maxLength: 40 }), fc.integer({ min: 1, max: 1e6 }), fc.nat(), fc.nat(), fc.option(fc.oneof(v4, v6), { nil: undefined }), (peers, interval, complete, incomplete, externalIp) => {
      const r = { interval, complete, incomplete, peers, ...(externalIp === undefined ? {} : { externalIp }) }
      const back = parseAnnounceResponse(encodeAnnounceResponse(r, { compact: true }))
      const v4First = [...peers.filter(p => parseIp(p.host)?.family === 4), ...peers.filter(p => parseIp(p.host)?.family === 6)]
      expect(back).toEqual({ ...r, peers: v4First })
    }))
  })

  it('HTTP announce response, dictionary peers', () => {
    fc.assert(fc.property(fc.array(fc.record({ host: fc.oneof(v4, v6), port, peerId: b20 }), { maxLength: 20 }), peers => {
      const back = parseAnnounceResponse(encodeAnnounceResponse({ interval: 60, peers }, { compact: false }))
      expect(strip(back.peers)).toEqual(strip(peers))
    }))
  })

  it('HTTP scrape response', () => {
    fc.assert(fc.property(fc.array(fc.tuple(b20, fc.nat(), fc.nat(), fc.nat()), { maxLength: 20 }), entries => {
      const files = new Map(entries.map(([h, complete, incomplete, downloaded]) => [toHex(h), { complete, incomplete, downloaded }]))
      const back = parseScrapeResponse(encodeScrapeResponse({ files }))
      expect(new Map([...back.files].sort())).toEqual(new Map([...files].sort()))
    }))
  })

  it('HTTP announce query', () => {
    fc.assert(fc.property(announceRequest, fc.constantFrom('http://t/announce', 'http://t/announce?passkey=a%2Fb'), (req, base) => {
      const url = buildAnnounceUrl(base, req)
      const q = parseAnnounceQuery(url.slice(url.indexOf('?') + 1))
      expect(q).toEqual({ ...req, compact: true, noPeerId: false })
    }))
  })

  it('UDP requests', () => {
    fc.assert(fc.property(announceRequest, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), u32, fc.array(b20, { maxLength: 74 }), (req, cid, tid, hashes) => {
      expect(decodeUdpRequest(encodeConnectRequest(tid))).toEqual({ action: 'connect', transactionId: tid })
      const numwant = req.numwant === undefined ? {} : { numwant: req.numwant }
      expect(decodeUdpRequest(encodeAnnounceRequest(cid, tid, req))).toEqual({
        action: 'announce', connectionId: cid, transactionId: tid,
        request: { ...req, key: req.key ?? 0, ...numwant, ...(req.ip === undefined || req.ip === '0.0.0.0' ? { ip: undefined } : {}) }
      })
      expect(decodeUdpRequest(encodeScrapeRequest(cid, tid, hashes))).toEqual({ action: 'scrape', connectionId: cid, transactionId: tid, infoHashes: hashes })
    }))
  })

  it('UDP responses', () => {
    const response: fc.Arbitrary<[UdpResponse, boolean]> = fc.oneof(
      fc.record({ action: fc.constant('connect' as const), transactionId: u32, connectionId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }).map(r => [r, false] as [UdpResponse, boolean]),
      fc.tuple(fc.boolean(), u32, u32, u32, u32).chain(([ipv6, transactionId, interval, leechers, seeders]) =>
        fc.array(peer(ipv6 ? v6 : v4), { maxLength: 50 }).map(peers => [{ action: 'announce' as const, transactionId, interval, leechers, seeders, peers }, ipv6] as [UdpResponse, boolean])),
      fc.record({ action: fc.constant('scrape' as const), transactionId: u32, entries: fc.array(fc.record({ complete: u32, downloaded: u32, incomplete: u32 }), { maxLength: 74 }) }).map(r => [r, false] as [UdpResponse, boolean]),
      fc.record({ action: fc.constant('error' as const), transactionId: u32, message: fc.string({ maxLength: 100 }).filter(s => !/[\uD800-\uDFFF]/.test(s)) }).map(r => [r, false] as [UdpResponse, boolean])
    )
    fc.assert(fc.property(response, ([r, ipv6]) => {
      expect(decodeUdpResponse(encodeUdpResponse(r, { ipv6 }), { ipv6 })).toEqual(r)
    }))
  })
})

describe('tracker decoders are total', () => {
  const junk = fc.uint8Array({ maxLength: 300 })
  it('on arbitrary bytes: a value, a TrackerError or a BencodeError', () => {
    fc.assert(fc.property(junk, fc.boolean(), (bytes, ipv6) => {
      typedOnly(() => parseAnnounceResponse(bytes))
      typedOnly(() => parseScrapeResponse(bytes))
      typedOnly(() => decodeUdpResponse(bytes, { ipv6 }))
      typedOnly(() => decodeUdpRequest(bytes))
      decodeCompactPeers(bytes, ipv6 ? 6 : 4)
    }))
  })

  it('on arbitrary bencode-looking input', () => {
    const token = fc.constantFrom('d', 'l', 'e', 'i1e', 'i-3e', '5:peers', '6:peers6', '8:interval', '5:files', '20:', '4:abcd', '14:failure reason', '8:retry in', '2:ip', '4:port', '0:')
    fc.assert(fc.property(fc.array(fc.oneof(token, fc.string({ maxLength: 4 })), { maxLength: 40 }), parts => {
      const bytes = new TextEncoder().encode(parts.join(''))
      typedOnly(() => parseAnnounceResponse(bytes))
      typedOnly(() => parseScrapeResponse(bytes))
    }))
  })

  it('on arbitrary queries', () => {
    const piece = fc.constantFrom('info_hash=', 'peer_id=', 'port=', '&', '%', '%4', '%41', '%ZZ', '=', 'left=', 'numwant=', 'event=started', '+', 'é', '1')
    fc.assert(fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 3 })), { maxLength: 40 }), parts => {
      const q = parts.join('')
      typedOnly(() => parseAnnounceQuery(q))
      typedOnly(() => parseScrapeQuery(q))
    }))
  })
})
