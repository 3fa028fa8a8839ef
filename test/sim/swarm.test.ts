import { afterEach, describe, expect, it } from 'vitest'
import { memoryNetwork } from '../../operators/memory-network.js'
import type { Progress } from '../../pipelines/types.js'
import { makeData, makeTorrent } from '../pipelines/swarm-helpers.js'
import { gatedTransport, hostOf, startNode, whenCovered, type SwarmNode } from './helpers.js'

const nodes: SwarmNode[] = []
afterEach(() => { while (nodes.length > 0) nodes.pop()?.stop() })

const PIECE = 16384
const PIECES = 64
const LEECHERS = 10
/** Outstanding requests per peer: a few, so one peer cannot hold every block of this small torrent at once. */
const DEPTH = 4

/**
 * A seed at 10.0.0.1 with two upload slots, then ten leechers, each given the
 * seed and the leechers before it. The seed accepts connections only once
 * every leecher listens, so all of them start from nothing together. Each
 * leecher breaks rarest-first ties with its own seed, as distinct clients do.
 */
async function startSwarm (dataSeed: number): Promise<{ data: Uint8Array, torrent: ReturnType<typeof makeTorrent>, net: ReturnType<typeof memoryNetwork>, seeder: SwarmNode, leechers: SwarmNode[] }> {
  const data = makeData(PIECES * PIECE, dataSeed)
  const torrent = makeTorrent(data, PIECE)
  const net = memoryNetwork()
  let open!: () => void
  const wrapTransport = (t: Parameters<typeof gatedTransport>[0]): Parameters<typeof gatedTransport>[0] => {
    const gated = gatedTransport(t)
    open = gated.open
    return gated.transport
  }
  const seeder = await startNode(net, hostOf(1), torrent, { data }, { uploadSlots: 2, wrapTransport })
  nodes.push(seeder)
  const leechers: SwarmNode[] = []
  for (let i = 0; i < LEECHERS; i++) {
    const peers = [seeder.address, ...leechers.map((l) => l.address)]
    const leecher = await startNode(net, hostOf(i + 2), torrent, { peers }, { requestQueueDepth: DEPTH, pickerSeed: 1000 + i })
    nodes.push(leecher)
    leechers.push(leecher)
  }
  expect(leechers.every((l) => l.runtime.have.count === 0)).toBe(true)
  open()
  return { data, torrent, net, seeder, leechers }
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)

describe('a swarm of one seed and ten leechers on a memory network', () => {
  it('every leecher completes with the source data, most of it traded between leechers', async () => {
    const { data, torrent, seeder, leechers } = await startSwarm(21)
    const done: Progress[] = await Promise.all(leechers.map(async (l) => await l.complete))
    expect(done.every((p) => p.piecesVerified === PIECES)).toBe(true)
    for (const l of leechers) expect(Buffer.compare(await l.storage.read(0, data.length), data)).toBe(0)

    const seedUp = seeder.runtime.progress().uploaded
    const ups = leechers.map((l) => l.runtime.progress().uploaded)
    const downs = leechers.map((l) => l.runtime.progress().downloaded)
    const total = LEECHERS * torrent.length
    console.log(`swarm: seed uploaded ${seedUp} B = ${(seedUp / torrent.length).toFixed(2)} copies; leechers uploaded ${sum(ups)} B; leechers downloaded ${sum(downs)} B (${LEECHERS} copies = ${total} B); sent but not counted ${seedUp + sum(ups) - sum(downs)} B; per leecher up ${ups.join(' ')}`)

    // The seed served far fewer than ten copies: the leechers traded the rest.
    expect(seedUp).toBeLessThan(5 * torrent.length)
    expect(seedUp).toBeGreaterThanOrEqual(torrent.length)
    // Every byte downloaded came from someone; duplicates (endgame) are the only waste.
    expect(sum(downs)).toBeGreaterThanOrEqual(total)
    expect(sum(downs)).toBeLessThanOrEqual(total * 1.1)
    expect(sum(ups)).toBeGreaterThanOrEqual(total - seedUp)
    // Blocks sent but not counted on arrival (duplicates, late cancels) stay a minor share.
    expect(seedUp + sum(ups)).toBeGreaterThanOrEqual(sum(downs))
    expect(seedUp + sum(ups)).toBeLessThanOrEqual(sum(downs) * 1.5)
    // More than one leecher uploaded a real share.
    expect(ups.filter((u) => u >= torrent.length / 4).length).toBeGreaterThanOrEqual(3)
  })

  it('when the seed leaves once the leechers hold every piece between them, they all complete, and a late leecher completes from them', async () => {
    const { data, torrent, net, seeder, leechers } = await startSwarm(22)
    await whenCovered(leechers, PIECES)
    const seedUp = seeder.runtime.progress().uploaded
    const incomplete = leechers.filter((l) => l.runtime.have.count < PIECES).length
    seeder.stop()
    // The seed is gone before the download is over for at least one leecher.
    expect(incomplete).toBeGreaterThanOrEqual(1)
    expect(net.listening.has(`${seeder.address.host}:${seeder.address.port}`)).toBe(false)
    await Promise.all(leechers.map(async (l) => await l.complete))
    for (const l of leechers) expect(Buffer.compare(await l.storage.read(0, data.length), data)).toBe(0)

    // A newcomer that knows only leechers: the seed is gone and stays gone.
    const late = await startNode(net, hostOf(LEECHERS + 2), torrent, { peers: leechers.map((l) => l.address) }, { requestQueueDepth: DEPTH, pickerSeed: 999 })
    nodes.push(late)
    const done = await late.complete
    expect(done.piecesVerified).toBe(PIECES)
    expect(late.runtime.progress().downloaded).toBe(torrent.length)
    expect(Buffer.compare(await late.storage.read(0, data.length), data)).toBe(0)
    console.log(`swarm without seed: seed had uploaded ${seedUp} B = ${(seedUp / torrent.length).toFixed(2)} copies when it left, ${incomplete} leechers incomplete then`)
  })
})
