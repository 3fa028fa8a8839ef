import { describe, expect, it } from 'vitest'
import { fixedRequestDepth, superseeding, type InterestPolicy } from '../../../lib/torrent/strategies.js'
import type { TorrentState } from '../../../lib/torrent/state.js'
import { announce, bits, clock, connect, message, run, sent, started } from './helpers.js'

/** Requests the engine sent to `key`, as `index/begin`. */
const requested = (effects: ReturnType<typeof run>['effects'], key: string): string[] =>
  effects.flatMap((e) => e.type === 'send' && e.peer === key ? e.messages.flatMap((m) => m.type === 'request' ? [`${m.index}/${m.begin}`] : []) : [])

/** Unchoke us and return the requests that follow. */
function unchoked (state: TorrentState, key: string): string[] {
  const fx = [...message(state, key, { type: 'unchoke' }), ...run(state, { type: 'batch-end', peer: key }).effects]
  return requested(fx, key)
}

/** Deliver a whole piece (two blocks of 16 KiB) from `key`. */
function deliver (state: TorrentState, key: string, index: number): boolean[] {
  return [0, 16384].map((begin) => {
    state.peers.get(key)?.session?.handle({ type: 'piece', index, begin, block: new Uint8Array(16384) }, clock.t)
    return run(state, { type: 'block', peer: key, ref: { index, begin, length: 16384 } }).accepted === true
  })
}

describe('blocks and pieces (lib/torrent)', () => {
  it('requests follow the request-depth policy', () => {
    const state = started(16, { strategies: { requestDepth: fixedRequestDepth(3) } })
    connect(state, '10.0.0.2:1')
    announce(state, '10.0.0.2:1', bits(16, 'all'))
    expect(unchoked(state, '10.0.0.2:1')).toHaveLength(3)
  })

  it('the interest policy decides interest: a policy that is never interested sends no request', () => {
    const never: InterestPolicy = { name: 'never', interested: () => false }
    const state = started(16, { strategies: { interest: never } })
    connect(state, '10.0.0.2:1')
    const fx = announce(state, '10.0.0.2:1', bits(16, 'all'))
    expect(sent(fx, '10.0.0.2:1')).not.toContain('interested')
    expect(unchoked(state, '10.0.0.2:1')).toEqual([])
  })

  it('a verified piece is announced to peers that lack it, never to seeds; completion says upload_only', () => {
    const state = started(1)
    connect(state, '10.0.0.2:1')
    connect(state, '10.0.0.3:1')
    announce(state, '10.0.0.2:1', bits(1, 'all'))
    expect(unchoked(state, '10.0.0.2:1')).toEqual(['0/0', '0/16384'])
    expect(deliver(state, '10.0.0.2:1', 0)).toEqual([true, true])
    const fx = run(state, { type: 'piece-verified', index: 0, ok: true, from: '10.0.0.2:1' }).effects
    expect(sent(fx, '10.0.0.3:1')).toContain('have')
    expect(sent(fx, '10.0.0.2:1')).not.toContain('have')
    expect(fx).toContainEqual({ type: 'verified', index: 0 })
    expect(fx).toContainEqual({ type: 'complete' })
    expect(fx.filter((e) => e.type === 'send-extension').map((e) => e.type === 'send-extension' && e.peer)).toEqual(['10.0.0.2:1', '10.0.0.3:1'])
  })

  it('a block nobody asked for is refused and counted as waste', () => {
    const state = started(4)
    connect(state, '10.0.0.2:1')
    expect(run(state, { type: 'block', peer: '10.0.0.2:1', ref: { index: 1, begin: 0, length: 16384 } }).accepted).toBe(false)
    expect(state.wasted).toBe(16384)
  })

  it('a sole source of bad pieces is struck each time and banned at the third; a mixed piece strikes nobody', () => {
    const state = started(8)
    connect(state, '10.0.0.2:1')
    connect(state, '10.0.0.3:1')
    announce(state, '10.0.0.2:1', bits(8, 'all'))
    unchoked(state, '10.0.0.2:1')
    const fails: Array<ReturnType<typeof run>['effects']> = []
    const outstanding = [...state.peers.get('10.0.0.2:1')?.session?.outstanding.values() ?? []]
    for (const index of [...new Set(outstanding.map((o) => o.ref.index))]) {
      deliver(state, '10.0.0.2:1', index)
      fails.push(run(state, { type: 'piece-verified', index, ok: false, from: '10.0.0.2:1' }).effects)
      if (fails.length === 3) break
    }
    expect(fails).toHaveLength(3)
    expect(fails[0]?.filter((e) => e.type === 'ban')).toEqual([])
    expect(fails[2]).toContainEqual({ type: 'ban', host: '10.0.0.2' })
    expect(fails[2]?.find((e) => e.type === 'close')).toMatchObject({ peer: '10.0.0.2:1', error: { code: 'hash-mismatch', disposition: 'ban' } })
    expect(state.hashFailures).toBe(3)
  })

  it('superseeding as the seeding mode: we look empty, offer one piece, and refuse requests for pieces not offered', () => {
    const state = started(8, { have: [0, 1, 2, 3, 4, 5, 6, 7], strategies: { seeding: superseeding(), choker: { name: 'all', decide: (peers) => ({ unchoke: new Set(peers.map((p) => p.id)) }) } } })
    const fx = connect(state, '10.0.0.2:1', { fast: true })
    const types = sent(fx, '10.0.0.2:1')
    expect(types[0]).toBe('have-none')
    const offered = fx.flatMap((e) => e.type === 'send' ? e.messages.flatMap((m) => m.type === 'have' ? [m.index] : []) : [])
    expect(offered).toHaveLength(1)
    message(state, '10.0.0.2:1', { type: 'interested' })
    run(state, { type: 'choke-round', early: true })
    const other = (offered[0] as number + 1) % 8
    message(state, '10.0.0.2:1', { type: 'request', index: other, begin: 0, length: 16384 })
    message(state, '10.0.0.2:1', { type: 'request', index: offered[0], begin: 0, length: 16384 })
    const first = run(state, { type: 'upload-next', peer: '10.0.0.2:1' })
    expect(first.serve).toEqual({ index: offered[0], begin: 0, length: 16384 })
    expect(sent(first.effects, '10.0.0.2:1')).toEqual(['reject-request'])
    expect(run(state, { type: 'upload-next', peer: '10.0.0.2:1' }).serve).toBeUndefined()
  })

  it('upload-next with a batch takes several requests in one step, within its limits, up to the first whose piece is not ready', () => {
    const key = '10.0.0.2:1'
    const state = started(8, { have: [0, 1, 2, 3, 4, 5, 6, 7], strategies: { choker: { name: 'all', decide: (peers) => ({ unchoke: new Set(peers.map((p) => p.id)) }) } } })
    connect(state, key)
    message(state, key, { type: 'interested' })
    run(state, { type: 'choke-round', early: true })
    for (const [index, begin] of [[0, 0], [0, 16384], [1, 0], [1, 16384], [2, 0], [2, 16384], [3, 0]] as const) message(state, key, { type: 'request', index, begin, length: 16384 })
    const take = (batch: { maxBlocks: number, maxBytes: number, ready?: (index: number) => boolean }): string[] | undefined =>
      run(state, { type: 'upload-next', peer: key, batch }).served?.map((r) => `${r.index}/${r.begin}`)
    expect(take({ maxBlocks: 16, maxBytes: 1 << 20, ready: (i) => i !== 1 })).toEqual(['0/0', '0/16384', '1/0'])
    expect(take({ maxBlocks: 2, maxBytes: 1 << 20 })).toEqual(['1/16384', '2/0'])
    expect(take({ maxBlocks: 16, maxBytes: 16384 })).toEqual(['2/16384'])
    const last = run(state, { type: 'upload-next', peer: key, batch: { maxBlocks: 16, maxBytes: 1 << 20, ready: () => false } })
    expect(last.serve).toEqual({ index: 3, begin: 0, length: 16384 })
    expect(last.served).toEqual([last.serve])
    expect(take({ maxBlocks: 16, maxBytes: 1 << 20 })).toBeUndefined()
    expect(state.peers.get(key)?.upRate.total).toBe(7 * 16384)
    expect(state.up.total).toBe(7 * 16384)
  })

  it('a seeding mode whose mayServe throws stops the torrent (strategy-failed), batch or not', () => {
    const key = '10.0.0.2:1'
    const broken = { name: 'broken', start: () => ({ hidesPieces: false, joined: () => [], peerHas: () => [], peerBitfield: () => [], left: () => {}, mayServe: (): boolean => { throw new Error('boom') } }) }
    const state = started(2, { have: [0, 1], strategies: { seeding: broken, choker: { name: 'all', decide: (peers) => ({ unchoke: new Set(peers.map((p) => p.id)) }) } } })
    connect(state, key)
    message(state, key, { type: 'interested' })
    run(state, { type: 'choke-round', early: true })
    message(state, key, { type: 'request', index: 0, begin: 0, length: 16384 })
    const r = run(state, { type: 'upload-next', peer: key, batch: { maxBlocks: 4, maxBytes: 1 << 20 } })
    expect(r.served).toBeUndefined()
    const stop = r.effects.find((e) => e.type === 'stop')
    expect(stop?.type === 'stop' && (stop.error as { code?: string }).code).toBe('strategy-failed')
    expect(stop?.type === 'stop' && stop.error.message).toContain('seeding mode broken failed: boom')
  })

  it('requests older than the timeout are planned again', () => {
    const state = started(4, { strategies: { requestDepth: fixedRequestDepth(2) } })
    connect(state, '10.0.0.2:1')
    connect(state, '10.0.0.3:1')
    announce(state, '10.0.0.2:1', bits(4, 'all'))
    announce(state, '10.0.0.3:1', bits(4, 'all'))
    const first = unchoked(state, '10.0.0.2:1')
    const second = unchoked(state, '10.0.0.3:1')
    expect(second.some((r) => first.includes(r))).toBe(false)
    clock.t += 61_000
    const fx = run(state, { type: 'request-expiry' }).effects
    expect(requested(fx, '10.0.0.2:1').length + requested(fx, '10.0.0.3:1').length).toBeGreaterThan(0)
    clock.t -= 61_000
  })
})

describe('a piece picker that misbehaves (lib/torrent)', () => {
  it('picks that cannot be fetched are ignored, with one warning at the next round', () => {
    const state = started(8, { have: [0], picker: { pick: () => [0, 99, -1, 2.5, 'x' as never, 3, 3] } })
    connect(state, '10.0.0.2:1')
    announce(state, '10.0.0.2:1', bits(8, [0, 1, 2]))
    expect(unchoked(state, '10.0.0.2:1')).toEqual([])
    const warnings = run(state, { type: 'choke-round', early: false }).effects.filter((e) => e.type === 'warning')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ message: expect.stringContaining('cannot be fetched') })
    expect(run(state, { type: 'choke-round', early: false }).effects.filter((e) => e.type === 'warning')).toEqual([])
  })

  it('a picker that throws stops the torrent with strategy-failed', () => {
    const state = started(8, { picker: { pick: () => { throw new Error('bad pick') } } })
    connect(state, '10.0.0.2:1')
    announce(state, '10.0.0.2:1', bits(8, 'all'))
    const fx = [...message(state, '10.0.0.2:1', { type: 'unchoke' }), ...run(state, { type: 'batch-end', peer: '10.0.0.2:1' }).effects]
    expect(fx).toMatchObject([{ type: 'stop', error: { code: 'strategy-failed', message: expect.stringContaining('bad pick') } }])
  })
})

describe('interest and depth policies that misbehave (lib/torrent)', () => {
  it('an interest policy or a request-depth policy that throws stops the torrent with strategy-failed', () => {
    const a = started(8, { strategies: { interest: { name: 'bad-interest', interested: () => { throw new Error('x') } } } })
    // Asked at once when the peer is ready.
    expect(connect(a, '10.0.0.2:1').filter((e) => e.type === 'stop')).toMatchObject([{ type: 'stop', error: { code: 'strategy-failed', message: expect.stringContaining('interest policy bad-interest') } }])
    expect(a.stopped).toBeDefined()
    const b = started(8, { strategies: { requestDepth: { name: 'bad-depth', depth: () => { throw new Error('y') } } } })
    connect(b, '10.0.0.2:1')
    // Asked when the batch that made us interested ends (its requests are topped up then).
    const fx = [...announce(b, '10.0.0.2:1', bits(8, 'all')), ...run(b, { type: 'batch-end', peer: '10.0.0.2:1' }).effects]
    expect(fx.filter((e) => e.type === 'stop')).toMatchObject([{ type: 'stop', error: { code: 'strategy-failed' } }])
  })

  it('a depth that is not a number counts as 1; a huge one is capped at the torrent ceiling', () => {
    const state = started(64, { requestQueueDepth: 6, strategies: { requestDepth: { name: 'odd', depth: ({ rate }) => (rate === 0 ? Number.NaN : 1e9) } } })
    connect(state, '10.0.0.2:1')
    announce(state, '10.0.0.2:1', bits(64, 'all'))
    expect(unchoked(state, '10.0.0.2:1')).toHaveLength(1)
  })
})
