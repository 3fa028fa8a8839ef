import { describe, expect, it } from 'vitest'
import { simulateSwarm } from '../../pipelines/sim/index.js'

const MiB = 1024 * 1024
const KiB = 1024

describe('BEP 40 churn at the connection limit', () => {
  // 60 leechers that all know each other but hold 20 connections each: the
  // first seconds sort the connections by BEP 40 priority; after that a
  // replaced peer, or one a peer at its limit hung up on, is held (not
  // re-dialed for 60 s), so replacements stop instead of cascading.
  it('a 60-peer swarm with maxConnections 20 settles: few limit closes per peer over a 20 s download', async () => {
    const r = await simulateSwarm({
      torrent: { length: 2 * MiB, pieceLength: 64 * KiB },
      leechers: 60,
      peerDefaults: { uploadRate: 200_000, downloadRate: 800_000, latencyMs: 20, maxConnections: 20 },
      trackerPeers: 60,
      verify: 'sampled',
      seed: 1,
      timeLimitMs: 10 * 60_000
    })
    const closes = r.peers.map((p) => p.limitCloses)
    const total = closes.reduce((a, b) => a + b, 0)
    console.log(`60 peers, limit 20: done at ${(r.endedAt / 1000).toFixed(1)} s virtual; ${total} limit closes, at most ${Math.max(...closes)} by one peer`)
    expect(r.complete).toBe(true)
    expect(r.endedAt).toBeGreaterThan(15_000)
    // Sorting 60 peers into sets of 20 takes a few rounds of replacements per peer; churn would take hundreds.
    expect(total / r.peers.length).toBeLessThan(30)
    expect(Math.max(...closes)).toBeLessThan(50)
  }, 120_000)
})
