import { describe, expect, it } from 'vitest'
import { HashMismatchError, ProtocolError, RxTorrentError, StorageError } from '../../../lib/errors.js'
import { announce, bits, connect, message, run, sent, started } from './helpers.js'

/** The peer-facing cases of ADVERSARIAL sections C and G, as the engine meets them. */
describe('hostile peers and local faults (lib/torrent)', () => {
  it('C34/C37: a session error (have past the end, requests while choked) closes that peer only, with a warning', () => {
    const state = started(8, { have: [0, 1, 2, 3, 4, 5, 6, 7] })
    connect(state, '10.0.0.2:1')
    connect(state, '10.0.0.3:1')
    let thrown: unknown
    try { for (let i = 0; i < 1000; i++) message(state, '10.0.0.2:1', { type: 'request', index: 0, begin: 0, length: 16384 }) } catch (e) { thrown = e }
    expect(thrown).toBeInstanceOf(ProtocolError)
    const fx = run(state, { type: 'peer-closed', peer: '10.0.0.2:1', error: thrown as Error }).effects
    expect(fx.find((e) => e.type === 'warning')).toMatchObject({ message: expect.stringContaining('more than') })
    expect(fx.some((e) => e.type === 'ban' || e.type === 'stop')).toBe(false)
    expect([...state.peers.keys()]).toEqual(['10.0.0.3:1'])
  })

  it('C35: requests for a piece we lack or past the piece end are refused by the session, never served', () => {
    const state = started(8, { have: [0], strategies: { choker: { name: 'all', decide: (p) => ({ unchoke: new Set(p.map((x) => x.id)) }) } } })
    connect(state, '10.0.0.2:1', { fast: true })
    message(state, '10.0.0.2:1', { type: 'interested' })
    run(state, { type: 'choke-round', early: true })
    message(state, '10.0.0.2:1', { type: 'request', index: 1, begin: 0, length: 16384 })
    message(state, '10.0.0.2:1', { type: 'request', index: 0, begin: 32768 - 100, length: 16384 })
    const batch = run(state, { type: 'batch-end', peer: '10.0.0.2:1' }).effects
    expect(sent(batch, '10.0.0.2:1')).toEqual(['reject-request', 'reject-request'])
    expect(run(state, { type: 'upload-next', peer: '10.0.0.2:1' }).serve).toBeUndefined()
  })

  it('C39: an unrequested block is dropped and counted as waste, from a known or an unknown source', () => {
    const state = started(4)
    connect(state, '10.0.0.2:1')
    expect(run(state, { type: 'block', peer: '10.0.0.2:1', ref: { index: 0, begin: 0, length: 16384 } }).accepted).toBe(false)
    expect(run(state, { type: 'block', peer: 'nobody', ref: { index: 0, begin: 0, length: 16384 } }).accepted).toBe(false)
    expect(state.wasted).toBe(32768)
  })

  it('C41: inputs about peers that are unknown, not yet open or already gone change nothing and throw nothing', () => {
    const state = started(4)
    run(state, { type: 'peer-connecting', peer: '10.0.0.2:1', outgoing: true, address: { host: '10.0.0.2', port: 1 } })
    const inputs = [
      { type: 'peer-event', peer: '10.0.0.2:1', event: { type: 'interested' } },
      { type: 'peer-event', peer: 'ghost', event: { type: 'have', index: 3 } },
      { type: 'batch-end', peer: 'ghost' },
      { type: 'upload-next', peer: '10.0.0.2:1' },
      { type: 'peer-ready', peer: 'ghost' },
      { type: 'extension', peer: 'ghost', event: { type: 'dont-have', index: 0 } },
      { type: 'peer-closed', peer: 'ghost' },
      { type: 'peer-handshaken', peer: 'ghost', peerId: new Uint8Array(20), fast: true, extended: true }
    ] as const
    for (const input of inputs) expect(() => run(state, input)).not.toThrow()
    expect(run(state, inputs[7]).refused?.code).toBe('unknown-peer')
    expect(state.swarm.peers.size).toBe(1)
  })

  it('G61: a fatal local error from a connection (disk full) stops the torrent; it is not blamed on the peer', () => {
    const state = started(4)
    connect(state, '10.0.0.2:1')
    const full = new StorageError('disk-full', 'no space left on device (ENOSPC)')
    const fx = run(state, { type: 'peer-closed', peer: '10.0.0.2:1', error: full }).effects
    expect(fx).toContainEqual({ type: 'stop', error: full })
    expect(fx.some((e) => e.type === 'ban')).toBe(false)
  })

  it('G67: an honest peer that shared pieces with a liar is never struck; the liar is banned by its own pieces', () => {
    const state = started(16)
    connect(state, '10.0.0.2:1')
    connect(state, '10.0.0.3:1')
    for (const k of ['10.0.0.2:1', '10.0.0.3:1']) announce(state, k, bits(16, 'all'))
    // Mixed piece: one block from each; then it fails.
    const mixed = state.planner.next('10.0.0.2:1', bits(16, 'all'), 1)[0]
    expect(mixed).toBeDefined()
    if (mixed === undefined) return
    state.planner.receive('10.0.0.2:1', mixed)
    const other = state.planner.next('10.0.0.3:1', bits(16, [mixed.index]), 1)[0]
    expect(other?.index).toBe(mixed.index)
    if (other !== undefined) state.planner.receive('10.0.0.3:1', other)
    const fx = run(state, { type: 'piece-verified', index: mixed.index, ok: false, from: '10.0.0.3:1' }).effects
    expect(fx.find((e) => e.type === 'warning')).toMatchObject({ error: expect.any(HashMismatchError) })
    expect(state.hashStrikes.size).toBe(0)
  })

  it('G68: an allowed-fast digest that throws costs only the allowed-fast set', () => {
    const state = started(64, { have: [0, 1, 2], digest: () => { throw new RxTorrentError('no-hash', 'hasher gone') } })
    const fx = connect(state, '10.0.0.2:1')
    expect(sent(fx, '10.0.0.2:1')).toEqual(['bitfield'])
  })
})
