import { describe, expect, it } from 'vitest'
import { decode, type BDict } from '../../../lib/bencode/index.js'
import { buildAnnounceUrl } from '../../../lib/tracker/http-codec.js'
import { encodeAnnounceResponse, encodeFailure, encodeScrapeResponse, parseAnnounceQuery, parseScrapeQuery } from '../../../lib/tracker/http-server-codec.js'
import { TrackerError } from '../../../lib/tracker/tracker-error.js'

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)
const latin1 = (b: Uint8Array): string => String.fromCharCode(...b)
const H = '%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A'
const ID = '-RX0100-000000000000'

function code (f: () => unknown): string {
  try { f() } catch (e) { if (e instanceof TrackerError) return e.code; throw e }
  return 'no error'
}

describe('parseAnnounceQuery', () => {
  it('reads what buildAnnounceUrl writes', () => {
    const infoHash = new Uint8Array(20).map((_, i) => i * 13)
    const peerId = ascii(ID)
    const url = buildAnnounceUrl('http://t/announce', { infoHash, peerId, port: 51413, uploaded: 10, downloaded: 20, left: 30, event: 'completed', key: 0xabc, numwant: 5, trackerId: 'tid', ip: '10.1.2.3' })
    const q = parseAnnounceQuery(url.slice(url.indexOf('?') + 1))
    expect(q).toEqual({ infoHash, peerId, port: 51413, uploaded: 10, downloaded: 20, left: 30, event: 'completed', key: 0xabc, numwant: 5, trackerId: 'tid', ip: '10.1.2.3', compact: true, noPeerId: false })
  })

  it('is lenient about optional fields: defaults, unknown event, non-hex key, bad ip, compact=0, no_peer_id', () => {
    const q = parseAnnounceQuery(`info_hash=${H}&peer_id=${ID}&port=1&event=paused&key=zz&ip=not-an-ip&compact=0&no_peer_id=1`)
    expect(q).toMatchObject({ uploaded: 0, downloaded: 0, left: 0, event: 'none', compact: false, noPeerId: true })
    expect(q.key).toBeUndefined()
    expect(q.ip).toBeUndefined()
  })

  it.each([
    ['missing info_hash', `peer_id=${ID}&port=1`, 'bad-info-hash'],
    ['19-byte info_hash', `info_hash=${H.slice(0, -3)}&peer_id=${ID}&port=1`, 'bad-info-hash'],
    ['21-byte info_hash', `info_hash=${H}x&peer_id=${ID}&port=1`, 'bad-info-hash'],
    ['missing peer_id', `info_hash=${H}&port=1`, 'bad-peer-id'],
    ['short peer_id', `info_hash=${H}&peer_id=abc&port=1`, 'bad-peer-id'],
    ['missing port', `info_hash=${H}&peer_id=${ID}`, 'bad-port'],
    ['port 0', `info_hash=${H}&peer_id=${ID}&port=0`, 'bad-port'],
    ['port 65536', `info_hash=${H}&peer_id=${ID}&port=65536`, 'bad-port'],
    ['negative port', `info_hash=${H}&peer_id=${ID}&port=-1`, 'bad-port'],
    ['non-numeric left', `info_hash=${H}&peer_id=${ID}&port=1&left=lots`, 'bad-request'],
    ['huge uploaded', `info_hash=${H}&peer_id=${ID}&port=1&uploaded=99999999999999999999`, 'bad-request'],
    ['broken percent-encoding', `info_hash=%G1${H}&peer_id=${ID}&port=1`, 'bad-request'],
    ['truncated percent-encoding', `info_hash=${H}&peer_id=${ID}&port=1&x=%A`, 'bad-request'],
    ['too many parameters', 'a=1&'.repeat(300), 'bad-request']
  ])('%s → TrackerError %s', (_name, query, expected) => {
    expect(code(() => parseAnnounceQuery(query))).toBe(expected)
  })

  it('gives messages fit for a failure reason', () => {
    try {
      parseAnnounceQuery(`info_hash=abc&peer_id=${ID}&port=1`)
    } catch (e) {
      expect((e as Error).message).toBe('invalid info_hash: 3 bytes, expected 20')
    }
  })
})

describe('parseScrapeQuery', () => {
  it('collects every info_hash, possibly none', () => {
    expect(parseScrapeQuery(`info_hash=${H}&info_hash=${'%00'.repeat(20)}`).map(latin1)).toEqual([
      latin1(new Uint8Array([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x12, 0x34, 0x56, 0x78, 0x9a])),
      '\0'.repeat(20)
    ])
    expect(parseScrapeQuery('')).toEqual([])
  })

  it('rejects bad lengths and too many hashes', () => {
    expect(code(() => parseScrapeQuery('info_hash=abc'))).toBe('bad-info-hash')
    expect(code(() => parseScrapeQuery(`info_hash=${H}&`.repeat(3), { maxHashes: 2 }))).toBe('too-many-hashes')
  })
})

describe('encodeAnnounceResponse', () => {
  const peers = [{ host: '1.2.3.4', port: 80, peerId: ascii(ID) }, { host: '2001:db8::2', port: 443 }, { host: '::ffff:5.6.7.8', port: 81 }]

  it('writes compact peers and peers6 (BEP 23, BEP 7) and the external ip (BEP 24)', () => {
    const body = encodeAnnounceResponse({ interval: 900, minInterval: 30, complete: 1, incomplete: 2, peers, externalIp: '9.8.7.6' }, { compact: true })
    const d = decode(body) as BDict
    expect(d.interval).toBe(900)
    expect(d['min interval']).toBe(30)
    expect([...(d.peers as Uint8Array)]).toEqual([1, 2, 3, 4, 0, 80, 5, 6, 7, 8, 0, 81])
    expect([...(d.peers6 as Uint8Array)]).toEqual([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 2, 1, 187])
    expect([...(d['external ip'] as Uint8Array)]).toEqual([9, 8, 7, 6])
  })

  it('writes dictionary peers, with or without peer ids', () => {
    const d = decode(encodeAnnounceResponse({ interval: 1, peers: peers.slice(0, 1) }, { compact: false })) as BDict
    expect(d.peers).toEqual([{ ip: ascii('1.2.3.4'), 'peer id': ascii(ID), port: 80 }])
    const n = decode(encodeAnnounceResponse({ interval: 1, peers: peers.slice(0, 1) }, { compact: false, noPeerId: true })) as BDict
    expect(n.peers).toEqual([{ ip: ascii('1.2.3.4'), port: 80 }])
  })
})

describe('encodeScrapeResponse', () => {
  it('writes raw info-hash keys in bytewise order', () => {
    const body = encodeScrapeResponse({ files: new Map([
      ['ff'.repeat(20), { complete: 1, incomplete: 2, downloaded: 3 }],
      ['00'.repeat(20), { complete: 4, incomplete: 5, downloaded: 6, name: 'n' }]
    ]) })
    expect(latin1(body)).toBe('d5:filesd20:' + '\0'.repeat(20) + 'd8:completei4e10:downloadedi6e10:incompletei5e4:name1:ne' +
      '20:' + '\xff'.repeat(20) + 'd8:completei1e10:downloadedi3e10:incompletei2eeee')
  })
})

describe('encodeFailure', () => {
  it('writes failure reason and BEP 31 retry in (minutes, rounded up, or never)', () => {
    expect(latin1(encodeFailure('nope'))).toBe('d14:failure reason4:nopee')
    expect(latin1(encodeFailure('busy', 90))).toBe('d14:failure reason4:busy8:retry ini2ee')
    expect(latin1(encodeFailure('gone', 'never'))).toBe('d14:failure reason4:gone8:retry in5:nevere')
  })

  it('never throws on a lone surrogate', () => {
    expect(latin1(encodeFailure('a\uD800b'))).toContain('failure reason')
  })
})
