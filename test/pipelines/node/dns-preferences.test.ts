import { createSocket, type Socket } from 'node:dgram'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dnsPreferences } from '../../../pipelines/node/dns-preferences.js'
import { nodeTrackerClient } from '../../../pipelines/node/tracker-client.js'

/**
 * A minimal DNS responder on 127.0.0.1 for TXT queries: answers from `records`
 * (host → records, each a list of character strings), NXDOMAIN for unknown
 * hosts, SERVFAIL for `fail.test`, silence for `silent.test`.
 */
class TxtServer {
  readonly socket: Socket = createSocket('udp4')
  readonly queries: string[] = []
  constructor (private readonly records: ReadonlyMap<string, string[][]>) {
    this.socket.on('message', (msg, from) => { const r = this.answer(msg); if (r !== undefined) this.socket.send(r, from.port, from.address) })
  }

  async listen (): Promise<number> {
    await new Promise<void>(resolve => { this.socket.bind(0, '127.0.0.1', resolve) })
    return this.socket.address().port
  }

  private answer (msg: Buffer): Buffer | undefined {
    if (msg.length < 12) return undefined
    const labels: string[] = []
    let at = 12
    while (at < msg.length && msg[at] !== 0) {
      const len = msg[at] as number
      labels.push(msg.subarray(at + 1, at + 1 + len).toString('latin1'))
      at += 1 + len
    }
    const questionEnd = at + 5
    const name = labels.join('.').toLowerCase()
    const qtype = msg.readUInt16BE(at + 1)
    this.queries.push(name)
    if (name === 'silent.test') return undefined
    const header = Buffer.alloc(12)
    header.writeUInt16BE(msg.readUInt16BE(0), 0)
    header.writeUInt16BE(1, 4)
    const question = msg.subarray(12, questionEnd)
    const found = this.records.get(name)
    if (name === 'fail.test' || found === undefined || qtype !== 16) {
      header.writeUInt16BE(name === 'fail.test' ? 0x8182 : 0x8183, 2)
      return Buffer.concat([header, question])
    }
    header.writeUInt16BE(0x8180, 2)
    header.writeUInt16BE(found.length, 6)
    const answers = found.map(strings => {
      const rdata = Buffer.concat(strings.map(s => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])))
      const rr = Buffer.alloc(12)
      rr.writeUInt16BE(0xc00c, 0)
      rr.writeUInt16BE(16, 2)
      rr.writeUInt16BE(1, 4)
      rr.writeUInt32BE(300, 6)
      rr.writeUInt16BE(rdata.length, 10)
      return Buffer.concat([rr, rdata])
    })
    return Buffer.concat([header, question, ...answers])
  }
}

const server = new TxtServer(new Map([
  ['deny.test', [['v=spf1 -all'], ['BITTORRENT DENY ALL']]],
  ['bare.test', [['BITTORRENT']]],
  ['prefs.test', [['BITTORRENT UDP:6969 ', 'TCP:8080']]],
  ['other.test', [['hello world']]]
]))
let servers: string[] = []

beforeAll(async () => { servers = [`127.0.0.1:${await server.listen()}`] })
afterAll(() => { server.socket.close() })

describe('dnsPreferences (BEP 34)', () => {
  it('rewrites a tracker URL to the services of its host, in order', async () => {
    const dns = dnsPreferences({ servers })
    expect(await dns.urlsFor('http://prefs.test/announce?pk=1')).toEqual(['udp://prefs.test:6969/announce?pk=1', 'http://prefs.test:8080/announce?pk=1'])
    expect(await dns.policyOf('prefs.test')).toEqual({ kind: 'services', services: [{ protocol: 'udp', port: 6969 }, { protocol: 'tcp', port: 8080 }] })
  })

  it('gives nothing to try for a host that denies all trackers', async () => {
    const dns = dnsPreferences({ servers })
    expect(await dns.urlsFor('udp://deny.test:80')).toEqual([])
    expect(await dns.urlsFor('http://bare.test/announce')).toEqual([])
  })

  it('uses the URL as is without a BITTORRENT record or when the lookup fails', async () => {
    const dns = dnsPreferences({ servers, timeoutMs: 200 })
    expect(await dns.urlsFor('http://other.test/announce')).toEqual(['http://other.test/announce'])
    expect(await dns.urlsFor('http://missing.test/announce')).toEqual(['http://missing.test/announce'])
    expect(await dns.urlsFor('http://fail.test/announce')).toEqual(['http://fail.test/announce'])
    expect(await dns.urlsFor('http://silent.test/announce')).toEqual(['http://silent.test/announce'])
  })

  it('does not look up IP addresses or localhost, and caches answers per host', async () => {
    const dns = dnsPreferences({ servers })
    const before = server.queries.length
    expect(await dns.urlsFor('udp://127.0.0.1:1')).toEqual(['udp://127.0.0.1:1'])
    expect(await dns.urlsFor('http://[::1]:1/announce')).toEqual(['http://[::1]:1/announce'])
    expect(await dns.urlsFor('http://localhost:1/announce')).toEqual(['http://localhost:1/announce'])
    expect(server.queries.length).toBe(before)
    await dns.urlsFor('http://prefs.test/announce')
    await dns.urlsFor('udp://PREFS.test:1')
    expect(server.queries.slice(before)).toEqual(['prefs.test'])
  })

  it('asks again once the cache entry is older than cacheMs', async () => {
    let t = 0
    const dns = dnsPreferences({ servers, cacheMs: 1000, now: () => t })
    const before = server.queries.length
    await dns.urlsFor('http://deny.test/announce')
    t = 999
    await dns.urlsFor('http://deny.test/announce')
    t = 1000
    await dns.urlsFor('http://deny.test/announce')
    expect(server.queries.slice(before)).toEqual(['deny.test', 'deny.test'])
  })

  it('rejects with the signal reason when aborted', async () => {
    const dns = dnsPreferences({ servers, timeoutMs: 5000 })
    const ac = new AbortController()
    const p = dns.urlsFor('http://silent.test/announce', { signal: ac.signal })
    const reason = new Error('stop')
    ac.abort(reason)
    await expect(p).rejects.toBe(reason)
  })
})

describe('nodeTrackerClient with dnsPreferences', () => {
  it('refuses a tracker whose host denies trackers, for good', async () => {
    const client = nodeTrackerClient({ dnsPreferences: true, dnsServers: servers })
    const req = { infoHash: new Uint8Array(20), peerId: new Uint8Array(20), port: 1, uploaded: 0, downloaded: 0, left: 0, event: 'started' as const }
    await expect(client.announce('http://deny.test/announce', req)).rejects.toMatchObject({ name: 'TrackerError', code: 'refused', retryIn: 'never' })
    await client.close()
  })
})
