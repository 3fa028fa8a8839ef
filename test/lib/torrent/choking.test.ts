import { describe, expect, it } from 'vitest'
import type { ChokeContext, ChokePeer, Choker } from '../../../lib/choke/types.js'
import { leecherChoker } from '../../../lib/choke/leecher-choker.js'
import { announce, bits, connect, message, run, sent, started } from './helpers.js'

/** A choker that unchokes exactly `ids` and records what it was asked. */
function scripted (ids: () => readonly unknown[], asked: Array<{ peers: readonly ChokePeer[], ctx: ChokeContext }> = []): Choker {
  return { name: 'scripted', decide: (peers, ctx) => { asked.push({ peers, ctx }); return { unchoke: new Set(ids()) as Set<string> } } }
}

describe('choking (lib/torrent)', () => {
  it('never unchokes a peer the choker did not choose, however many slots are free', () => {
    const state = started(8, { have: [0, 1, 2, 3, 4, 5, 6, 7], strategies: { choker: scripted(() => []) } })
    const effects = ['10.0.0.2:1', '10.0.0.3:1', '10.0.0.4:1'].flatMap((k) => [...connect(state, k), ...message(state, k, { type: 'interested' })])
    expect(effects.flatMap((e) => e.type === 'send' ? e.messages.map((m) => m.type) : [])).not.toContain('unchoke')
    expect(run(state, { type: 'choke-round', early: false }).effects.filter((e) => e.type === 'send')).toEqual([])
  })

  it('an interest change asks for an early round, which the choker answers (ctx.early) and which is applied as is', () => {
    let chosen: string[] = []
    const asked: Array<{ peers: readonly ChokePeer[], ctx: ChokeContext }> = []
    const state = started(8, { have: [0, 1, 2, 3, 4, 5, 6, 7], strategies: { choker: scripted(() => chosen, asked) } })
    connect(state, '10.0.0.2:1')
    connect(state, '10.0.0.3:1')
    // Joining asked for one already; let it run.
    run(state, { type: 'choke-round', early: true })
    const fx = message(state, '10.0.0.3:1', { type: 'interested' })
    expect(fx).toContainEqual({ type: 'early-choke-round' })
    // A second change before the round runs does not ask again.
    expect(message(state, '10.0.0.2:1', { type: 'interested' })).not.toContainEqual({ type: 'early-choke-round' })
    chosen = ['10.0.0.3:1']
    const round = run(state, { type: 'choke-round', early: true })
    expect(asked.at(-1)?.ctx.early).toBe(true)
    expect(sent(round.effects, '10.0.0.3:1')).toEqual(['unchoke'])
    expect(sent(round.effects, '10.0.0.2:1')).toEqual([])
    expect(state.swarm.peers.get('10.0.0.3:1')?.amChoking).toBe(false)
    chosen = ['10.0.0.2:1']
    const next = run(state, { type: 'choke-round', early: false })
    expect(sent(next.effects, '10.0.0.3:1')).toEqual(['choke'])
    expect(sent(next.effects, '10.0.0.2:1')).toEqual(['unchoke'])
  })

  it('a peer that leaves while unchoked frees a slot: an early round is asked for', () => {
    const state = started(4, { have: [0, 1, 2, 3], strategies: { choker: scripted(() => ['10.0.0.2:1']) } })
    connect(state, '10.0.0.2:1')
    message(state, '10.0.0.2:1', { type: 'interested' })
    run(state, { type: 'choke-round', early: true })
    expect(run(state, { type: 'peer-closed', peer: '10.0.0.2:1' }).effects).toContainEqual({ type: 'early-choke-round' })
  })

  it('a decision naming peers that are not connected is ignored with one warning; the rest is applied', () => {
    const state = started(4, { have: [0, 1, 2, 3], strategies: { choker: scripted(() => ['10.0.0.9:9', 42, '10.0.0.2:1']) } })
    connect(state, '10.0.0.2:1')
    const { effects } = run(state, { type: 'choke-round', early: false })
    const warnings = effects.filter((e) => e.type === 'warning')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ message: expect.stringContaining('10.0.0.9:9') })
    expect(sent(effects, '10.0.0.2:1')).toEqual(['unchoke'])
  })

  it('a choker that throws or answers without a Set stops the torrent with strategy-failed; later steps do nothing', () => {
    for (const decide of [() => { throw new Error('boom') }, () => ({ unchoke: ['x'] }) as never]) {
      const state = started(4, { strategies: { choker: { name: 'bad', decide } } })
      connect(state, '10.0.0.2:1')
      const { effects } = run(state, { type: 'choke-round', early: false })
      expect(effects).toHaveLength(1)
      expect(effects[0]).toMatchObject({ type: 'stop', error: { code: 'strategy-failed' } })
      expect(state.stopped).toBeDefined()
      expect(run(state, { type: 'choke-round', early: false }).effects).toEqual([])
      expect(run(state, { type: 'block', peer: '10.0.0.2:1', ref: { index: 0, begin: 0, length: 16384 } }).accepted).toBe(false)
    }
  })

  it('an early round keeps the optimistic peer (the default choker)', () => {
    const state = started(4, { have: [], strategies: { choker: leecherChoker() }, uploadSlots: 0 })
    for (const k of ['10.0.0.2:1', '10.0.0.3:1', '10.0.0.4:1']) {
      connect(state, k)
      announce(state, k, bits(4, [0]))
      message(state, k, { type: 'interested' })
    }
    run(state, { type: 'choke-round', early: false })
    const first = state.choke.optimistic
    expect(first).toBeDefined()
    for (let i = 0; i < 5; i++) {
      run(state, { type: 'choke-round', early: true })
      expect(state.choke.optimistic).toBe(first)
    }
    expect([...state.swarm.peers.values()].filter((p) => !p.amChoking).map((p) => p.key)).toEqual([first])
  })
})
