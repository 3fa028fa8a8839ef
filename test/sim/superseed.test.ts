import { afterEach, describe, expect, it } from 'vitest'
import { memoryNetwork } from '../../operators/memory-network.js'
import { VirtualClock } from '../../operators/virtual-clock.js'
import { makeData, makeTorrent } from '../pipelines/swarm-helpers.js'
import { covered, gatedTransport, hostOf, runUntil, startNode, type NodeOptions, type SwarmNode } from './helpers.js'

const nodes: SwarmNode[] = []
afterEach(() => { while (nodes.length > 0) nodes.pop()?.stop() })

const PIECE = 16384
const PIECES = 40
const LEECHERS = 5
const UPLOAD_LIMIT = 32 * 1024
const VIRTUAL_LIMIT_MS = 30 * 60_000

interface Outcome {
  /** Bytes the seed had uploaded when the leechers first held every piece between them. */
  readonly seedUploadAtFirstCopy: number
  readonly firstCopyAt: number
  readonly doneAt: number
  readonly seedUploadAtDone: number
}

/**
 * BEP 16 in an in-process swarm on a virtual clock: a seed (five upload
 * slots) and five leechers that know each other, every node uploading at
 * most {@link UPLOAD_LIMIT}, no peer exchange. Superseeding offers each
 * leecher one piece at a time, so the first complete copy exists among the
 * leechers after the seed has uploaded little more than one copy.
 */
async function run (superseed: boolean): Promise<Outcome> {
  const data = makeData(PIECES * PIECE, 71)
  const torrent = makeTorrent(data, PIECE)
  const net = memoryNetwork()
  const clock = new VirtualClock()
  const common: NodeOptions = { scheduler: clock, uploadLimit: UPLOAD_LIMIT, progressIntervalMs: 1000, pex: false }
  let open!: () => void
  const seeder = await startNode(net, hostOf(1), torrent, { data }, {
    ...common, superseed, uploadSlots: 5, randomSeed: 7, wrapTransport: (t) => { const g = gatedTransport(t); open = g.open; return g.transport }
  })
  nodes.push(seeder)
  const leechers: SwarmNode[] = []
  for (let i = 0; i < LEECHERS; i++) {
    const leecher = await startNode(net, hostOf(i + 2), torrent, { peers: [seeder.address, ...leechers.map((l) => l.address)] }, { ...common, requestQueueDepth: 4, randomSeed: 700 + i })
    nodes.push(leecher)
    leechers.push(leecher)
  }
  open()
  await runUntil(clock, () => covered(leechers, PIECES), VIRTUAL_LIMIT_MS, 'a complete copy among the leechers')
  const seedUploadAtFirstCopy = seeder.runtime.progress().uploaded
  const firstCopyAt = clock.now()
  await runUntil(clock, () => leechers.every((l) => l.completedAt() !== undefined), VIRTUAL_LIMIT_MS, 'every leecher complete')
  for (const l of leechers) expect(Buffer.compare(await l.storage.read(0, data.length), data)).toBe(0)
  const outcome = { seedUploadAtFirstCopy, firstCopyAt, doneAt: clock.now(), seedUploadAtDone: seeder.runtime.progress().uploaded }
  while (nodes.length > 0) nodes.pop()?.stop()
  return outcome
}

const copies = (bytes: number): string => (bytes / (PIECES * PIECE)).toFixed(2)

describe('superseeding (BEP 16) in an in-process swarm, in virtual time', () => {
  it('the first complete copy exists in the swarm after the seed uploaded little more than one copy, the same way in two runs', async () => {
    const r = await run(true)
    console.log(`superseeding: the seed had uploaded ${copies(r.seedUploadAtFirstCopy)} copies when the leechers first held every piece (at ${(r.firstCopyAt / 1000).toFixed(1)} s virtual); all complete at ${(r.doneAt / 1000).toFixed(1)} s with ${copies(r.seedUploadAtDone)} copies from the seed`)
    expect(r.seedUploadAtFirstCopy).toBeGreaterThanOrEqual(PIECES * PIECE)
    expect(r.seedUploadAtFirstCopy).toBeLessThanOrEqual(1.5 * PIECES * PIECE)
    // One copy at the seed's upload limit takes this long at least.
    expect(r.firstCopyAt).toBeGreaterThanOrEqual((PIECES * PIECE - UPLOAD_LIMIT) / UPLOAD_LIMIT * 1000)
    expect(await run(true)).toEqual(r)
  })

  it('for comparison, a plain seed in the same swarm uploads more before the first copy exists', async () => {
    const plain = await run(false)
    const superseeding = await run(true)
    console.log(`plain seeding: ${copies(plain.seedUploadAtFirstCopy)} copies at ${(plain.firstCopyAt / 1000).toFixed(1)} s; superseeding: ${copies(superseeding.seedUploadAtFirstCopy)} at ${(superseeding.firstCopyAt / 1000).toFixed(1)} s`)
    expect(superseeding.seedUploadAtFirstCopy).toBeLessThan(plain.seedUploadAtFirstCopy)
  })
})
