import { describe, expect, it } from 'vitest'
import { SwarmRegistry } from '../../../lib/tracker/swarm-registry.js'
import { TRACKER_LIMITS } from '../../../lib/tracker/limits.js'
import { TrackerError } from '../../../lib/tracker/tracker-error.js'
import type { AnnounceRequest } from '../../../lib/tracker/types.js'

/** 20 bytes whose first three carry `n`. */
const bytes20 = (n: number, tag = 0): Uint8Array => { const b = new Uint8Array(20); b[0] = n >>> 16; b[1] = (n >>> 8) & 255; b[2] = n & 255; b[19] = tag; return b }
const ann = (torrent: number, peer: number, over: Partial<AnnounceRequest> = {}): AnnounceRequest =>
  ({ infoHash: bytes20(torrent, 1), peerId: bytes20(peer, 2), port: 1 + (peer % 65535), uploaded: 0, downloaded: 0, left: 100, event: 'started', numwant: 0, ...over })
const ipv4 = (n: number): { host: string } => ({ host: `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}` })

function codeOf (f: () => unknown): string {
  try { f(); return 'ok' } catch (e) { if (e instanceof TrackerError) return `${e.code}: ${e.message}`; throw e }
}

describe('SwarmRegistry bounds its memory globally and per source address (issue 11 item 6)', () => {
  it('1,000,000 forged announces from one address stay at the per-address cap, in < 20 MiB of heap', () => {
    const r = new SwarmRegistry()
    const before = process.memoryUsage().heapUsed
    const started = performance.now()
    let refused = 0
    for (let i = 0; i < 1_000_000; i++) {
      // a new peer id, port and (every other time) info-hash each time
      try { r.announce(ann(i >>> 1, i), { host: '198.51.100.7' }, 0) } catch (e) { if (!(e instanceof TrackerError)) throw e; refused++ }
    }
    const grew = process.memoryUsage().heapUsed - before
    expect(r.stats().peers).toBe(TRACKER_LIMITS.maxPeersPerAddress)
    expect(r.stats().torrents).toBeLessThanOrEqual(TRACKER_LIMITS.maxPeersPerAddress)
    expect(r.entriesFrom('198.51.100.7')).toBe(TRACKER_LIMITS.maxPeersPerAddress)
    expect(refused).toBe(1_000_000 - TRACKER_LIMITS.maxPeersPerAddress)
    expect(grew).toBeLessThan(20 * 1024 * 1024)
    expect(performance.now() - started).toBeLessThan(10_000)
  }, 20_000)

  it('refuses the address, not everybody: its known peers re-announce, other addresses still get in', () => {
    const r = new SwarmRegistry({ maxPeersPerAddress: 3 })
    for (let p = 0; p < 3; p++) r.announce(ann(1, p), { host: '198.51.100.7' }, 0)
    expect(codeOf(() => r.announce(ann(1, 3), { host: '198.51.100.7' }, 0))).toBe('refused: too many peers from your address (at most 3)')
    // a forged info-hash makes no empty swarm
    expect(codeOf(() => r.announce(ann(2, 4), { host: '198.51.100.7' }, 0))).toMatch(/^refused/)
    expect(r.stats().torrents).toBe(1)
    expect(codeOf(() => r.announce(ann(1, 0, { event: 'none' }), { host: '198.51.100.7' }, 1))).toBe('ok')
    expect(codeOf(() => r.announce(ann(1, 9), { host: '203.0.113.1' }, 1))).toBe('ok')
    // the refusal carries a BEP 31 retry in
    try { r.announce(ann(1, 5), { host: '198.51.100.7' }, 0) } catch (e) { expect((e as TrackerError).retryIn).toBe(600) }
  })

  it('stopped and expiry give the address its room back', () => {
    const r = new SwarmRegistry({ maxPeersPerAddress: 2, peerTimeoutMs: 1000 })
    r.announce(ann(1, 0), { host: '198.51.100.7' }, 0)
    r.announce(ann(1, 1), { host: '198.51.100.7' }, 500)
    expect(codeOf(() => r.announce(ann(1, 2), { host: '198.51.100.7' }, 600))).toMatch(/^refused/)
    r.announce(ann(1, 0, { event: 'stopped' }), { host: '198.51.100.7' }, 700)
    expect(r.entriesFrom('198.51.100.7')).toBe(1)
    expect(codeOf(() => r.announce(ann(1, 2), { host: '198.51.100.7' }, 800))).toBe('ok')
    r.expire(10_000)
    expect(r.entriesFrom('198.51.100.7')).toBe(0)
    expect(r.stats().peers).toBe(0)
  })

  it('counts an IPv6 /64 as one source (one host can use all of it)', () => {
    const r = new SwarmRegistry({ maxPeersPerAddress: 4 })
    for (let p = 0; p < 4; p++) r.announce(ann(1, p), { host: `2001:db8:1:2::${(p + 1).toString(16)}` }, 0)
    expect(codeOf(() => r.announce(ann(1, 9), { host: '2001:db8:1:2:ffff::9' }, 0))).toMatch(/^refused: too many peers/)
    expect(codeOf(() => r.announce(ann(1, 9), { host: '2001:db8:1:3::1' }, 0))).toBe('ok')
    expect(r.entriesFrom('2001:db8:1:2::77')).toBe(4)
  })

  it('a peer id that moves to another address counts against the new one only', () => {
    const r = new SwarmRegistry({ maxPeersPerAddress: 1 })
    r.announce(ann(1, 0), { host: '198.51.100.7' }, 0)
    r.announce(ann(1, 0), { host: '198.51.100.8' }, 1)
    expect(r.entriesFrom('198.51.100.7')).toBe(0)
    expect(r.entriesFrom('198.51.100.8')).toBe(1)
    expect(r.stats().peers).toBe(1)
  })

  it('an entry whose listed address differs from its sender counts against the sender', () => {
    const r = new SwarmRegistry({ maxPeersPerAddress: 2 })
    r.announce(ann(1, 0), { host: '10.0.0.1', sender: '127.0.0.7' }, 0)
    r.announce(ann(2, 1), { host: '10.0.0.2', sender: '127.0.0.7' }, 0)
    expect(codeOf(() => r.announce(ann(3, 2), { host: '10.0.0.3', sender: '127.0.0.7' }, 0))).toMatch(/^refused: too many peers/)
    expect(r.entriesFrom('127.0.0.7')).toBe(2)
    expect(r.entriesFrom('10.0.0.1')).toBe(0)
    expect(r.announce(ann(1, 3, { numwant: 10 }), { host: '10.0.0.1' }, 0).peers).toEqual([{ host: '10.0.0.1', port: 1, peerId: bytes20(0, 2) }])
    expect(codeOf(() => r.announce(ann(1, 4), { host: '10.0.0.1', sender: 'nope' }, 0))).toBe('bad-request: sender address is not an IP address')
  })

  it('a global cap on peers: the tracker is full for new peers, known ones re-announce', () => {
    const r = new SwarmRegistry({ maxPeers: 1000 })
    for (let i = 0; i < 5000; i++) {
      const outcome = codeOf(() => r.announce(ann(i % 37, i), ipv4(i), 0))
      expect(outcome).toBe(i < 1000 ? 'ok' : 'refused: tracker is full')
    }
    expect(r.stats().peers).toBe(1000)
    expect(codeOf(() => r.announce(ann(5, 5, { event: 'none' }), ipv4(5), 1))).toBe('ok')
    expect(r.stats().peers).toBe(1000)
  })

  it(`a peer entry costs < 400 bytes and a torrent < 1,000: the defaults stay under ${Math.round((TRACKER_LIMITS.maxPeers * 400 + TRACKER_LIMITS.maxTorrents * 1000) / 2 ** 20)} MiB`, () => {
    const r = new SwarmRegistry({ maxPeers: 1e9, maxTorrents: 1e9, maxPeersPerTorrent: 1e9 })
    const n = 100_000
    const before = process.memoryUsage().heapUsed
    // one peer per address, spread over 20,000 torrents (5 peers each)
    for (let i = 0; i < n; i++) r.announce(ann(i % 20_000, i), ipv4(i), 0)
    const grew = process.memoryUsage().heapUsed - before
    expect(r.stats()).toMatchObject({ peers: n, torrents: 20_000 })
    expect(grew).toBeLessThan(n * 400 + 20_000 * 1000)
  })
})
