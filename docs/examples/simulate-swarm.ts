// Simulating a swarm: the same swarm twice, once with the default
// rarest-first picker and once with the in-order picker of
// docs/examples/sequential-picker.ts, on virtual time. Every peer uploads at
// 256 KB/s and downloads at 1 MB/s over links of 20 ms; one seed, twelve
// leechers, a few of them joining late. The same seed gives the same figures.
import { simulateSwarm, type SimPeerOptions, type SwarmResult } from '../../pipelines/sim/index.js'
import { inOrder } from './sequential-picker.js'

/** Mean and last completion time of the leechers, and the seed's upload in copies of the torrent. */
export interface PickerFigures {
  readonly meanDoneMs: number
  readonly lastDoneMs: number
  readonly seedCopies: number
  readonly result: SwarmResult
}

export async function comparePickers (seed = 1): Promise<{ rarestFirst: PickerFigures, inOrder: PickerFigures }> {
  const run = async (peer: SimPeerOptions): Promise<PickerFigures> => {
    const result = await simulateSwarm({
      torrent: { length: 4 * 1024 * 1024, pieceLength: 64 * 1024 },
      seeds: 1,
      leechers: Array.from({ length: 12 }, (_, i) => ({ joinAtMs: i < 9 ? 0 : 5000 * (i - 8) })),
      peerDefaults: { uploadRate: 256_000, downloadRate: 1_000_000, latencyMs: 20, ...peer },
      seed,
      timeLimitMs: 30 * 60_000
    })
    const done = result.peers.filter((p) => p.role === 'leecher').map((p) => p.completedAt ?? Infinity)
    const seedUp = result.peers.filter((p) => p.role === 'seed').reduce((a, p) => a + p.uploaded, 0)
    return {
      meanDoneMs: done.reduce((a, b) => a + b, 0) / done.length,
      lastDoneMs: Math.max(...done),
      seedCopies: seedUp / result.length,
      result
    }
  }
  return { rarestFirst: await run({}), inOrder: await run({ picker: inOrder }) }
}
