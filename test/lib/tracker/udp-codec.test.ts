import { describe, expect, it } from 'vitest'
import { TrackerError } from '../../../lib/tracker/tracker-error.js'
import { decodeUdpResponse, encodeAnnounceRequest, encodeConnectRequest, encodeScrapeRequest, UDP_PROTOCOL_ID } from '../../../lib/tracker/udp-codec.js'
import { decodeUdpRequest, encodeUdpResponse } from '../../../lib/tracker/udp-server-codec.js'
import type { AnnounceRequest } from '../../../lib/tracker/types.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'))
const infoHash = new Uint8Array(20).fill(0xaa)
const peerId = new Uint8Array(20).fill(0xbb)
const req: AnnounceRequest = { infoHash, peerId, port: 6881, uploaded: 3, downloaded: 1, left: 2, event: 'started', key: 0x01020304, numwant: 50, ip: '10.0.0.9' }

function code (f: () => unknown): string {
  try { f() } catch (e) { if (e instanceof TrackerError) return e.code; throw e }
  return 'no error'
}

describe('UDP requests (BEP 15 layouts)', () => {
  it('connect: protocol id, action 0, transaction id', () => {
    expect(UDP_PROTOCOL_ID).toBe(0x41727101980n)
    expect(hex(encodeConnectRequest(0xcafebabe))).toBe('0000041727101980' + '00000000' + 'cafebabe')
  })

  it('announce: 98 bytes in the BEP 15 order', () => {
    const p = encodeAnnounceRequest(0x1122334455667788n, 7, req)
    expect(p.length).toBe(98)
    expect(hex(p)).toBe(
      '1122334455667788' + '00000001' + '00000007' +
      'aa'.repeat(20) + 'bb'.repeat(20) +
      '0000000000000001' + '0000000000000002' + '0000000000000003' +
      '00000002' + '0a000009' + '01020304' + '00000032' + '1ae1')
  })

  it('announce: defaults numwant to -1 and ip to 0, maps every event', () => {
    const p = encodeAnnounceRequest(1n, 1, { ...req, numwant: undefined, ip: '::1', key: undefined, event: 'stopped' })
    expect(hex(p.subarray(80, 96))).toBe('00000003' + '00000000' + '00000000' + 'ffffffff')
    expect(hex(encodeAnnounceRequest(1n, 1, { ...req, event: 'none' }).subarray(80, 84))).toBe('00000000')
    expect(hex(encodeAnnounceRequest(1n, 1, { ...req, event: 'completed' }).subarray(80, 84))).toBe('00000001')
  })

  it('announce: BEP 41 URLData split into 255-byte options', () => {
    const url = '/announce?passkey=' + 'k'.repeat(300)
    const p = encodeAnnounceRequest(1n, 1, req, { urlData: url })
    expect(p.length).toBe(98 + 2 + 255 + 2 + (url.length - 255))
    expect(p[98]).toBe(2)
    expect(p[99]).toBe(255)
    expect(p[98 + 257]).toBe(2)
    expect(p[98 + 258]).toBe(url.length - 255)
    const back = decodeUdpRequest(p)
    expect(back.action === 'announce' && back.urlData).toBe(url)
  })

  it('scrape: 16-byte header and 20 bytes per hash, at most 74', () => {
    const p = encodeScrapeRequest(5n, 9, [infoHash, peerId])
    expect(hex(p)).toBe('0000000000000005' + '00000002' + '00000009' + 'aa'.repeat(20) + 'bb'.repeat(20))
    expect(code(() => encodeScrapeRequest(5n, 9, new Array(75).fill(infoHash)))).toBe('too-many-hashes')
    expect(code(() => encodeScrapeRequest(5n, 9, [new Uint8Array(19)]))).toBe('bad-info-hash')
  })
})

describe('decodeUdpResponse', () => {
  it('connect', () => {
    expect(decodeUdpResponse(fromHex('00000000 cafebabe 0102030405060708'), { ipv6: false }))
      .toEqual({ action: 'connect', transactionId: 0xcafebabe, connectionId: 0x0102030405060708n })
  })

  it('announce with IPv4 and IPv6 peers', () => {
    const head = '00000001 00000007 00000708 00000003 00000004'
    expect(decodeUdpResponse(fromHex(head + '7f000001 1ae1 0a000002 0050'), { ipv6: false })).toEqual({
      action: 'announce', transactionId: 7, interval: 1800, leechers: 3, seeders: 4,
      peers: [{ host: '127.0.0.1', port: 6881 }, { host: '10.0.0.2', port: 80 }]
    })
    const v6 = decodeUdpResponse(fromHex(head + '00000000000000000000000000000001 1ae1'), { ipv6: true })
    expect(v6.action === 'announce' && v6.peers).toEqual([{ host: '::1', port: 6881 }])
  })

  it('ADVERSARIAL E48: UDP is strict, a peer list of 7, 13 or 19 bytes is an error', () => {
    const head = '00000001 00000007 00000708 00000003 00000004'
    expect(code(() => decodeUdpResponse(fromHex(head + '7f000001 1ae1 01'), { ipv6: false }))).toBe('bad-compact-peers')
    expect(code(() => decodeUdpResponse(fromHex(head + '7f000001 1ae1 7f000001 1ae1 01'), { ipv6: false }))).toBe('bad-compact-peers')
    expect(code(() => decodeUdpResponse(fromHex(head + '00'.repeat(19)), { ipv6: true }))).toBe('bad-compact-peers')
    expect(code(() => decodeUdpResponse(fromHex(head + '00'.repeat(12)), { ipv6: true }))).toBe('bad-compact-peers')
  })

  it('scrape and error', () => {
    expect(decodeUdpResponse(fromHex('00000002 00000001 00000005 00000006 00000007'), { ipv6: false }))
      .toEqual({ action: 'scrape', transactionId: 1, entries: [{ complete: 5, downloaded: 6, incomplete: 7 }] })
    expect(decodeUdpResponse(fromHex('00000003 00000009' + Buffer.from('bad id').toString('hex')), { ipv6: false }))
      .toEqual({ action: 'error', transactionId: 9, message: 'bad id' })
  })

  it.each([
    ['empty', '', 'short-packet'],
    ['7 bytes', '00000000000000', 'short-packet'],
    ['truncated connect', '00000000 00000001 01020304', 'short-packet'],
    ['truncated announce', '00000001 00000001 00000708 00000001', 'short-packet'],
    ['scrape with a partial entry', '00000002 00000001 00000005 00000006', 'bad-response'],
    ['unknown action', '00000004 00000001', 'bad-response'],
    ['huge action', 'ffffffff 00000001 0000000000000000', 'bad-response']
  ])('ADVERSARIAL E50 (decode side): %s → %s, disposition ignore', (_name, packet, expected) => {
    let err: unknown
    try { decodeUdpResponse(fromHex(packet), { ipv6: false }) } catch (e) { err = e }
    expect(err).toBeInstanceOf(TrackerError)
    expect((err as TrackerError).code).toBe(expected)
    expect((err as TrackerError).disposition).toBe('ignore')
  })
})

describe('decodeUdpRequest', () => {
  it('reads back every request', () => {
    expect(decodeUdpRequest(encodeConnectRequest(42))).toEqual({ action: 'connect', transactionId: 42 })
    const a = decodeUdpRequest(encodeAnnounceRequest(77n, 8, req))
    expect(a).toEqual({ action: 'announce', connectionId: 77n, transactionId: 8, request: { ...req } })
    expect(decodeUdpRequest(encodeScrapeRequest(77n, 9, [infoHash]))).toEqual({ action: 'scrape', connectionId: 77n, transactionId: 9, infoHashes: [infoHash] })
  })

  it('skips NOP and unknown options, stops at EndOfOptions and at a truncated option', () => {
    const base = encodeAnnounceRequest(1n, 1, req)
    const withOpts = (opts: number[]): Uint8Array => { const p = new Uint8Array(98 + opts.length); p.set(base); p.set(opts, 98); return p }
    const url = (p: Uint8Array): string | undefined => { const r = decodeUdpRequest(p); return r.action === 'announce' ? r.urlData : 'wrong' }
    expect(url(withOpts([1, 9, 1, 0x41, 2, 2, 0x2f, 0x61]))).toBe('/a')
    expect(url(withOpts([2, 1, 0x2f, 0, 2, 1, 0x62]))).toBe('/')
    expect(url(withOpts([2, 5, 0x2f]))).toBeUndefined()
  })

  it.each([
    ['15 bytes', new Uint8Array(15), 'short-packet'],
    ['connect without the protocol id', fromHex('0000000000000001 00000000 00000001'), 'bad-request'],
    ['truncated announce', fromHex('0000000000000001 00000001 00000001' + '00'.repeat(81)), 'short-packet'],
    ['announce with event 4', (() => { const p = encodeAnnounceRequest(1n, 1, req); p[83] = 4; return p })(), 'bad-request'],
    ['scrape with a partial hash', fromHex('0000000000000001 00000002 00000001' + 'aa'.repeat(19)), 'bad-request'],
    ['scrape of 75 hashes', fromHex('0000000000000001 00000002 00000001' + 'aa'.repeat(20 * 75)), 'too-many-hashes'],
    ['action 3 from a client', fromHex('0000000000000001 00000003 00000001'), 'bad-request']
  ])('%s → %s', (_name, packet, expected) => {
    expect(code(() => decodeUdpRequest(packet))).toBe(expected)
  })
})

describe('encodeUdpResponse', () => {
  it('writes each action, peers of the requested family only', () => {
    expect(hex(encodeUdpResponse({ action: 'connect', transactionId: 1, connectionId: 0xffn })))
      .toBe('00000000' + '00000001' + '00000000000000ff')
    const peers = [{ host: '1.2.3.4', port: 5 }, { host: '::2', port: 6 }]
    expect(hex(encodeUdpResponse({ action: 'announce', transactionId: 2, interval: 60, leechers: 1, seeders: 2, peers })))
      .toBe('00000001' + '00000002' + '0000003c' + '00000001' + '00000002' + '01020304' + '0005')
    expect(hex(encodeUdpResponse({ action: 'announce', transactionId: 2, interval: 60, leechers: 1, seeders: 2, peers }, { ipv6: true })).slice(40))
      .toBe('00000000000000000000000000000002' + '0006')
    expect(hex(encodeUdpResponse({ action: 'scrape', transactionId: 3, entries: [{ complete: 1, downloaded: 2, incomplete: 3 }] })))
      .toBe('00000002' + '00000003' + '00000001' + '00000002' + '00000003')
    expect(hex(encodeUdpResponse({ action: 'error', transactionId: 4, message: 'no' }))).toBe('00000003' + '00000004' + '6e6f')
  })
})
