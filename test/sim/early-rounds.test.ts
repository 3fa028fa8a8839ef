import { describe, expect, it } from 'vitest'
import { simulateSwarm } from '../../pipelines/sim/index.js'
import { EARLY_ROUND_BURST, EARLY_ROUND_MIN_MS } from '../../pipelines/torrent-runtime.js'

describe('early choke rounds in a busy swarm', () => {
  // Interest changes many times a second in a swarm of 40 trading 64 pieces;
  // each early round weighs every peer, so after a burst of EARLY_ROUND_BURST
  // they are spaced EARLY_ROUND_MIN_MS apart.
  it('no peer runs more than EARLY_ROUND_BURST + t / EARLY_ROUND_MIN_MS early rounds in any span t, and they still happen', async () => {
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
    const times = new Map<string, number[]>()
    for (const c of early) times.set(c.peer, [...(times.get(c.peer) ?? []), c.at])
    let worst = -Infinity
    let spaced = Infinity
    for (const at of times.values()) {
      for (let i = 0; i < at.length; i++) {
        for (let j = i; j < at.length; j++) worst = Math.max(worst, j - i + 1 - ((at[j] as number) - (at[i] as number)) / EARLY_ROUND_MIN_MS)
      }
      for (let i = EARLY_ROUND_BURST; i < at.length; i++) spaced = Math.min(spaced, (at[i] as number) - (at[i - EARLY_ROUND_BURST] as number))
    }
    expect(worst).toBeLessThanOrEqual(EARLY_ROUND_BURST + 1e-6)
    // The burst is used: some peer ran more than one early round within one interval.
    expect(worst).toBeGreaterThan(1)
    // BURST + 1 rounds take at least one interval.
    expect(spaced).toBeGreaterThanOrEqual(EARLY_ROUND_MIN_MS)
    expect(early.length).toBeGreaterThan(r.peers.length)
    expect(early.length).toBeLessThanOrEqual(r.peers.length * (3000 / EARLY_ROUND_MIN_MS + EARLY_ROUND_BURST))
  }, 60_000)
})
