import { describe, expect, it } from 'vitest'
import { xorshift32 } from '../../../lib/pieces/xorshift32.js'
import { SwarmRegistry } from '../../../lib/tracker/swarm-registry.js'
import { TrackerError } from '../../../lib/tracker/tracker-error.js'
import type { AnnounceRequest } from '../../../lib/tracker/types.js'

const hash = (n: number): Uint8Array => new Uint8Array(20).fill(n)
const id = (n: number): Uint8Array => { const b = new Uint8Array(20); b[0] = n >> 8; b[1] = n & 0xff; return b }
const ann = (peer: number, over: Partial<AnnounceRequest> = {}): AnnounceRequest =>
  ({ infoHash: hash(1), peerId: id(peer), port: 6000 + peer, uploaded: 0, downloaded: 0, left: 100, event: 'started', ...over })
const at = (n: number): { host: string } => ({ host: `10.0.${n >> 8}.${n & 0xff}` })

function refused (f: () => unknown): TrackerError {
  try { f() } catch (e) { if (e instanceof TrackerError) return e; throw e }
  throw new Error('expected a TrackerError')
}

describe('SwarmRegistry', () => {
  it('returns other peers, never the requester, with counts', () => {
    const r = new SwarmRegistry()
    expect(r.announce(ann(1), at(1), 0)).toEqual({ peers: [], complete: 0, incomplete: 1 })
    r.announce(ann(2, { left: 0 }), at(2), 0)
    const third = r.announce(ann(3), at(3), 0)
    expect(third.complete).toBe(1)
    expect(third.incomplete).toBe(2)
    expect(third.peers.map(p => `${p.host}:${p.port}`).sort()).toEqual(['10.0.0.1:6001', '10.0.0.2:6002'])
    expect(third.peers.every(p => p.peerId?.length === 20)).toBe(true)
  })

  it('a seeder gets only leechers', () => {
    const r = new SwarmRegistry()
    r.announce(ann(1, { left: 0 }), at(1), 0)
    r.announce(ann(2), at(2), 0)
    expect(r.announce(ann(3, { left: 0 }), at(3), 0).peers.map(p => p.port)).toEqual([6002])
  })

  it('uses the remote address, IPv4-mapped IPv6 as IPv4, and can filter by family', () => {
    const r = new SwarmRegistry()
    r.announce(ann(1), { host: '::ffff:192.0.2.1' }, 0)
    r.announce(ann(2), { host: '2001:db8::7' }, 0)
    const all = r.announce(ann(3), at(3), 0).peers.map(p => p.host).sort()
    expect(all).toEqual(['192.0.2.1', '2001:db8::7'])
    expect(r.announce(ann(3), at(3), 0, { family: 6 }).peers.map(p => p.host)).toEqual(['2001:db8::7'])
    expect(() => r.announce(ann(4), { host: 'not an ip' }, 0)).toThrow(TrackerError)
  })

  it('numwant: default 50, capped at 200, 0 gives none; the sample is random but injected', () => {
    const r = new SwarmRegistry({ random: xorshift32(7) })
    for (let i = 1; i <= 300; i++) r.announce(ann(i), at(i), 0)
    expect(r.announce(ann(1), at(1), 0).peers).toHaveLength(50)
    expect(r.announce(ann(1, { numwant: 1000 }), at(1), 0).peers).toHaveLength(200)
    expect(r.announce(ann(1, { numwant: 0 }), at(1), 0).peers).toHaveLength(0)
    const sample = r.announce(ann(1, { numwant: 200 }), at(1), 0).peers
    expect(new Set(sample.map(p => p.port)).size).toBe(200)
    expect(sample.some(p => p.port === 6001)).toBe(false)
  })

  it('the same injected random source gives the same sample', () => {
    const run = (): number[] => {
      const r = new SwarmRegistry({ random: xorshift32(7) })
      for (let i = 1; i <= 300; i++) r.announce(ann(i), at(i), 0)
      return r.announce(ann(1), at(1), 0).peers.map(p => p.port)
    }
    expect(run()).toEqual(run())
  })

  it('stopped removes the peer; completed counts one download per peer', () => {
    const r = new SwarmRegistry()
    r.announce(ann(1), at(1), 0)
    r.announce(ann(2), at(2), 0)
    r.announce(ann(2, { event: 'completed', left: 0 }), at(2), 1)
    r.announce(ann(2, { event: 'completed', left: 0 }), at(2), 2)
    expect(r.scrape([hash(1)]).files.get('01'.repeat(20))).toEqual({ complete: 1, incomplete: 1, downloaded: 1 })
    expect(r.announce(ann(1, { event: 'stopped' }), at(1), 3)).toEqual({ peers: [], complete: 1, incomplete: 0 })
    expect(r.stats()).toEqual({ torrents: 1, peers: 1, seeders: 1, leechers: 0 })
    r.announce(ann(2, { event: 'stopped' }), at(2), 4)
    expect(r.stats()).toEqual({ torrents: 0, peers: 0, seeders: 0, leechers: 0 })
  })

  it('a re-announce updates the peer instead of adding one', () => {
    const r = new SwarmRegistry()
    r.announce(ann(1), at(1), 0)
    r.announce(ann(1, { port: 7777, event: 'none', left: 0 }), at(9), 10)
    expect(r.stats()).toEqual({ torrents: 1, peers: 1, seeders: 1, leechers: 0 })
    expect(r.announce(ann(2), at(2), 11).peers).toMatchObject([{ host: '10.0.0.9', port: 7777 }])
  })

  it('expires peers that did not re-announce within peerTimeoutMs (virtual time)', () => {
    const r = new SwarmRegistry({ peerTimeoutMs: 1000 })
    r.announce(ann(1), at(1), 0)
    r.announce(ann(2), at(2), 500)
    r.announce(ann(3, { infoHash: hash(2) }), at(3), 600)
    expect(r.expire(999)).toBe(0)
    expect(r.expire(1000)).toBe(1)
    expect(r.stats()).toMatchObject({ torrents: 2, peers: 2 })
    r.announce(ann(2, { event: 'none' }), at(2), 1400)
    expect(r.expire(1600)).toBe(1)
    expect(r.stats()).toMatchObject({ torrents: 1, peers: 1 })
    expect(r.expire(2400)).toBe(1)
    expect(r.stats()).toEqual({ torrents: 0, peers: 0, seeders: 0, leechers: 0 })
  })

  it('allow-list: other info-hashes are refused for good', () => {
    const r = new SwarmRegistry({ allowList: [hash(1)] })
    expect(r.announce(ann(1), at(1), 0).incomplete).toBe(1)
    const e = refused(() => r.announce(ann(1, { infoHash: hash(2) }), at(1), 0))
    expect(e.code).toBe('refused')
    expect(e.message).toBe('info-hash not allowed')
    expect(e.retryIn).toBe('never')
  })

  it('bounds its memory: max torrents refuses new ones, max peers evicts the stalest', () => {
    const r = new SwarmRegistry({ maxTorrents: 2, maxPeersPerTorrent: 3 })
    r.announce(ann(1, { infoHash: hash(1) }), at(1), 0)
    r.announce(ann(1, { infoHash: hash(2) }), at(1), 0)
    expect(refused(() => r.announce(ann(1, { infoHash: hash(3) }), at(1), 0)).code).toBe('refused')
    for (let i = 2; i <= 10; i++) r.announce(ann(i), at(i), i)
    expect(r.stats()).toMatchObject({ torrents: 2, peers: 4 })
    const ports = r.announce(ann(11, { numwant: 10 }), at(11), 20).peers.map(p => p.port).sort()
    expect(ports).toEqual([6009, 6010])
    for (let i = 0; i < 10_000; i++) r.announce(ann(100 + i), at(i), 30 + i)
    expect(r.stats().peers).toBe(4)
  })

  it('scrape gives zeros for unknown torrents and everything when asked for nothing', () => {
    const r = new SwarmRegistry()
    r.announce(ann(1), at(1), 0)
    expect([...r.scrape([hash(9)]).files]).toEqual([['09'.repeat(20), { complete: 0, incomplete: 0, downloaded: 0 }]])
    expect([...r.scrape([]).files.keys()]).toEqual(['01'.repeat(20)])
  })
})
