import { describe, expect, it } from 'vitest'
import { simulateSwarm, type SimPeerResult, type SwarmResult, type SwarmView } from '../../pipelines/sim/index.js'

const PIECE = 16384
const PIECES = 48
const LENGTH = PIECES * PIECE
const LEECHERS = 10
/** Every peer's link sends at most this many bytes per second (virtual time): transfers take time, choke rounds happen. */
const UPLOAD = 32 * 1024
const VIRTUAL_LIMIT_MS = 30 * 60_000

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)
const leechersOf = (r: SwarmResult): SimPeerResult[] => r.peers.filter((p) => p.role === 'leecher')
const seedOf = (r: SwarmResult): SimPeerResult => r.peers.find((p) => p.role === 'seed') as SimPeerResult

/** The leechers online hold every piece between them. */
const coveredByLeechers = (s: SwarmView): boolean => {
  const online = s.peers.filter((p) => p.role === 'leecher' && p.online)
  for (let i = 0; i < s.pieceCount; i++) if (!online.some((p) => p.has(i))) return false
  return true
}

/**
 * A seed with two upload slots and ten leechers, every link uploading at
 * most {@link UPLOAD} with 10 ms of latency, four requests outstanding per
 * peer (so no peer holds every block of this small torrent at once).
 */
async function tenLeechers (seed: number, extra: { seedLeavesWhenCovered?: boolean, lateLeecherAtMs?: number } = {}): Promise<SwarmResult> {
  return await simulateSwarm({
    torrent: { length: LENGTH, pieceLength: PIECE },
    seeds: [{ uploadSlots: 2, ...(extra.seedLeavesWhenCovered === true ? { leaveWhen: coveredByLeechers } : {}) }],
    leechers: [
      ...Array.from({ length: LEECHERS }, () => ({})),
      ...(extra.lateLeecherAtMs === undefined ? [] : [{ name: 'late', joinAtMs: extra.lateLeecherAtMs }])
    ],
    peerDefaults: { uploadRate: UPLOAD, latencyMs: 10, requestQueueDepth: 4 },
    seed,
    timeLimitMs: VIRTUAL_LIMIT_MS,
    traceChokes: true
  })
}

describe('simulateSwarm: one seed and ten leechers, in virtual time', () => {
  it('every leecher completes, most of the data traded between leechers; choke rounds every 10 s; the same seed gives the same result', async () => {
    const r = await tenLeechers(21)
    const leechers = leechersOf(r)
    const seed = seedOf(r)
    const total = LEECHERS * LENGTH
    const downs = leechers.map((l) => l.downloaded)
    const ups = leechers.map((l) => l.uploaded)
    console.log(`swarm (virtual time): done at ${(r.endedAt / 1000).toFixed(1)} s (leechers at ${leechers.map((l) => ((l.completedAt ?? 0) / 1000).toFixed(1)).join(' ')} s); seed uploaded ${(seed.uploaded / LENGTH).toFixed(2)} copies; leechers uploaded ${sum(ups)} B, downloaded ${sum(downs)} B`)
    expect(r.complete).toBe(true)
    expect(leechers.every((l) => l.completedAt !== null && l.error === null)).toBe(true)

    // The seed served far fewer than ten copies: the leechers traded the rest.
    expect(seed.uploaded).toBeGreaterThanOrEqual(LENGTH)
    expect(seed.uploaded).toBeLessThan(3 * LENGTH)
    // Every byte downloaded was uploaded by someone; duplicates (endgame) are the only waste.
    expect(sum(downs)).toBeGreaterThanOrEqual(total)
    expect(sum(downs)).toBeLessThanOrEqual(total * 1.1)
    expect(seed.uploaded + sum(ups)).toBe(sum(downs))
    expect(r.totals.uploaded).toBe(r.totals.downloaded)
    expect(ups.every((u) => u > 0)).toBe(true)
    expect(ups.filter((u) => u >= LENGTH / 4).length).toBeGreaterThanOrEqual(5)

    // The links bound virtual time: eleven uploaders at UPLOAD cannot move ten
    // copies faster, and the seed cannot have sent more than its link allows.
    expect(r.endedAt).toBeGreaterThanOrEqual(total / (11 * UPLOAD) * 1000)
    expect(seed.uploaded).toBeLessThanOrEqual(UPLOAD * r.endedAt / 1000)
    for (const l of leechers) expect(l.uploaded).toBeLessThanOrEqual(UPLOAD * r.endedAt / 1000)

    // Choke rounds every 10 s; the seed's two slots plus one optimistic, never more;
    // a leecher's optimistic unchoke rotated.
    const seedRounds = r.chokeRounds.filter((c) => c.peer === seed.name)
    expect(seedRounds.length).toBeGreaterThanOrEqual(Math.floor(r.endedAt / 10_000))
    expect(Math.max(...seedRounds.map((c) => c.unchoked.length))).toBeLessThanOrEqual(3)
    expect(seedRounds.flatMap((c) => c.unchoked).every((n) => n.startsWith('leecher-'))).toBe(true)
    const rotated = leechers.filter((l) => new Set(r.chokeRounds.filter((c) => c.peer === l.name && !c.seeding && c.optimistic !== null).map((c) => c.optimistic)).size >= 2)
    expect(rotated.length).toBeGreaterThanOrEqual(1)

    // Deterministic: the same seed again gives exactly the same result.
    expect(await tenLeechers(21)).toEqual(r)
  }, 120_000)

  it('when the seed leaves once the leechers hold every piece between them, they all complete, and a late leecher completes from them', async () => {
    const r = await tenLeechers(22, { seedLeavesWhenCovered: true, lateLeecherAtMs: 10 * 60_000 })
    const seed = seedOf(r)
    const leechers = leechersOf(r).filter((l) => l.name !== 'late')
    const late = r.peers.find((p) => p.name === 'late') as SimPeerResult
    console.log(`seed left at ${((seed.leftAt ?? 0) / 1000).toFixed(1)} s having uploaded ${(seed.uploaded / LENGTH).toFixed(2)} copies; leechers done by ${(Math.max(...leechers.map((l) => l.completedAt ?? 0)) / 1000).toFixed(1)} s; the late leecher at ${((late.completedAt ?? 0) / 1000).toFixed(1)} s`)
    expect(seed.leftAt).not.toBeNull()
    // The seed was gone before at least one leecher had finished.
    expect(leechers.some((l) => (l.completedAt ?? Infinity) > (seed.leftAt ?? 0))).toBe(true)
    expect(r.complete).toBe(true)
    // The newcomer joined after the seed left and after the others completed: it got every byte from leechers.
    expect(late.joinedAt).toBe(10 * 60_000)
    expect(leechers.every((l) => (l.completedAt ?? Infinity) < 10 * 60_000)).toBe(true)
    expect(late.completedAt).toBeGreaterThan(10 * 60_000)
    expect(late.downloaded).toBeGreaterThanOrEqual(LENGTH)
    expect(seed.uploaded + sum(leechersOf(r).map((l) => l.uploaded))).toBe(r.totals.downloaded)
  }, 120_000)
})
