import { describe, expect, it } from 'vitest'
import { encode } from '../../../lib/bencode/index.js'
import { buildAnnounceUrl, buildScrapeUrl, parseAnnounceResponse, parseScrapeResponse, scrapeUrlOf } from '../../../lib/tracker/http-codec.js'
import { TrackerError } from '../../../lib/tracker/tracker-error.js'
import type { AnnounceRequest } from '../../../lib/tracker/types.js'

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)
const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs)
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

const infoHash = bytes(0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x12, 0x34, 0x56, 0x78, 0x9a)
const peerId = ascii('-RX0100-a b~c.d_e+f/')
const req: AnnounceRequest = { infoHash, peerId, port: 6881, uploaded: 1, downloaded: 2, left: 3, event: 'started', key: 0xdeadbeef, numwant: 30 }

function trackerError (f: () => unknown): TrackerError {
  try { f() } catch (e) { if (e instanceof TrackerError) return e; throw e }
  throw new Error('expected a TrackerError')
}

describe('buildAnnounceUrl', () => {
  it('encodes every parameter, binary ones bytewise, keeping the existing query', () => {
    const url = buildAnnounceUrl('http://t.example/announce?passkey=s3cr3t', req)
    expect(url).toBe('http://t.example/announce?passkey=s3cr3t' +
      '&info_hash=%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A' +
      '&peer_id=-RX0100-a%20b~c.d_e%2Bf%2F' +
      '&port=6881&uploaded=1&downloaded=2&left=3&compact=1&event=started&key=deadbeef&numwant=30')
  })

  it('omits event for none, pads the key, drops a fragment, adds trackerid and ip', () => {
    const url = buildAnnounceUrl('http://t.example/ann#frag', { ...req, event: 'none', key: 5, numwant: undefined, trackerId: 'x y', ip: '::1' })
    expect(url).not.toContain('event=')
    expect(url).not.toContain('#')
    expect(url).toContain('?info_hash=')
    expect(url).toContain('&key=00000005')
    expect(url).toContain('&trackerid=x%20y&ip=%3A%3A1')
  })

  it('does not double the separator after a trailing ? or &', () => {
    expect(buildAnnounceUrl('http://t/a?', req)).toMatch(/^http:\/\/t\/a\?info_hash=/)
    expect(buildAnnounceUrl('http://t/a?k=1&', req)).toMatch(/^http:\/\/t\/a\?k=1&info_hash=/)
  })
})

describe('scrapeUrlOf (BEP 48)', () => {
  it.each([
    ['http://example.com/announce', 'http://example.com/scrape'],
    ['http://example.com/x/announce', 'http://example.com/x/scrape'],
    ['http://example.com/announce.php', 'http://example.com/scrape.php'],
    ['http://example.com/a', undefined],
    ['http://example.com/announce?x2%0644', 'http://example.com/scrape?x2%0644'],
    ['http://example.com/announce?x=2/4', 'http://example.com/scrape?x=2/4'],
    ['http://example.com/x%064announce', undefined],
    ['udp://tracker.example:6969/announce', 'udp://tracker.example:6969/scrape'],
    ['http://example.com', undefined]
  ])('%s → %s', (announce, scrape) => {
    expect(scrapeUrlOf(announce)).toBe(scrape)
  })
})

describe('buildScrapeUrl', () => {
  it('adds one info_hash per torrent', () => {
    const url = buildScrapeUrl('http://t/scrape?passkey=1', [infoHash, new Uint8Array(20)])
    expect(url).toBe('http://t/scrape?passkey=1&info_hash=%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A&info_hash=' + '%00'.repeat(20))
  })
})

describe('parseAnnounceResponse', () => {
  it('reads a compact response (BEP 23) with every optional field', () => {
    const body = encode({
      interval: 1800,
      'min interval': 60,
      complete: 5,
      incomplete: 7,
      'tracker id': 'abc',
      'warning message': 'be nice',
      'external ip': bytes(203, 0, 113, 9),
      peers: bytes(10, 0, 0, 1, 0x1a, 0xe1, 192, 168, 1, 2, 0x00, 0x50),
      peers6: cat(bytes(0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1), bytes(0x1a, 0xe2))
    })
    expect(parseAnnounceResponse(body)).toEqual({
      interval: 1800,
      minInterval: 60,
      complete: 5,
      incomplete: 7,
      trackerId: 'abc',
      warning: 'be nice',
      externalIp: '203.0.113.9',
      peers: [{ host: '10.0.0.1', port: 6881 }, { host: '192.168.1.2', port: 80 }, { host: '2001:db8::1', port: 6882 }]
    })
  })

  it('ADVERSARIAL E48: compact peers of 7 or 13 bytes keep the whole entries and ignore the tail', () => {
    const seven = encode({ interval: 10, peers: bytes(1, 2, 3, 4, 0, 80, 9) })
    expect(parseAnnounceResponse(seven).peers).toEqual([{ host: '1.2.3.4', port: 80 }])
    const thirteen = encode({ interval: 10, peers: bytes(1, 2, 3, 4, 0, 80, 5, 6, 7, 8, 0, 81, 1) })
    expect(parseAnnounceResponse(thirteen).peers).toEqual([{ host: '1.2.3.4', port: 80 }, { host: '5.6.7.8', port: 81 }])
    const peers6 = encode({ interval: 10, peers: bytes(), peers6: new Uint8Array(18 + 17).fill(1) })
    expect(parseAnnounceResponse(peers6).peers).toEqual([{ host: '101:101:101:101:101:101:101:101', port: 257 }])
  })

  it('drops port 0 peers and caps the list at maxPeers', () => {
    const body = encode({ interval: 10, peers: bytes(1, 1, 1, 1, 0, 0, 2, 2, 2, 2, 0, 1, 3, 3, 3, 3, 0, 2) })
    expect(parseAnnounceResponse(body).peers).toEqual([{ host: '2.2.2.2', port: 1 }, { host: '3.3.3.3', port: 2 }])
    expect(parseAnnounceResponse(body, { maxPeers: 1 }).peers).toEqual([{ host: '2.2.2.2', port: 1 }])
  })

  it('reads dictionary peers (BEP 3), skipping broken entries', () => {
    const id = ascii('-XX0001-000000000000')
    const body = encode({
      interval: 100,
      peers: [
        { ip: '1.2.3.4', port: 6881, 'peer id': id },
        { ip: '::ffff:10.0.0.2', port: 1 },
        { ip: 'peer.example.org', port: 2 },
        { ip: 'bad host!', port: 3 },
        { ip: '5.5.5.5', port: 0 },
        { ip: '5.5.5.5', port: 70000 },
        { port: 4 },
        'not a dict'
      ]
    })
    expect(parseAnnounceResponse(body).peers).toEqual([
      { host: '1.2.3.4', port: 6881, peerId: id },
      { host: '10.0.0.2', port: 1 },
      { host: 'peer.example.org', port: 2 }
    ])
  })

  it('accepts unsorted keys, as real trackers send', () => {
    const body = ascii('d8:intervali900e5:peers6:\x01\x02\x03\x04\x00\x508:completei1ee')
    const r = parseAnnounceResponse(body)
    expect(r.interval).toBe(900)
    expect(r.complete).toBe(1)
  })

  it('defaults a missing or non-positive interval to 1800 and says so', () => {
    expect(parseAnnounceResponse(encode({ peers: bytes() }))).toEqual({ interval: 1800, intervalDefaulted: true, peers: [] })
    expect(parseAnnounceResponse(encode({ interval: 0, peers: bytes() })).intervalDefaulted).toBe(true)
    expect(parseAnnounceResponse(encode({ interval: -5, peers: bytes() })).interval).toBe(1800)
  })

  it('reads a 16-byte external ip (BEP 24) and ignores other lengths', () => {
    const v6 = new Uint8Array(16); v6[15] = 1
    expect(parseAnnounceResponse(encode({ interval: 1, peers: bytes(), 'external ip': v6 })).externalIp).toBe('::1')
    expect(parseAnnounceResponse(encode({ interval: 1, peers: bytes(), 'external ip': bytes(1, 2, 3) })).externalIp).toBeUndefined()
  })

  it('raises the tracker failure with BEP 31 retry in (minutes → seconds, or never)', () => {
    const e = trackerError(() => parseAnnounceResponse(encode({ 'failure reason': 'unregistered torrent', 'retry in': 5 })))
    expect(e.code).toBe('failure')
    expect(e.message).toBe('unregistered torrent')
    expect(e.details.reason).toBe('unregistered torrent')
    expect(e.retryIn).toBe(300)
    expect(e.disposition).toBe('ignore')
    const never = trackerError(() => parseAnnounceResponse(encode({ 'failure reason': 'go away', 'retry in': 'never' })))
    expect(never.retryIn).toBe('never')
    expect(never.disposition).toBe('reject')
    expect(trackerError(() => parseAnnounceResponse(encode({ 'failure reason': 'x' }))).retryIn).toBeUndefined()
  })

  it.each([
    ['an HTML error page', ascii('<html>502 Bad Gateway</html>')],
    ['an empty body', new Uint8Array(0)],
    ['a truncated dictionary', ascii('d8:intervali900e5:peers')],
    ['a list', ascii('le')],
    ['trailing bytes', ascii('d8:intervali1eeXX')]
  ])('raises bad-response for %s', (_name, body) => {
    expect(trackerError(() => parseAnnounceResponse(body)).code).toBe('bad-response')
  })

  it('raises too-large above maxResponseBytes (ADVERSARIAL E49, decode side)', () => {
    const body = encode({ interval: 1, peers: new Uint8Array(600) })
    expect(trackerError(() => parseAnnounceResponse(body, { maxResponseBytes: 512 })).code).toBe('too-large')
  })
})

describe('parseScrapeResponse', () => {
  it('reads binary info-hash keys as hex', () => {
    const other = new Uint8Array(20).fill(0xff)
    const body = cat(
      ascii('d5:filesd20:'), infoHash, ascii('d8:completei3e10:downloadedi10e10:incompletei4e4:name3:fooe'),
      ascii('20:'), other, ascii('d8:completei1ee'),
      ascii('3:abcd8:completei1ee'),
      ascii('ee')
    )
    const r = parseScrapeResponse(body)
    expect([...r.files.entries()]).toEqual([
      ['123456789abcdef123456789abcdef123456789a', { complete: 3, downloaded: 10, incomplete: 4, name: 'foo' }],
      ['ffffffffffffffffffffffffffffffffffffffff', { complete: 1, downloaded: 0, incomplete: 0 }]
    ])
  })

  it('keys that are not valid UTF-8 survive exactly', () => {
    const key = new Uint8Array(20).fill(0x80)
    const body = cat(ascii('d5:filesd20:'), key, ascii('d8:completei1eeee'))
    expect([...parseScrapeResponse(body).files.keys()]).toEqual(['80'.repeat(20)])
  })

  it('raises failure, and bad-response without files', () => {
    expect(trackerError(() => parseScrapeResponse(encode({ 'failure reason': 'no scrape' }))).code).toBe('failure')
    expect(trackerError(() => parseScrapeResponse(encode({ flags: {} }))).code).toBe('bad-response')
    expect(trackerError(() => parseScrapeResponse(ascii('not bencode'))).code).toBe('bad-response')
  })
})
