import { describe, expect, it } from 'vitest'
import { simulateSwarm } from '../../pipelines/sim/index.js'
import { EARLY_ROUND_MIN_MS } from '../../pipelines/torrent-runtime.js'

describe('early choke rounds in a busy swarm', () => {
  // Interest changes many times a second in a swarm of 40 trading 64 pieces;
  // each early round weighs every peer, so they are spaced EARLY_ROUND_MIN_MS apart.
  it('no peer runs early rounds closer together than EARLY_ROUND_MIN_MS, and they still happen', async () => {
    const r = await simulateSwarm({
      torrent: { length: 16 * 1024 * 1024, pieceLength: 256 * 1024 },
      leechers: 40,
      peerDefaults: { uploadRate: 10_000_000, downloadRate: 40_000_000, latencyMs: 20 },
      seed: 1,
      verify: 'sampled',
      traceChokes: true,
      timeLimitMs: 3000
    })
    const early = r.chokeRounds.filter((c) => c.early)
    const last = new Map<string, number>()
    let closest = Infinity
    for (const c of early) {
      const before = last.get(c.peer)
      if (before !== undefined) closest = Math.min(closest, c.at - before)
      last.set(c.peer, c.at)
    }
    expect(closest).toBeGreaterThanOrEqual(EARLY_ROUND_MIN_MS)
    expect(early.length).toBeGreaterThan(r.peers.length)
    expect(early.length).toBeLessThanOrEqual(r.peers.length * (3000 / EARLY_ROUND_MIN_MS + 1))
  }, 60_000)
})
