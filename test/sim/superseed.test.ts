import { describe, expect, it } from 'vitest'
import { simulateSwarm, type SimPeerResult, type SwarmView } from '../../pipelines/sim/index.js'

const PIECE = 16384
const PIECES = 40
const LENGTH = PIECES * PIECE
const LEECHERS = 5
const UPLOAD = 32 * 1024

/** The leechers hold every piece between them. */
const firstCopy = (s: SwarmView): boolean => {
  const leechers = s.peers.filter((p) => p.role === 'leecher')
  for (let i = 0; i < s.pieceCount; i++) if (!leechers.some((p) => p.has(i))) return false
  return true
}

interface Outcome {
  /** What the seed had uploaded when the leechers first held every piece between them (it leaves then). */
  readonly seedUploadAtFirstCopy: number
  readonly firstCopyAt: number
  readonly complete: boolean
}

/**
 * BEP 16 in a simulated swarm: a seed (five upload slots) and five
 * leechers, every link uploading at most {@link UPLOAD}, no peer exchange.
 * The seed leaves as soon as the leechers hold a complete copy between
 * them, so its upload then is what it took to seed one copy.
 */
async function run (superseed: boolean): Promise<Outcome> {
  const r = await simulateSwarm({
    torrent: { length: LENGTH, pieceLength: PIECE },
    seeds: [{ superseed, uploadSlots: 5, leaveWhen: firstCopy }],
    leechers: LEECHERS,
    peerDefaults: { uploadRate: UPLOAD, latencyMs: 5, requestQueueDepth: 4, pex: false },
    seed: 71,
    timeLimitMs: 30 * 60_000
  })
  const seed = r.peers.find((p) => p.role === 'seed') as SimPeerResult
  return { seedUploadAtFirstCopy: seed.uploaded, firstCopyAt: seed.leftAt ?? -1, complete: r.complete }
}

const copies = (bytes: number): string => (bytes / LENGTH).toFixed(2)

describe('superseeding (BEP 16) in a simulated swarm', () => {
  it('the first complete copy exists after the seed uploaded little more than one copy; a plain seed uploads more by then', async () => {
    const superseeding = await run(true)
    const plain = await run(false)
    console.log(`superseeding: ${copies(superseeding.seedUploadAtFirstCopy)} copies when the leechers first held every piece (${(superseeding.firstCopyAt / 1000).toFixed(1)} s virtual); plain seeding: ${copies(plain.seedUploadAtFirstCopy)} (${(plain.firstCopyAt / 1000).toFixed(1)} s)`)
    expect(superseeding.complete).toBe(true)
    expect(plain.complete).toBe(true)
    expect(superseeding.seedUploadAtFirstCopy).toBeGreaterThanOrEqual(LENGTH)
    expect(superseeding.seedUploadAtFirstCopy).toBeLessThanOrEqual(1.5 * LENGTH)
    // One copy through the seed's link takes this long at least.
    expect(superseeding.firstCopyAt).toBeGreaterThanOrEqual(LENGTH / UPLOAD * 1000)
    expect(superseeding.seedUploadAtFirstCopy).toBeLessThan(plain.seedUploadAtFirstCopy)
  }, 120_000)
})
