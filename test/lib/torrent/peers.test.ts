import { describe, expect, it } from 'vitest'
import { RxTorrentError } from '../../../lib/errors.js'
import type { PeerFilter } from '../../../lib/torrent/strategies.js'
import { announce, bits, connect, idOf, message, run, sent, sha1, started } from './helpers.js'

const connecting = (peer: string, host = peer.split(':')[0] as string, port = Number(peer.split(':')[1])) =>
  ({ type: 'peer-connecting' as const, peer, outgoing: true, address: { host, port } })

describe('admission (lib/torrent)', () => {
  it('refuses a second connection at one address, also while the first is still closing', () => {
    const state = started(4)
    connect(state, '10.0.0.2:1')
    expect(run(state, connecting('10.0.0.2:1')).refused?.code).toBe('duplicate-connection')
    run(state, { type: 'peer-closed', peer: '10.0.0.2:1' })
    expect(run(state, connecting('10.0.0.2:1')).refused?.code).toBe('duplicate-connection')
    run(state, { type: 'peer-released', peer: '10.0.0.2:1' })
    expect(run(state, connecting('10.0.0.2:1')).refused).toBeUndefined()
  })

  it('a second connection to one peer id: from another host refused (duplicate-peer-id); from the same host both ends keep the same one', () => {
    const state = started(4)
    connect(state, '10.0.0.2:1', { id: 0x10 })
    run(state, connecting('10.0.0.3:1'))
    expect(run(state, { type: 'peer-handshaken', peer: '10.0.0.3:1', peerId: idOf(0x10), fast: true, extended: true }).refused?.code).toBe('duplicate-peer-id')
    // Our id is 0xaa… > 0x10…: our dial is the one kept. The peer's own dial to us (incoming) is refused.
    run(state, { type: 'peer-connecting', peer: '10.0.0.2:2', outgoing: false, address: { host: '10.0.0.2', port: 2 } })
    expect(run(state, { type: 'peer-handshaken', peer: '10.0.0.2:2', peerId: idOf(0x10), fast: true, extended: true }).refused?.code).toBe('duplicate-peer')
    // A peer with a greater id dialed us first; our later dial to it replaces nothing… its dial is kept: ours is refused, its stays.
    run(state, { type: 'peer-connecting', peer: '10.0.0.5:7', outgoing: false, address: { host: '10.0.0.5', port: 7 } })
    run(state, { type: 'peer-handshaken', peer: '10.0.0.5:7', peerId: idOf(0xff), fast: true, extended: true })
    run(state, connecting('10.0.0.5:1'))
    expect(run(state, { type: 'peer-handshaken', peer: '10.0.0.5:1', peerId: idOf(0xff), fast: true, extended: true }).refused?.code).toBe('duplicate-peer')
  })

  it('a peer filter refuses by address, by client, drops or bans by behaviour', () => {
    const judged: string[] = []
    const filter: PeerFilter = {
      name: 'test',
      judge: (p) => {
        judged.push(`${p.stage}:${p.key}`)
        if (p.stage === 'connecting' && p.address?.host === '10.9.9.9') return 'drop'
        if (p.stage === 'handshaken' && p.peerId?.startsWith('2d5844')) return 'ban' // "-XD": a client the user blocks
        if (p.stage === 'round' && (p.connectedMs ?? 0) > 60_000 && p.downloaded === 0) return 'drop'
        return 'keep'
      }
    }
    const state = started(4, { strategies: { peerFilter: filter } })
    expect(run(state, connecting('10.9.9.9:1')).refused?.code).toBe('peer-filtered')
    run(state, connecting('10.0.0.3:1'))
    const xd = new TextEncoder().encode('-XD0001-abcdefghijkl')
    const r = run(state, { type: 'peer-handshaken', peer: '10.0.0.3:1', peerId: xd, fast: true, extended: true })
    expect(r.refused?.code).toBe('peer-filtered')
    expect(r.effects).toContainEqual({ type: 'ban', host: '10.0.0.3' })
    expect(run(state, connecting('10.0.0.3:2')).refused?.code).toBe('banned')
    connect(state, '10.0.0.4:1')
    expect(run(state, { type: 'choke-round', early: false }).effects.filter((e) => e.type === 'close')).toEqual([])
    const later = run(state, { type: 'choke-round', early: false })
    expect(later.effects.filter((e) => e.type === 'close')).toEqual([])
    expect(judged).toContain('round:10.0.0.4:1')
  })

  it('a peer filter that throws stops the torrent (strategy-failed)', () => {
    const state = started(4, { strategies: { peerFilter: { name: 'oops', judge: () => { throw new Error('nope') } } } })
    const r = run(state, connecting('10.0.0.2:1'))
    expect(r.effects).toMatchObject([{ type: 'stop', error: { code: 'strategy-failed', message: expect.stringContaining('peer filter oops failed') } }])
  })

  it('on open: our bitfield and the BEP 6 allowed-fast set go out; on ready: interest when the peer has what we want', () => {
    const state = started(64, { have: [1], digest: sha1 })
    const effects = connect(state, '10.0.0.2:1')
    const types = sent(effects, '10.0.0.2:1')
    expect(types[0]).toBe('bitfield')
    expect(types.filter((t) => t === 'allowed-fast').length).toBeLessThanOrEqual(1)
    const fx = announce(state, '10.0.0.2:1', bits(64, 'all'))
    expect(sent(fx, '10.0.0.2:1')).toContain('interested')
    expect(state.swarm.peers.get('10.0.0.2:1')).toMatchObject({ amInterested: true, seed: true, pieces: 64 })
  })

  it('a bad message closes only that peer: the error is a warning, a ban error bans the address', () => {
    const state = started(4)
    connect(state, '10.0.0.2:1')
    connect(state, '10.0.0.3:1')
    // The session rejects the message (a typed error); the connection closes with it.
    expect(() => state.peers.get('10.0.0.2:1')?.session?.handle({ type: 'have', index: 99 }, 0)).toThrow(RxTorrentError)
    const fx = run(state, { type: 'peer-closed', peer: '10.0.0.2:1', error: new RxTorrentError('bad-have', 'have 99 out of range', { disposition: 'ban' }) }).effects
    expect(fx).toContainEqual({ type: 'ban', host: '10.0.0.2' })
    expect(fx.find((e) => e.type === 'warning')).toMatchObject({ message: 'peer 10.0.0.2:1 closed: have 99 out of range (ban)' })
    expect(state.peers.has('10.0.0.3:1')).toBe(true)
    expect(run(state, connecting('10.0.0.2:9')).refused?.code).toBe('banned')
  })

  it('BEP 54 dont-have withdraws a piece: interest follows', () => {
    const state = started(4)
    connect(state, '10.0.0.2:1')
    announce(state, '10.0.0.2:1', bits(4, [2]))
    expect(state.peers.get('10.0.0.2:1')?.session?.amInterested).toBe(true)
    const fx = run(state, { type: 'extension', peer: '10.0.0.2:1', event: { type: 'dont-have', index: 2 } }).effects
    expect(sent(fx, '10.0.0.2:1')).toEqual(['not-interested'])
    expect(state.swarm.peers.get('10.0.0.2:1')?.pieces).toBe(0)
  })

  it('BEP 21 upload-only and the reachable address reach the swarm state', () => {
    const state = started(4)
    connect(state, '10.0.0.2:1', { outgoing: false })
    run(state, { type: 'extension', peer: '10.0.0.2:1', event: { type: 'upload-only', uploadOnly: true } })
    run(state, { type: 'extension', peer: '10.0.0.2:1', event: { type: 'reachable', address: { host: '10.0.0.2', port: 6881 } } })
    expect(state.swarm.peers.get('10.0.0.2:1')).toMatchObject({ uploadOnly: true, reachable: { host: '10.0.0.2', port: 6881 } })
    expect(message(state, '10.0.0.2:1', { type: 'keep-alive' })).toEqual([])
  })
})
