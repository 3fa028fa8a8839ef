import { afterEach, describe, expect, it } from 'vitest'
import { memoryNetwork, type MemoryNetwork } from '../../operators/memory-network.js'
import { VirtualClock } from '../../operators/virtual-clock.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { makeData, makeTorrent } from '../pipelines/swarm-helpers.js'
import { covered, gatedTransport, hostOf, runUntil, startNode, type NodeOptions, type SwarmNode } from './helpers.js'

const nodes: SwarmNode[] = []
afterEach(() => { while (nodes.length > 0) nodes.pop()?.stop() })

const PIECE = 16384
const PIECES = 48
const LEECHERS = 10
/** Outstanding requests per peer: a few, so one peer cannot hold every block of this small torrent at once. */
const DEPTH = 4
/** Every node uploads at most this many bytes per second (virtual time): transfers take time, choke rounds happen. */
const UPLOAD_LIMIT = 32 * 1024
/** Virtual time allowed for the whole swarm to finish. */
const VIRTUAL_LIMIT_MS = 30 * 60_000

interface Swarm {
  readonly data: Uint8Array
  readonly torrent: Torrent
  readonly net: MemoryNetwork
  readonly clock: VirtualClock
  readonly seeder: SwarmNode
  readonly leechers: SwarmNode[]
}

/**
 * On a virtual clock: a seed at 10.0.0.1 with two upload slots, then ten
 * leechers, each given the seed and the leechers before it. Every node
 * uploads at most {@link UPLOAD_LIMIT}. The seed accepts connections only once
 * every leecher listens, so all of them start from nothing together. Each
 * node has its own seeded randomness and peer id, so a run is repeatable.
 */
async function startSwarm (dataSeed: number): Promise<Swarm> {
  const data = makeData(PIECES * PIECE, dataSeed)
  const torrent = makeTorrent(data, PIECE)
  const net = memoryNetwork()
  const clock = new VirtualClock()
  const common: NodeOptions = { scheduler: clock, uploadLimit: UPLOAD_LIMIT, progressIntervalMs: 1000, recordRounds: true, pexFirstDelayMs: 2000 }
  let open!: () => void
  const wrapTransport = (t: Parameters<typeof gatedTransport>[0]): Parameters<typeof gatedTransport>[0] => {
    const gated = gatedTransport(t)
    open = gated.open
    return gated.transport
  }
  const seeder = await startNode(net, hostOf(1), torrent, { data }, { ...common, uploadSlots: 2, wrapTransport, randomSeed: 1 })
  nodes.push(seeder)
  const leechers: SwarmNode[] = []
  for (let i = 0; i < LEECHERS; i++) {
    const peers = [seeder.address, ...leechers.map((l) => l.address)]
    const leecher = await startNode(net, hostOf(i + 2), torrent, { peers }, { ...common, requestQueueDepth: DEPTH, randomSeed: 1000 + i })
    nodes.push(leecher)
    leechers.push(leecher)
  }
  expect(leechers.every((l) => l.runtime.have.count === 0)).toBe(true)
  expect(clock.now()).toBe(0)
  open()
  return { data, torrent, net, clock, seeder, leechers }
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)

/** What one run of the swarm produced; two runs must agree exactly. */
interface Figures {
  readonly elapsedMs: number
  readonly completedAt: readonly number[]
  readonly seedUp: number
  readonly ups: readonly number[]
  readonly downs: readonly number[]
  readonly seedRounds: number
  readonly seedMaxUnchoked: number
  readonly optimistic: ReadonlyArray<readonly string[]>
}

async function runSwarm (dataSeed: number): Promise<Figures> {
  const { data, clock, seeder, leechers } = await startSwarm(dataSeed)
  await runUntil(clock, () => leechers.every((l) => l.completedAt() !== undefined), VIRTUAL_LIMIT_MS, 'every leecher complete')
  for (const l of leechers) expect(Buffer.compare(await l.storage.read(0, data.length), data)).toBe(0)
  const figures: Figures = {
    elapsedMs: clock.now(),
    completedAt: leechers.map((l) => l.completedAt() ?? -1),
    seedUp: seeder.runtime.progress().uploaded,
    ups: leechers.map((l) => l.runtime.progress().uploaded),
    downs: leechers.map((l) => l.runtime.progress().downloaded),
    seedRounds: seeder.rounds.length,
    seedMaxUnchoked: Math.max(...seeder.rounds.map((r) => r.unchoke.length)),
    // The optimistic peer of each leecher's rounds while it was still downloading.
    optimistic: leechers.map((l) => l.rounds.filter((r) => !r.seeding).map((r) => r.optimistic ?? '-'))
  }
  while (nodes.length > 0) nodes.pop()?.stop()
  return figures
}

describe('a swarm of one seed and ten leechers on a memory network, in virtual time', () => {
  it('every leecher completes with the source data, most of it traded between leechers, the same way in two runs', async () => {
    const first = await runSwarm(21)
    const { elapsedMs, completedAt, seedUp, ups, downs, optimistic } = first
    const length = PIECES * PIECE
    const total = LEECHERS * length
    console.log(`swarm (virtual time): done at ${(elapsedMs / 1000).toFixed(1)} s (leechers at ${completedAt.map((t) => (t / 1000).toFixed(1)).join(' ')} s); seed uploaded ${seedUp} B = ${(seedUp / length).toFixed(2)} copies; leechers uploaded ${sum(ups)} B; downloaded ${sum(downs)} B (${LEECHERS} copies = ${total} B); per leecher up ${ups.join(' ')}`)
    const rotated = optimistic.filter((o) => new Set(o.filter((p) => p !== '-')).size >= 2)
    console.log(`choke rounds: seed ${first.seedRounds} rounds, at most ${first.seedMaxUnchoked} unchoked; ${rotated.length} of ${LEECHERS} leechers rotated their optimistic unchoke, e.g. ${rotated[0]?.join(' ')}`)

    // The seed served far fewer than ten copies: the leechers traded the rest.
    expect(seedUp).toBeGreaterThanOrEqual(length)
    expect(seedUp).toBeLessThan(3 * length)
    // Every byte downloaded came from someone; duplicates (endgame) are the only waste.
    expect(sum(downs)).toBeGreaterThanOrEqual(total)
    expect(sum(downs)).toBeLessThanOrEqual(total * 1.1)
    expect(sum(ups)).toBeGreaterThanOrEqual(total - seedUp)
    expect(seedUp + sum(ups)).toBeGreaterThanOrEqual(sum(downs))
    expect(seedUp + sum(ups)).toBeLessThanOrEqual(sum(downs) * 1.5)
    // Every leecher uploaded, most of them a real share.
    expect(ups.every((u) => u > 0)).toBe(true)
    expect(ups.filter((u) => u >= length / 4).length).toBeGreaterThanOrEqual(5)

    // Virtual time is plausible: eleven uploaders at UPLOAD_LIMIT cannot move
    // ten copies faster than this, and the limit on the seed alone bounds
    // what it can have sent.
    expect(elapsedMs).toBeGreaterThanOrEqual(total / (11 * UPLOAD_LIMIT) * 1000)
    expect(seedUp).toBeLessThanOrEqual(UPLOAD_LIMIT * (elapsedMs / 1000 + 1))
    expect(elapsedMs).toBeGreaterThan(30_000)
    // Choke rounds ran every 10 s, and a leecher's optimistic unchoke rotated (every 30 s).
    expect(first.seedRounds).toBeGreaterThanOrEqual(Math.floor(elapsedMs / 10_000))
    expect(rotated.length).toBeGreaterThanOrEqual(1)
    // The seed's two slots plus one optimistic unchoke, never more.
    expect(first.seedMaxUnchoked).toBeLessThanOrEqual(3)

    // Deterministic: the same swarm again gives exactly the same figures.
    const second = await runSwarm(21)
    expect(second).toEqual(first)
  })

  it('when the seed leaves once the leechers hold every piece between them, they all complete, and a late leecher completes from them', async () => {
    const { data, torrent, net, clock, seeder, leechers } = await startSwarm(22)
    await runUntil(clock, () => covered(leechers, PIECES), VIRTUAL_LIMIT_MS, 'pieces covered by the leechers')
    const seedUp = seeder.runtime.progress().uploaded
    const incomplete = leechers.filter((l) => l.runtime.have.count < PIECES).length
    const leftAt = clock.now()
    seeder.stop()
    // The seed is gone before the download is over for at least one leecher.
    expect(incomplete).toBeGreaterThanOrEqual(1)
    expect(net.listening.has(`${seeder.address.host}:${seeder.address.port}`)).toBe(false)
    await runUntil(clock, () => leechers.every((l) => l.completedAt() !== undefined), VIRTUAL_LIMIT_MS, 'every leecher complete')
    for (const l of leechers) expect(Buffer.compare(await l.storage.read(0, data.length), data)).toBe(0)
    expect(seeder.runtime.progress().uploaded).toBe(seedUp)

    // A newcomer that knows only leechers: the seed is gone and stays gone.
    const late = await startNode(net, hostOf(LEECHERS + 2), torrent, { peers: leechers.map((l) => l.address) }, { scheduler: clock, uploadLimit: UPLOAD_LIMIT, progressIntervalMs: 1000, requestQueueDepth: DEPTH, randomSeed: 999 })
    nodes.push(late)
    await runUntil(clock, () => late.completedAt() !== undefined, VIRTUAL_LIMIT_MS, 'the late leecher complete')
    expect(late.runtime.progress().downloaded).toBe(torrent.length)
    expect(Buffer.compare(await late.storage.read(0, data.length), data)).toBe(0)
    console.log(`swarm without seed (virtual time): seed had uploaded ${seedUp} B = ${(seedUp / torrent.length).toFixed(2)} copies when it left at ${(leftAt / 1000).toFixed(1)} s, ${incomplete} leechers incomplete then; the late leecher completed at ${((late.completedAt() ?? 0) / 1000).toFixed(1)} s`)
  })
})
