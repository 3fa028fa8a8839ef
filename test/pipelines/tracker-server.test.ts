import { createSocket } from 'node:dgram'
import { get } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { decode, type BDict } from '../../lib/bencode/index.js'
import { buildAnnounceUrl, buildScrapeUrl, parseAnnounceResponse, parseScrapeResponse, scrapeUrlOf } from '../../lib/tracker/http-codec.js'
import type { AnnounceRequest } from '../../lib/tracker/types.js'
import { decodeUdpResponse, encodeAnnounceRequest, encodeConnectRequest, encodeScrapeRequest, type UdpResponse } from '../../lib/tracker/udp-codec.js'
import { startTracker, type TrackerServer } from '../../pipelines/tracker-server.js'

const hash = (n: number): Uint8Array => new Uint8Array(20).fill(n)
const id = (n: number): Uint8Array => new Uint8Array(20).fill(0x40 + n)
const ann = (peer: number, over: Partial<AnnounceRequest> = {}): AnnounceRequest =>
  ({ infoHash: hash(1), peerId: id(peer), port: 6000 + peer, uploaded: 0, downloaded: 0, left: 10, event: 'started', ...over })

async function httpGet (url: string): Promise<{ status: number, type: string | undefined, body: Uint8Array }> {
  return await new Promise((resolve, reject) => {
    get(url, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: new Uint8Array(Buffer.concat(chunks)) }) })
    }).on('error', reject)
  })
}

function failureOf (body: Uint8Array): string | undefined {
  const v = (decode(body, { strict: false }) as BDict)['failure reason']
  return v instanceof Uint8Array ? new TextDecoder().decode(v) : undefined
}

/** One UDP exchange from a fresh socket (each socket is one client address). */
async function udpExchange (url: string, packets: Array<(previous: UdpResponse | undefined) => Uint8Array>, timeoutMs = 5000, from = '127.0.0.1'): Promise<Array<UdpResponse | undefined>> {
  const { hostname, port } = new URL(url)
  const sock = createSocket('udp4')
  await new Promise<void>(resolve => sock.bind(0, from, resolve))
  const out: Array<UdpResponse | undefined> = []
  try {
    let previous: UdpResponse | undefined
    for (const make of packets) {
      const reply = new Promise<UdpResponse | undefined>(resolve => {
        const t = setTimeout(() => { sock.off('message', on); resolve(undefined) }, timeoutMs)
        const on = (msg: Buffer): void => { clearTimeout(t); sock.off('message', on); resolve(decodeUdpResponse(new Uint8Array(msg), { ipv6: false })) }
        sock.on('message', on)
      })
      sock.send(make(previous), Number(port), hostname)
      previous = await reply
      out.push(previous)
    }
  } finally {
    sock.close()
  }
  return out
}

/** Send every packet from one socket, resolve the first reply. */
async function udpBurst (url: string, packets: readonly Uint8Array[]): Promise<UdpResponse> {
  const { hostname, port } = new URL(url)
  const sock = createSocket('udp4')
  await new Promise<void>(resolve => sock.bind(0, '127.0.0.1', resolve))
  try {
    const reply = new Promise<UdpResponse>(resolve => { sock.once('message', (msg: Buffer) => { resolve(decodeUdpResponse(new Uint8Array(msg), { ipv6: false })) }) })
    for (const p of packets) sock.send(p, Number(port), hostname)
    return await reply
  } finally {
    sock.close()
  }
}

const connId = (r: UdpResponse | undefined): bigint => r?.action === 'connect' ? r.connectionId : -1n

let tracker: TrackerServer | undefined
afterEach(async () => { await tracker?.close(); tracker = undefined })

describe('startTracker over loopback HTTP', () => {
  it('serves announce and scrape, text/plain bencoded, with peers from the socket address', async () => {
    tracker = await startTracker({ httpPort: 0, interval: 120, minInterval: 30 })
    const url = tracker.httpUrl as string
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/announce$/)
    const first = await httpGet(buildAnnounceUrl(url, ann(1)))
    expect(first.status).toBe(200)
    expect(first.type).toBe('text/plain')
    expect(parseAnnounceResponse(first.body)).toEqual({ interval: 120, minInterval: 30, complete: 0, incomplete: 1, peers: [], externalIp: '127.0.0.1' })
    const second = parseAnnounceResponse((await httpGet(buildAnnounceUrl(url, ann(2, { left: 0 })))).body)
    expect(second.peers).toEqual([{ host: '127.0.0.1', port: 6001 }])
    expect(second.complete).toBe(1)
    await httpGet(buildAnnounceUrl(url, ann(2, { event: 'completed', left: 0 })))
    const scrape = parseScrapeResponse((await httpGet(buildScrapeUrl(scrapeUrlOf(url) as string, [hash(1), hash(2)]))).body)
    expect(scrape.files.get('01'.repeat(20))).toEqual({ complete: 1, incomplete: 1, downloaded: 1 })
    expect(scrape.files.get('02'.repeat(20))).toEqual({ complete: 0, incomplete: 0, downloaded: 0 })
    expect(tracker.stats()).toMatchObject({ torrents: 1, peers: 2, httpRequests: 4 })
  })

  it('refuses peer entries over the per-address and global caps with a failure reason (issue 11 item 6)', async () => {
    tracker = await startTracker({ httpPort: 0, maxPeersPerAddress: 2 })
    const url = tracker.httpUrl as string
    expect(failureOf((await httpGet(buildAnnounceUrl(url, ann(1)))).body)).toBeUndefined()
    expect(failureOf((await httpGet(buildAnnounceUrl(url, ann(2, { infoHash: hash(9) })))).body)).toBeUndefined()
    expect(failureOf((await httpGet(buildAnnounceUrl(url, ann(3)))).body)).toBe('too many peers from your address (at most 2)')
    expect(tracker.stats()).toMatchObject({ torrents: 2, peers: 2 })
    await tracker.close()
    tracker = await startTracker({ httpPort: 0, maxPeers: 1 })
    const full = tracker.httpUrl as string
    await httpGet(buildAnnounceUrl(full, ann(1)))
    expect(failureOf((await httpGet(buildAnnounceUrl(full, ann(2)))).body)).toBe('tracker is full')
  })

  it('counts announces with a claimed ip against the sender, not the claimed address: one loopback host cannot fill the tracker', async () => {
    tracker = await startTracker({ httpPort: 0, maxPeersPerAddress: 3 })
    const url = tracker.httpUrl as string
    const reasons: Array<string | undefined> = []
    for (let p = 0; p < 5; p++) {
      reasons.push(failureOf((await httpGet(buildAnnounceUrl(url, ann(p, { ip: `10.0.${p}.1`, infoHash: hash(1 + (p % 2)) })))).body))
    }
    expect(reasons).toEqual([undefined, undefined, undefined, 'too many peers from your address (at most 3)', 'too many peers from your address (at most 3)'])
    expect(tracker.stats()).toMatchObject({ peers: 3 })
    // the claimed address is still the one listed to other peers
    const listed = parseAnnounceResponse((await httpGet(buildAnnounceUrl(url, ann(0, { event: 'none', ip: '10.0.0.1', numwant: 10 })))).body)
    expect(listed.peers).toEqual([{ host: '10.0.2.1', port: 6002 }])
  })

  it('honours the ip parameter from a loopback client, and answers dictionary peers for compact=0', async () => {
    tracker = await startTracker({ httpPort: 0 })
    const url = tracker.httpUrl as string
    await httpGet(buildAnnounceUrl(url, ann(1, { ip: '::1' })))
    const r = await httpGet(buildAnnounceUrl(url, ann(2)).replace('compact=1', 'compact=0'))
    const d = decode(r.body, { strict: false }) as BDict
    expect(d.peers).toEqual([{ ip: new TextEncoder().encode('::1'), 'peer id': id(1), port: 6001 }])
  })

  it('answers malformed requests with a failure reason and keeps serving', async () => {
    tracker = await startTracker({ httpPort: 0, allowList: [hash(1)] })
    const url = tracker.httpUrl as string
    const base = url.replace(/\/announce$/, '')
    const cases: Array<[string, string]> = [
      [`${url}?info_hash=short&peer_id=x&port=1`, 'invalid info_hash: 5 bytes, expected 20'],
      [`${url}?info_hash=%ZZ`, 'malformed percent-encoding in the query'],
      [url, 'missing info_hash'],
      [buildAnnounceUrl(url, ann(1, { infoHash: hash(2) })), 'info-hash not allowed'],
      [`${url}?${'x=1&'.repeat(400)}`, 'more than 256 query parameters'],
      [`${url}?pad=${'a'.repeat(9000)}`, 'request URL longer than 8192 bytes'],
      [`${base}/scrape`, 'scrape needs at least one info_hash']
    ]
    for (const [u, reason] of cases) {
      const r = await httpGet(u)
      expect(r.status).toBe(200)
      expect(failureOf(r.body)).toBe(reason)
    }
    const notFound = await httpGet(`${base}/favicon.ico`)
    expect(notFound.status).toBe(404)
    expect(failureOf(notFound.body)).toMatch(/not a tracker path/)
    expect(parseAnnounceResponse((await httpGet(buildAnnounceUrl(url, ann(1)))).body).incomplete).toBe(1)
  })
})

describe('startTracker over loopback UDP (BEP 15)', () => {
  it('connects, announces, scrapes; peers from other sockets are returned', async () => {
    tracker = await startTracker({ udpPort: 0, interval: 300 })
    const url = tracker.udpUrl as string
    expect(url).toMatch(/^udp:\/\/127\.0\.0\.1:\d+\/announce$/)
    const [c1, a1] = await udpExchange(url, [() => encodeConnectRequest(11), p => encodeAnnounceRequest(connId(p), 12, ann(1))])
    expect(c1).toMatchObject({ action: 'connect', transactionId: 11 })
    expect(a1).toEqual({ action: 'announce', transactionId: 12, interval: 300, leechers: 1, seeders: 0, peers: [] })
    const [, a2] = await udpExchange(url, [() => encodeConnectRequest(21), p => encodeAnnounceRequest(connId(p), 22, ann(2, { left: 0 }))])
    expect(a2).toEqual({ action: 'announce', transactionId: 22, interval: 300, leechers: 1, seeders: 1, peers: [{ host: '127.0.0.1', port: 6001 }] })
    expect(tracker.stats()).toMatchObject({ torrents: 1, peers: 2, udpPackets: 4 })
  })

  it('scrape with a valid id answers one entry per requested hash', async () => {
    tracker = await startTracker({ udpPort: 0 })
    const url = tracker.udpUrl as string
    let id1 = 0n
    const [, , s] = await udpExchange(url, [
      () => encodeConnectRequest(1),
      p => { id1 = connId(p); return encodeAnnounceRequest(id1, 2, ann(1)) },
      () => encodeScrapeRequest(id1, 3, [hash(1), hash(9), hash(1)])
    ])
    expect(s).toEqual({ action: 'scrape', transactionId: 3, entries: [
      { complete: 0, downloaded: 0, incomplete: 1 }, { complete: 0, downloaded: 0, incomplete: 0 }, { complete: 0, downloaded: 0, incomplete: 1 }
    ] })
  })

  it('answers a bad connection id with an error, ignores short and malformed packets, keeps serving', async () => {
    tracker = await startTracker({ udpPort: 0, allowList: [hash(1)] })
    const url = tracker.udpUrl as string
    const [bad] = await udpExchange(url, [() => encodeAnnounceRequest(12345n, 5, ann(1))])
    expect(bad).toEqual({ action: 'error', transactionId: 5, message: 'invalid connection id' })
    // Dropped packets get no reply: the first reply on this socket is the one to the connect sent after them.
    const replies = await udpBurst(url, [new Uint8Array(15), new Uint8Array(16), encodeAnnounceRequest(1n, 1, ann(1)).subarray(0, 97), encodeConnectRequest(99)])
    expect(replies).toMatchObject({ action: 'connect', transactionId: 99 })
    let cid = 0n
    const [, refused, ok] = await udpExchange(url, [
      () => encodeConnectRequest(1),
      p => { cid = connId(p); return encodeAnnounceRequest(cid, 2, ann(1, { infoHash: hash(2) })) },
      () => encodeAnnounceRequest(cid, 3, ann(1))
    ])
    expect(refused).toEqual({ action: 'error', transactionId: 2, message: 'info-hash not allowed' })
    expect(ok).toMatchObject({ action: 'announce', transactionId: 3, leechers: 1 })
  })

  it('counts announces with a claimed IP field against the sender, not the claimed address', async () => {
    tracker = await startTracker({ udpPort: 0, maxPeersPerAddress: 3 })
    const url = tracker.udpUrl as string
    let cid = 0n
    const replies = await udpExchange(url, [
      () => encodeConnectRequest(1),
      ...[0, 1, 2, 3, 4].map(p => (prev: UdpResponse | undefined) => {
        if (p === 0) cid = connId(prev)
        return encodeAnnounceRequest(cid, 10 + p, ann(p, { ip: `10.0.${p}.1`, infoHash: hash(1 + (p % 2)), numwant: 10 }))
      })
    ])
    expect(replies.slice(1).map(r => r?.action)).toEqual(['announce', 'announce', 'announce', 'error', 'error'])
    expect(replies[4]).toEqual({ action: 'error', transactionId: 13, message: 'too many peers from your address (at most 3)' })
    // the claimed address is still the one listed to other peers
    expect(replies[3]).toMatchObject({ action: 'announce', peers: [{ host: '10.0.0.1', port: 6000 }] })
    expect(tracker.stats()).toMatchObject({ peers: 3 })
  })

  it('a connection id is bound to the client IP address, not its port', async () => {
    tracker = await startTracker({ udpPort: 0, host: '0.0.0.0' })
    const url = (tracker.udpUrl as string).replace('0.0.0.0', '127.0.0.1')
    const [c] = await udpExchange(url, [() => encodeConnectRequest(1)])
    const [samePort] = await udpExchange(url, [() => encodeAnnounceRequest(connId(c), 2, ann(1))])
    expect(samePort).toMatchObject({ action: 'announce', transactionId: 2 })
    const [otherIp] = await udpExchange(url, [() => encodeAnnounceRequest(connId(c), 3, ann(1))], 5000, '127.0.0.2')
    expect(otherIp).toEqual({ action: 'error', transactionId: 3, message: 'invalid connection id' })
  })
})

describe('startTracker lifecycle', () => {
  it('closes on abort, and close is idempotent', async () => {
    const ac = new AbortController()
    const t = await startTracker({ httpPort: 0, udpPort: 0, signal: ac.signal })
    ac.abort()
    await t.close()
    await t.close()
    await expect(httpGet(t.httpUrl as string)).rejects.toThrow()
  })

  it('rejects when the port is taken, closing what it opened', async () => {
    tracker = await startTracker({ httpPort: 0 })
    const port = Number(new URL(tracker.httpUrl as string).port)
    await expect(startTracker({ udpPort: 0, httpPort: port })).rejects.toThrow(/EADDRINUSE/)
  })
})
