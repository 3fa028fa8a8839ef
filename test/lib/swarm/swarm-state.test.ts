import { describe, it, expect } from 'vitest'
import { emptySwarm, reduceSwarm, SWARM_CLOSED_HISTORY, type SwarmEvent, type SwarmPeer, type SwarmState } from '../../../lib/swarm/swarm-state.js'
import { admittedPeers, chokePeers, isDuplicate, pexPeers, SNUB_AFTER_MS, type PeerMeasures } from '../../../lib/swarm/swarm-selectors.js'

/** A map whose mutators throw once locked, so a reducer that writes into its input fails loudly. */
class LockedMap<K, V> extends Map<K, V> {
  locked = false
  override set (k: K, v: V): this { if (this.locked) throw new Error('mutated a locked map'); return super.set(k, v) }
  override delete (k: K): boolean { if (this.locked) throw new Error('mutated a locked map'); return super.delete(k) }
  override clear (): void { if (this.locked) throw new Error('mutated a locked map'); super.clear() }
}

/** `state` deep-frozen: the object, its records, addresses and history frozen, its map locked. */
function frozen (state: SwarmState): SwarmState {
  const peers = new LockedMap<string, SwarmPeer>()
  for (const [k, p] of state.peers) {
    if (p.address !== undefined) Object.freeze(p.address)
    if (p.reachable !== undefined) Object.freeze(p.reachable)
    peers.set(k, Object.freeze({ ...p }))
  }
  peers.locked = true
  for (const c of state.recentlyClosed) Object.freeze(c)
  return Object.freeze({ ...state, peers, recentlyClosed: Object.freeze([...state.recentlyClosed]) })
}

function run (events: SwarmEvent[], start = emptySwarm()): SwarmState {
  return events.reduce((s, e) => reduceSwarm(frozen(s), e), start)
}

const A = '10.0.0.1:6881'
const B = '10.0.0.2:51413'
const addrA = { host: '10.0.0.1', port: 6881 }
const addrB = { host: '10.0.0.2', port: 51413 }
const ID_A = 'aa'.repeat(20)
const ID_B = 'bb'.repeat(20)

const connectA: SwarmEvent = { type: 'peer-connected', key: A, outgoing: true, address: addrA, at: 100 }
const connectB: SwarmEvent = { type: 'peer-connected', key: B, outgoing: false, address: addrB, at: 150 }
const shakeA: SwarmEvent = { type: 'handshake', key: A, peerId: ID_A, client: 'libtorrent 2.0.9', at: 120 }
const shakeB: SwarmEvent = { type: 'handshake', key: B, peerId: ID_B, client: 'Transmission 4.0.0', at: 170 }

describe('reduceSwarm', () => {
  it('starts empty', () => {
    const s = emptySwarm()
    expect(s.peers.size).toBe(0)
    expect([s.opened, s.closed, s.downloaded, s.uploaded]).toEqual([0, 0, 0, 0])
    expect(s.maxClosed).toBe(SWARM_CLOSED_HISTORY)
    expect(emptySwarm({ maxClosed: -3 }).maxClosed).toBe(0)
  })

  it('peer-connected opens a record; a dialed peer is reachable at its address, an incoming one is not yet', () => {
    const s = run([connectA, connectB])
    expect(s.opened).toBe(2)
    expect([...s.peers.keys()]).toEqual([A, B])
    const a = s.peers.get(A)
    expect(a).toMatchObject({ key: A, address: addrA, reachable: addrA, outgoing: true, openedAt: 100, connectedAt: 100, handshake: false, client: 'unknown', amChoking: true, amInterested: false, peerChoking: true, peerInterested: false, pieces: 0, seed: false, uploadOnly: false, lastBlockAt: 100, downloaded: 0, uploaded: 0 })
    expect(a?.lastUnchokedAt).toBeUndefined()
    expect(s.peers.get(B)?.reachable).toBeUndefined()
  })

  it('peer-connected for a key already open changes nothing', () => {
    const s = run([connectA])
    expect(reduceSwarm(frozen(s), { ...connectA, outgoing: false, at: 999 })).toStrictEqual(frozen(s))
    const same = reduceSwarm(s, { ...connectA, at: 999 })
    expect(same).toBe(s)
  })

  it('a connection without a known address has none', () => {
    const s = run([{ type: 'peer-connected', key: 'peer-0-0', outgoing: true, at: 0 }])
    expect(s.peers.get('peer-0-0')?.address).toBeUndefined()
    expect(s.peers.get('peer-0-0')?.reachable).toBeUndefined()
  })

  it('handshake records the peer id, client and connection time', () => {
    const p = run([connectA, shakeA]).peers.get(A)
    expect(p).toMatchObject({ handshake: true, peerId: ID_A, client: 'libtorrent 2.0.9', connectedAt: 120, lastBlockAt: 120, openedAt: 100 })
  })

  it('peer-closed removes the record, counts it and keeps it in the history with its reason and bytes', () => {
    const s = run([connectA, shakeA, { type: 'transfer', key: A, down: 500, up: 7, at: 130 }, { type: 'peer-closed', key: A, reason: 'idle', at: 200 }])
    expect(s.peers.has(A)).toBe(false)
    expect([s.opened, s.closed]).toEqual([1, 1])
    expect(s.recentlyClosed).toEqual([{ key: A, peerId: ID_A, client: 'libtorrent 2.0.9', reason: 'idle', at: 200, downloaded: 500, uploaded: 7 }])
    expect([s.downloaded, s.uploaded]).toEqual([500, 7])
  })

  it('keeps at most maxClosed closed connections, the newest', () => {
    const events: SwarmEvent[] = []
    for (let i = 0; i < 5; i++) {
      events.push({ type: 'peer-connected', key: `k${i}`, outgoing: true, at: i }, { type: 'peer-closed', key: `k${i}`, reason: `r${i}`, at: i })
    }
    const s = run(events, emptySwarm({ maxClosed: 3 }))
    expect(s.recentlyClosed.map((c) => c.reason)).toEqual(['r2', 'r3', 'r4'])
    expect(s.closed).toBe(5)
    expect(run(events, emptySwarm({ maxClosed: 0 })).recentlyClosed).toEqual([])
  })

  it('choke-changed: both sides; our unchoke sets lastUnchokedAt, a repeated unchoke does not move it', () => {
    let s = run([connectA, shakeA, { type: 'choke-changed', key: A, side: 'am', choking: false, at: 300 }])
    expect(s.peers.get(A)).toMatchObject({ amChoking: false, lastUnchokedAt: 300 })
    s = run([{ type: 'choke-changed', key: A, side: 'am', choking: false, at: 400 }], s)
    expect(s.peers.get(A)?.lastUnchokedAt).toBe(300)
    s = run([{ type: 'choke-changed', key: A, side: 'am', choking: true, at: 500 }, { type: 'choke-changed', key: A, side: 'peer', choking: false, at: 510 }], s)
    expect(s.peers.get(A)).toMatchObject({ amChoking: true, peerChoking: false, lastUnchokedAt: 300 })
    s = run([{ type: 'choke-changed', key: A, side: 'am', choking: false, at: 600 }], s)
    expect(s.peers.get(A)?.lastUnchokedAt).toBe(600)
  })

  it('interest-changed: both sides', () => {
    const s = run([connectA, { type: 'interest-changed', key: A, side: 'am', interested: true }, { type: 'interest-changed', key: A, side: 'peer', interested: true }])
    expect(s.peers.get(A)).toMatchObject({ amInterested: true, peerInterested: true })
    const t = run([{ type: 'interest-changed', key: A, side: 'peer', interested: false }], s)
    expect(t.peers.get(A)).toMatchObject({ amInterested: true, peerInterested: false })
  })

  it('have-count records the piece count and seed flag; a negative count counts as 0', () => {
    const s = run([connectA, { type: 'have-count', key: A, count: 12, seed: true }])
    expect(s.peers.get(A)).toMatchObject({ pieces: 12, seed: true })
    expect(run([{ type: 'have-count', key: A, count: -4, seed: false }], s).peers.get(A)).toMatchObject({ pieces: 0, seed: false })
  })

  it('upload-only (BEP 21)', () => {
    const s = run([connectA, { type: 'upload-only', key: A, uploadOnly: true }])
    expect(s.peers.get(A)?.uploadOnly).toBe(true)
    expect(run([{ type: 'upload-only', key: A, uploadOnly: false }], s).peers.get(A)?.uploadOnly).toBe(false)
  })

  it('reachable sets the listen address of an incoming peer; the same address again changes nothing', () => {
    const s = run([connectB, { type: 'reachable', key: B, address: { host: '10.0.0.2', port: 6881 } }])
    expect(s.peers.get(B)?.reachable).toEqual({ host: '10.0.0.2', port: 6881 })
    expect(reduceSwarm(s, { type: 'reachable', key: B, address: { host: '10.0.0.2', port: 6881 } })).toBe(s)
  })

  it('transfer adds bytes to the peer and the swarm; lastBlockAt moves only with received bytes, never back', () => {
    let s = run([connectA, shakeA, { type: 'transfer', key: A, down: 16384, up: 0, at: 400 }])
    expect(s.peers.get(A)).toMatchObject({ downloaded: 16384, uploaded: 0, lastBlockAt: 400 })
    s = run([{ type: 'transfer', key: A, down: 0, up: 32768, at: 900 }, { type: 'transfer', key: A, down: 10, up: 0, at: 300 }], s)
    expect(s.peers.get(A)).toMatchObject({ downloaded: 16394, uploaded: 32768, lastBlockAt: 400 })
    expect([s.downloaded, s.uploaded]).toEqual([16394, 32768])
  })

  it('a transfer of nothing, or of negative or NaN bytes, changes nothing', () => {
    const s = run([connectA])
    expect(reduceSwarm(s, { type: 'transfer', key: A, down: 0, up: 0, at: 1 })).toBe(s)
    expect(reduceSwarm(s, { type: 'transfer', key: A, down: -5, up: Number.NaN, at: 1 })).toBe(s)
  })

  it('events about a key that is not open return the same state', () => {
    const s = run([connectA])
    const stray: SwarmEvent[] = [
      { type: 'handshake', key: B, peerId: ID_B, client: 'x', at: 1 },
      { type: 'peer-closed', key: B, reason: 'closed', at: 1 },
      { type: 'choke-changed', key: B, side: 'am', choking: false, at: 1 },
      { type: 'interest-changed', key: B, side: 'peer', interested: true },
      { type: 'have-count', key: B, count: 3, seed: false },
      { type: 'upload-only', key: B, uploadOnly: true },
      { type: 'reachable', key: B, address: addrB },
      { type: 'transfer', key: B, down: 1, up: 1, at: 1 }
    ]
    for (const e of stray) expect(reduceSwarm(s, e)).toBe(s)
  })

  it('shares every record but the changed one, and leaves the input as it was', () => {
    const before = run([connectA, connectB, shakeA, shakeB])
    const input = frozen(before)
    const after = reduceSwarm(input, { type: 'interest-changed', key: B, side: 'peer', interested: true })
    expect(after).not.toBe(input)
    expect(after.peers).not.toBe(input.peers)
    expect(after.peers.get(A)).toBe(input.peers.get(A))
    expect(after.peers.get(B)).not.toBe(input.peers.get(B))
    expect(input.peers.get(B)?.peerInterested).toBe(false)
    expect(input).toStrictEqual(frozen(before))
  })

  it('returns frozen values', () => {
    const s = run([connectA, { type: 'peer-closed', key: A, reason: 'closed', at: 1 }, connectB])
    expect(Object.isFrozen(s)).toBe(true)
    expect(Object.isFrozen(s.peers.get(B))).toBe(true)
    expect(Object.isFrozen(s.recentlyClosed)).toBe(true)
  })
})

describe('selectors', () => {
  const base = run([
    connectA, connectB, shakeA, shakeB,
    { type: 'peer-connected', key: 'pending', outgoing: true, address: { host: '10.0.0.3', port: 1 }, at: 0 },
    { type: 'interest-changed', key: A, side: 'peer', interested: true },
    { type: 'interest-changed', key: A, side: 'am', interested: true },
    { type: 'choke-changed', key: B, side: 'am', choking: false, at: 200 }
  ])
  const measures = (m: Record<string, PeerMeasures>) => (key: string): PeerMeasures | undefined => m[key]

  it('admittedPeers: only peers past the handshake, in opening order', () => {
    expect(admittedPeers(base).map((p) => p.key)).toEqual([A, B])
  })

  it('chokePeers maps admitted peers to ChokePeer with the measured rates', () => {
    const out = chokePeers(base, 1000, measures({
      [A]: { downloadRate: 10, uploadRate: 20, awaitingBlocks: true },
      [B]: { downloadRate: 0, uploadRate: 5, awaitingBlocks: false },
      pending: { downloadRate: 0, uploadRate: 0, awaitingBlocks: false }
    }))
    expect(out).toEqual([
      { id: A, interested: true, choked: true, downloadRate: 10, uploadRate: 20, snubbed: false, connectedAt: 120 },
      { id: B, interested: false, choked: false, downloadRate: 0, uploadRate: 5, snubbed: false, connectedAt: 170, lastUnchokedAt: 200 }
    ])
  })

  it('chokePeers leaves out a peer without measures', () => {
    expect(chokePeers(base, 0, measures({ [B]: { downloadRate: 0, uploadRate: 0, awaitingBlocks: false } })).map((p) => p.id)).toEqual([B])
  })

  it('snubbed: interested, awaiting blocks, and no block for longer than SNUB_AFTER_MS', () => {
    const m = measures({ [A]: { downloadRate: 0, uploadRate: 0, awaitingBlocks: true } })
    expect(chokePeers(base, 120 + SNUB_AFTER_MS, m)[0]?.snubbed).toBe(false)
    expect(chokePeers(base, 121 + SNUB_AFTER_MS, m)[0]?.snubbed).toBe(true)
    const fed = run([{ type: 'transfer', key: A, down: 1, up: 0, at: 5000 }], base)
    expect(chokePeers(fed, 121 + SNUB_AFTER_MS, m)[0]?.snubbed).toBe(false)
    const idle = measures({ [A]: { downloadRate: 0, uploadRate: 0, awaitingBlocks: false } })
    expect(chokePeers(base, 10 * SNUB_AFTER_MS, idle)[0]?.snubbed).toBe(false)
  })

  it('pexPeers: admitted peers with a reachable address; seed and upload-only set 0x02, dialed sets 0x10', () => {
    expect(pexPeers(base)).toEqual([{ host: '10.0.0.1', port: 6881, flags: 0x10 }])
    const more = run([
      { type: 'reachable', key: B, address: { host: '10.0.0.2', port: 6882 } },
      { type: 'have-count', key: A, count: 8, seed: true }
    ], base)
    expect(pexPeers(more)).toEqual([{ host: '10.0.0.1', port: 6881, flags: 0x12 }, { host: '10.0.0.2', port: 6882, flags: 0 }])
    const uploadOnly = run([{ type: 'upload-only', key: B, uploadOnly: true }], more)
    expect(pexPeers(uploadOnly)[1]?.flags).toBe(0x02)
  })

  it('isDuplicate: an admitted peer with the id, other than the one asking', () => {
    expect(isDuplicate(base, ID_A)).toBe(true)
    expect(isDuplicate(base, ID_A, A)).toBe(false)
    expect(isDuplicate(base, ID_A, B)).toBe(true)
    expect(isDuplicate(base, 'cc'.repeat(20))).toBe(false)
    const closed = run([{ type: 'peer-closed', key: A, reason: 'closed', at: 1 }], base)
    expect(isDuplicate(closed, ID_A)).toBe(false)
  })
})
