import { Subject } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { RxTorrentError } from '../../lib/errors.js'
import { canonicalPeerPriority } from '../../lib/swarm/peer-priority.js'
import { formatAddress, type Duplex, type PeerAddress, type Transport } from '../../lib/transport/types.js'
import { VirtualClock } from '../../operators/virtual-clock.js'
import { PeerDialer, type DialOutcome, type PeerDialerOptions } from '../../pipelines/peer-dialer.js'
import type { FoundPeer } from '../../pipelines/types.js'
import { SessionLimits } from '../../pipelines/session/session-limits.js'

const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => { setImmediate(resolve) }) }

function duplex (remote?: PeerAddress): Duplex & { closed: boolean } {
  const d = {
    closed: false,
    source: (async function * () {})(),
    sink: async (): Promise<void> => {},
    close: () => { d.closed = true },
    ...(remote === undefined ? {} : { remote })
  }
  return d
}

/** A transport whose dials the test answers: `refuse` lists hosts that refuse at once; the others connect. */
function fakeTransport (refuse: ReadonlySet<string> = new Set()): Transport & { dialed: string[] } {
  const dialed: string[] = []
  return {
    dialed,
    dial: async (a) => {
      dialed.push(formatAddress(a))
      if (refuse.has(a.host)) throw new Error(`cannot connect to ${formatAddress(a)}: connection refused`)
      return duplex(a)
    },
    listen: async () => { throw new Error('not used') }
  }
}

/** A dialer on a virtual clock; `run` holds every connection open until `end(key)` is called. */
function setup (overrides: Partial<PeerDialerOptions> = {}, refuse?: ReadonlySet<string>) {
  const clock = new VirtualClock()
  const transport = fakeTransport(refuse)
  const ends = new Map<string, (o: DialOutcome) => void>()
  const failures: string[] = []
  let exhausted = 0
  const dialer = new PeerDialer({
    transport,
    scheduler: clock,
    signal: new AbortController().signal,
    run: async (_conn, a) => await new Promise<DialOutcome>((resolve) => { ends.set(formatAddress(a), resolve) }),
    onDialFailed: (a, reason) => { failures.push(`${formatAddress(a)} ${clock.now()} ${reason}`) },
    onExhausted: () => { exhausted++ },
    ...overrides
  })
  const end = (key: string, o: DialOutcome = { useful: false, retry: false }): void => { ends.get(key)?.(o) }
  return { clock, transport, dialer, failures, end, exhausted: () => exhausted }
}

describe('PeerDialer', () => {
  it('backs off a refused address, gives it up after its failures, and reports exhaustion once', async () => {
    const t = setup({ connectQueue: { maxManualFailures: 3, backoffMs: (n) => 1000 * n } }, new Set(['10.0.0.1']))
    t.dialer.add({ host: '10.0.0.1', port: 1 }, 'manual')
    await settle()
    t.clock.advanceTo(999)
    await settle()
    expect(t.failures).toEqual(['10.0.0.1:1 0 connection refused'])
    t.clock.advanceTo(1000)
    await settle()
    t.clock.advanceTo(3000)
    await settle()
    // Dialed at 0, 1 s and 3 s, each failure named once; then given up.
    expect(t.failures).toEqual(['10.0.0.1:1 0 connection refused', '10.0.0.1:1 1000 connection refused', '10.0.0.1:1 3000 connection refused'])
    expect(t.exhausted()).toBe(1)
    t.dialer.pump()
    expect(t.exhausted()).toBe(1)
  })

  it('dials at most maxHalfOpen at once and the next as soon as one connects', async () => {
    const t = setup({ connectQueue: { maxHalfOpen: 1, maxConnections: 2 } })
    for (let i = 1; i <= 3; i++) t.dialer.add({ host: `10.0.0.${i}`, port: 1 }, 'tracker')
    expect(t.transport.dialed).toEqual(['10.0.0.1:1'])
    await settle()
    // Two connected: the limit; the third waits for a close.
    expect(t.transport.dialed).toEqual(['10.0.0.1:1', '10.0.0.2:1'])
    expect(t.dialer.used).toBe(2)
    t.end('10.0.0.1:1')
    await settle()
    expect(t.transport.dialed).toEqual(['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1'])
    expect(t.clock.now()).toBe(0)
  })

  it('is not exhausted while a source or a held job runs, nor while listening; dials what the source finds', async () => {
    const t = setup()
    const source = new Subject<FoundPeer>()
    let ended = 0
    t.dialer.addSource(source, { onEnd: () => { ended++ } })
    let finishJob!: () => void
    t.dialer.hold(new Promise<void>((resolve) => { finishJob = resolve }))
    t.dialer.pump()
    source.next({ address: { host: '10.0.0.9', port: 9 }, source: 'tracker' })
    await settle()
    expect(t.transport.dialed).toEqual(['10.0.0.9:9'])
    t.end('10.0.0.9:9')
    source.complete()
    await settle()
    expect(ended).toBe(1)
    expect(t.exhausted()).toBe(0)
    t.dialer.listening = true
    finishJob()
    await settle()
    expect(t.exhausted()).toBe(0)
    t.dialer.listening = false
    t.dialer.pump()
    expect(t.exhausted()).toBe(1)
  })

  it('never dials a blocked address, nor anything while paused; stop() ends its sources', async () => {
    let paused = true
    const t = setup({ blocked: (key) => key === '10.0.0.66:1', paused: () => paused })
    const source = new Subject<FoundPeer>()
    t.dialer.addSource(source)
    source.next({ address: { host: '10.0.0.1', port: 1 }, source: 'pex' })
    t.dialer.add({ host: '10.0.0.66', port: 1 }, 'manual')
    await settle()
    expect(t.transport.dialed).toEqual([])
    paused = false
    t.dialer.pump()
    await settle()
    expect(t.transport.dialed).toEqual(['10.0.0.1:1'])
    t.dialer.stop()
    expect(source.observed).toBe(false)
  })

  it('at the connection limit, an inbound peer of higher BEP 40 priority replaces the lowest one; one of lower priority is refused', async () => {
    const self = { host: '198.51.100.7', port: 6881 }
    const held = { host: '203.0.113.50', port: 6881 }
    const heldPriority = canonicalPeerPriority(self, held)
    const candidates = Array.from({ length: 40 }, (_, i) => ({ host: `192.0.2.${i + 1}`, port: 6881 }))
    const higher = candidates.find((a) => canonicalPeerPriority(self, a) > heldPriority) as PeerAddress
    const lower = candidates.find((a) => canonicalPeerPriority(self, a) < heldPriority) as PeerAddress
    const replaced: string[] = []
    const t = setup({
      connectQueue: { maxConnections: 1 },
      self: () => self,
      limitPeers: () => [{ key: 'held', address: held }],
      replace: (key, by) => { replaced.push(`${key} by ${formatAddress(by)}`) }
    })
    t.dialer.add(held, 'manual')
    await settle()
    expect(t.dialer.used).toBe(1)

    const outcomes: string[] = []
    const admit = (a: PeerAddress): void => {
      t.dialer.accept(duplex(a), async (_conn, handshaken) => {
        try { handshaken(); outcomes.push(`${a.host} admitted`) } catch (e) { outcomes.push(`${a.host} ${(e as RxTorrentError).code}`) }
      })
    }
    admit(lower)
    admit(higher)
    await settle()
    expect(outcomes).toEqual([`${lower.host} connection-limit`, `${higher.host} admitted`])
    expect(replaced).toEqual([`held by ${formatAddress(higher)}`])
  })

  it('a dialed peer we replaced at the limit, or that hung up on us, is not dialed again for limitHoldMs; a reset is retried with the usual backoff', async () => {
    const self = { host: '198.51.100.7', port: 6881 }
    const peers = [1, 2, 3].map((i) => ({ host: `10.0.0.${i}`, port: 1 }))
    const t = setup({ connectQueue: { maxConnections: 4, backoffMs: () => 1000, limitHoldMs: 60_000 }, self: () => self })
    for (const p of peers) t.dialer.add(p, 'tracker')
    await settle()
    expect(t.transport.dialed).toEqual(['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1'])
    t.end('10.0.0.1:1', { useful: true, retry: true, reason: 'replaced-by-priority' })
    t.end('10.0.0.2:1', { useful: false, retry: true, reason: 'truncated-handshake' })
    t.end('10.0.0.3:1', { useful: false, retry: true, reason: 'connection-reset' })
    await settle()
    t.clock.advanceTo(1000)
    await settle()
    expect(t.transport.dialed.slice(3)).toEqual(['10.0.0.3:1'])
    t.clock.advanceTo(59_999)
    await settle()
    expect(t.transport.dialed.slice(3)).toEqual(['10.0.0.3:1'])
    t.clock.advanceTo(60_000)
    await settle()
    expect(t.transport.dialed.slice(4).sort()).toEqual(['10.0.0.1:1', '10.0.0.2:1'])
  })
})

describe('PeerDialer with a session budget', () => {
  it('two dialers share one ConnectionBudget: dials stop when the session is full, and a slot freed by one wakes the other', async () => {
    const session = new SessionLimits({ maxConnections: 3, maxHalfOpen: 10 }, new VirtualClock())
    const a = setup({ budget: session.torrent({}).budget })
    const b = setup({ budget: session.torrent({}).budget })
    for (let i = 1; i <= 3; i++) a.dialer.add({ host: `10.0.1.${i}`, port: 1 }, 'manual')
    await settle()
    expect(a.transport.dialed).toHaveLength(3)
    b.dialer.add({ host: '10.0.2.1', port: 1 }, 'manual')
    await settle()
    expect(b.transport.dialed).toEqual([])
    expect(session.connections.used).toBe(3)
    a.end('10.0.1.1:1')
    await settle()
    expect(b.transport.dialed).toEqual(['10.0.2.1:1'])
    expect(session.connections.used).toBe(3)
  })

  it('a slot freed by another torrent does not wake a dialer its owner has not started: it is not exhausted before its peers are added', async () => {
    const session = new SessionLimits({ maxConnections: 10 }, new VirtualClock())
    const a = setup({ budget: session.torrent({}).budget })
    a.dialer.add({ host: '10.0.4.1', port: 1 }, 'manual')
    await settle()
    // A torrent still checking its data: its dialer exists, its peers come later.
    const b = setup({ budget: session.torrent({}).budget })
    a.end('10.0.4.1:1')
    await settle()
    expect(b.exhausted()).toBe(0)
    b.dialer.add({ host: '10.0.4.2', port: 1 }, 'manual')
    await settle()
    expect(b.transport.dialed).toEqual(['10.0.4.2:1'])
    expect(b.exhausted()).toBe(0)
  })

  it('an incoming connection is refused while the session is full, though the torrent has room', () => {
    const limits = new SessionLimits({ maxConnections: 1 }, new VirtualClock())
    const budget = limits.torrent({}).budget
    budget.opened()
    const t = setup({ budget })
    const conn = duplex({ host: '10.0.3.1', port: 1 })
    expect(() => t.dialer.acceptHandshaken(conn, async () => {})).toThrow(expect.objectContaining({ code: 'connection-limit' }))
    expect(conn.closed).toBe(true)
  })
})
