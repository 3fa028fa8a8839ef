/**
 * Inbound connections before their handshake (issue 11, connection
 * exhaustion), on the memory network under a virtual clock: idle ones are
 * closed after LIMITS.inboundIdleTimeoutMs, one address holds at most
 * maxPerAddress, a full half-open budget evicts its oldest idle connection,
 * and an honest peer gets in while one host keeps 60 idle connections open.
 */
import { describe, expect, it } from 'vitest'
import type { Subscription } from 'rxjs'
import { pushable } from 'it-pushable'
import { LIMITS } from '../../lib/constants.js'
import { isRxTorrentError } from '../../lib/errors.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { encodeHandshake, makeReserved } from '../../lib/wire/index.js'
import { memoryNetwork, type MemoryNetwork } from '../../operators/memory-network.js'
import { VirtualClock } from '../../operators/virtual-clock.js'
import { download } from '../../pipelines/download.js'
import type { InboundLimits } from '../../pipelines/inbound-gate.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { seed } from '../../pipelines/seed.js'
import type { TorrentWarning } from '../../pipelines/types.js'
import { filledStorage, makeData, makeTorrent } from './swarm-helpers.js'

type Torrent = ReturnType<typeof makeTorrent>

const settle = (): Promise<void> => new Promise<void>((resolve) => { setImmediate(resolve) })

/** A dialer that sends `send` (nothing by default) and then waits; `ended` resolves when the seed hangs up. */
interface Dialer {
  readonly ended: Promise<void>
  readonly isOpen: () => boolean
  readonly close: () => void
}

async function dialer (net: MemoryNetwork, host: string, to: PeerAddress, send?: Uint8Array): Promise<Dialer> {
  const conn = await net.transport(host).dial(to)
  const out = pushable<Uint8Array>()
  if (send !== undefined) out.push(send)
  void conn.sink(out).catch(() => {})
  let open = true
  const ended = (async () => {
    try { for await (const _ of conn.source) { /* whatever the seed says */ } } catch { /* closed with an error: ended all the same */ }
    open = false
  })()
  return { ended, isOpen: () => open, close: () => { out.end(); conn.close() } }
}

const codeOf = (w: TorrentWarning): string | undefined => isRxTorrentError(w.error) ? w.error.code : undefined

interface Seeder { readonly address: PeerAddress, readonly warnings: TorrentWarning[], readonly stop: () => void }

async function startSeed (net: MemoryNetwork, clock: VirtualClock, torrent: Torrent, data: Uint8Array, inbound?: InboundLimits): Promise<Seeder> {
  const warnings: TorrentWarning[] = []
  let listening!: (a: PeerAddress) => void
  const bound = new Promise<PeerAddress>((resolve) => { listening = resolve })
  const sub = seed(torrent, {
    data: '', storage: await filledStorage(data), transport: net.transport('10.0.0.1'), port: 0, hasher: nodeHasher, trackers: false, pex: false,
    scheduler: clock, onListening: listening, onWarning: (w) => warnings.push(w), ...(inbound === undefined ? {} : { inbound })
  }).subscribe()
  // The seed checks its data before it listens.
  await clock.run({ until: () => false, forMs: 0, settle })
  const address = await bound
  return { address, warnings, stop: () => { sub.unsubscribe() } }
}

function fixture (): { data: Uint8Array, torrent: Torrent, net: MemoryNetwork, clock: VirtualClock } {
  const data = makeData(8 * 16384, 71)
  return { data, torrent: makeTorrent(data, 16384), net: memoryNetwork(), clock: new VirtualClock() }
}

describe('inbound connections before their handshake (memory network, virtual clock)', () => {
  it(`a connection that sends nothing is closed ${LIMITS.inboundIdleTimeoutMs} ms after it is accepted; one that sends part of a handshake keeps the 10 s handshake timeout`, async () => {
    const { data, torrent, net, clock } = fixture()
    const s = await startSeed(net, clock, torrent, data)
    const idle = await dialer(net, '10.0.0.7', s.address)
    const partial = await dialer(net, '10.0.0.8', s.address, encodeHandshake({ reserved: makeReserved({}), infoHash: torrent.infoHash, peerId: new Uint8Array(20) }).subarray(0, 20))
    await clock.run({ until: () => false, forMs: LIMITS.inboundIdleTimeoutMs - 1, settle })
    expect(idle.isOpen()).toBe(true)
    await clock.run({ until: () => !idle.isOpen(), forMs: 1, settle })
    expect(idle.isOpen()).toBe(false)
    expect(partial.isOpen()).toBe(true)
    expect(s.warnings.filter((w) => codeOf(w) === 'inbound-idle').map((w) => w.peer?.split(':')[0])).toEqual(['10.0.0.7'])
    await clock.run({ until: () => !partial.isOpen(), forMs: LIMITS.handshakeTimeoutMs, settle })
    expect(partial.isOpen()).toBe(false)
    expect(clock.now()).toBe(LIMITS.handshakeTimeoutMs)
    expect(s.warnings.some((w) => w.peer?.startsWith('10.0.0.8:') === true && codeOf(w) === 'handshake-timeout')).toBe(true)
    s.stop()
  })

  it('one address holds at most maxPerAddress connections; the next one from it is refused at once, another address is not', async () => {
    const { data, torrent, net, clock } = fixture()
    const s = await startSeed(net, clock, torrent, data, { maxPerAddress: 3 })
    const held = await Promise.all([1, 2, 3].map(async () => await dialer(net, '10.0.0.9', s.address)))
    const fourth = await dialer(net, '10.0.0.9', s.address)
    const other = await dialer(net, '10.0.0.10', s.address)
    await clock.run({ until: () => !fourth.isOpen(), forMs: 0, settle })
    expect(fourth.isOpen()).toBe(false)
    expect(held.every((d) => d.isOpen())).toBe(true)
    expect(other.isOpen()).toBe(true)
    // Once one of the three is gone, the address has room again.
    held[0]?.close()
    await held[0]?.ended
    await clock.run({ until: () => false, forMs: 0, settle })
    const again = await dialer(net, '10.0.0.9', s.address)
    await clock.run({ until: () => false, forMs: 0, settle })
    expect(again.isOpen()).toBe(true)
    s.stop()
  })

  it('half-open budget full: the oldest connection that sent nothing is closed for the newcomer; one that sent bytes is kept', async () => {
    const { data, torrent, net, clock } = fixture()
    const s = await startSeed(net, clock, torrent, data, { maxHalfOpen: 3 })
    const busy = await dialer(net, '10.0.1.1', s.address, new Uint8Array([19]))
    await clock.run({ until: () => false, forMs: 100, settle })
    const old = await dialer(net, '10.0.1.2', s.address)
    await clock.run({ until: () => false, forMs: 100, settle })
    const young = await dialer(net, '10.0.1.3', s.address)
    await clock.run({ until: () => false, forMs: 100, settle })
    const newcomer = await dialer(net, '10.0.1.4', s.address)
    await clock.run({ until: () => !old.isOpen(), forMs: 0, settle })
    expect(old.isOpen()).toBe(false)
    expect([busy, young, newcomer].map((d) => d.isOpen())).toEqual([true, true, true])
    expect(s.warnings.filter((w) => codeOf(w) === 'evicted-idle').map((w) => w.peer?.split(':')[0])).toEqual(['10.0.1.2'])
    s.stop()
  })

  it('idle connections from 60 addresses do not count against the connection limit (50): an honest leecher gets in', async () => {
    const { data, torrent, net, clock } = fixture()
    const s = await startSeed(net, clock, torrent, data)
    const idle = await Promise.all(Array.from({ length: 60 }, async (_, i) => await dialer(net, `10.7.0.${i + 1}`, s.address)))
    await clock.run({ until: () => false, forMs: 50, settle })
    expect(idle.every((d) => d.isOpen())).toBe(true)
    let done = false
    const sub = download(torrent, {
      out: '', storage: new MemoryStorage(data.length), transport: net.transport('10.0.0.2'), hasher: nodeHasher, trackers: false, pex: false,
      peers: [s.address], scheduler: clock
    }).subscribe({ next: (p) => { if (p.piecesVerified === p.pieceCount) done = true } })
    // Well before the idle ones time out: the leecher was admitted at once.
    await clock.run({ until: () => done, forMs: LIMITS.inboundIdleTimeoutMs - 100, settle })
    sub.unsubscribe()
    s.stop()
    expect(done).toBe(true)
  })

  it('an honest leecher downloads everything while one host keeps 60 idle connections open, reopening each one closed', async () => {
    const { data, torrent, net, clock } = fixture()
    const s = await startSeed(net, clock, torrent, data)
    const subs: Subscription[] = []
    let flooding = true
    let floodDials = 0
    const open = async (): Promise<void> => {
      if (!flooding) return
      floodDials++
      const d = await dialer(net, '10.6.6.6', s.address)
      // Reopened 10 virtual ms after the seed hangs up (not at once, so virtual time can move).
      void d.ended.then(() => { subs.push(clock.schedule(() => { void open() }, 10)) })
    }
    await Promise.all(Array.from({ length: 60 }, open))
    await clock.run({ until: () => false, forMs: 50, settle })
    let done = false
    let failed: unknown
    subs.push(download(torrent, {
      out: '', storage: new MemoryStorage(data.length), transport: net.transport('10.0.0.2'), hasher: nodeHasher, trackers: false, pex: false,
      peers: [s.address], scheduler: clock
    }).subscribe({ next: (p) => { if (p.piecesVerified === p.pieceCount) done = true }, error: (e: unknown) => { failed = e } }))
    await clock.run({ until: () => done || failed !== undefined, forMs: 30_000, settle })
    flooding = false
    for (const sub of subs) sub.unsubscribe()
    s.stop()
    expect(failed).toBeUndefined()
    expect(done).toBe(true)
    // The flood ran all along: 60 first dials, and more each time the seed refused or closed one.
    expect(floodDials).toBeGreaterThan(60)
  })
})
