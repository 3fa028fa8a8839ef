import { catchError, map, of, take } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { leecherChoker } from '../../lib/choke/leecher-choker.js'
import { seedChoker } from '../../lib/choke/seed-choker.js'
import { seededRandom } from '../../lib/choke/seeded-random.js'
import type { ChokeDecision, ChokePeer, Choker } from '../../lib/choke/types.js'
import { RxTorrentError, UsageError } from '../../lib/errors.js'
import { chokeRounds } from '../../operators/choke-rounds.js'

function scheduler (): TestScheduler {
  return new TestScheduler((actual, expected) => { expect(actual).toEqual(expected) })
}

function peer (id: string, fields: Partial<Omit<ChokePeer, 'id'>> = {}): ChokePeer {
  return { id, interested: true, choked: true, downloadRate: 0, uploadRate: 0, snubbed: false, connectedAt: -600_000, ...fields }
}

const ids = (d: ChokeDecision): string => [...d.unchoke].sort().join(',')

/** Applies a decision to a mutable snapshot, stamping newly unchoked peers. */
function apply (peers: ChokePeer[], d: ChokeDecision, now: number): void {
  for (const [i, p] of peers.entries()) {
    const unchoked = d.unchoke.has(p.id)
    peers[i] = { ...p, choked: !unchoked, ...(unchoked && p.choked ? { lastUnchokedAt: now } : {}) }
  }
}

describe('chokeRounds', () => {
  it('decides at subscription and then every 10 s, passing round, time and seeding to the choker', () => {
    const ts = scheduler()
    ts.run(({ expectObservable }) => {
      const seen: string[] = []
      const spy: Choker = {
        name: 'spy',
        decide: (_peers, ctx) => {
          seen.push(`${ctx.round}@${ctx.now}:${String(ctx.seeding)}/${ctx.slots}`)
          return { unchoke: new Set([String(ctx.round)]) }
        }
      }
      let seeding = false
      const rounds$ = chokeRounds({ peers: () => [], choker: spy, seeding: () => (seeding = !seeding), slots: 3, scheduler: ts })
      expectObservable(rounds$.pipe(map(ids)), '^ 35000ms !').toBe('a 9999ms b 9999ms c 9999ms d', { a: '0', b: '1', c: '2', d: '3' })
      ts.flush()
      expect(seen).toEqual(['0@0:true/3', '1@10000:false/3', '2@20000:true/3', '3@30000:false/3'])
    })
  })

  it('honours roundMs', () => {
    const ts = scheduler()
    ts.run(({ expectObservable }) => {
      const rounds$ = chokeRounds({ peers: () => [peer('a')], choker: leecherChoker(), seeding: () => false, roundMs: 5, scheduler: ts })
      expectObservable(rounds$.pipe(take(3), map(ids))).toBe('a 4ms a 4ms (a|)', { a: 'a' })
    })
  })

  it('unchokes the best downloaders every round and rotates the optimistic unchoke every 30 s', () => {
    const ts = scheduler()
    ts.run(() => {
      const peers = [
        peer('fast1', { downloadRate: 900 }), peer('fast2', { downloadRate: 800 }),
        peer('snub', { downloadRate: 5000, snubbed: true, choked: false }), peer('lazy', { interested: false, downloadRate: 9999 }),
        ...['o1', 'o2', 'o3', 'o4'].map((id) => peer(id))
      ]
      const rounds$ = chokeRounds({ peers: () => peers, choker: leecherChoker(), seeding: () => false, slots: 2, scheduler: ts, random: seededRandom(7) })
      const decisions: ChokeDecision[] = []
      const times: number[] = []
      rounds$.pipe(take(9)).subscribe((d) => { decisions.push(d); times.push(ts.now()) })
      ts.flush()
      expect(times).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((r) => r * 10_000))
      for (const d of decisions) {
        expect(d.unchoke.has('fast1') && d.unchoke.has('fast2')).toBe(true)
        expect(d.unchoke.has('lazy')).toBe(false)
        expect(d.unchoke.size).toBe(3)
      }
      const opt = decisions.map((d) => d.optimistic)
      // Same optimistic peer within each 30 s period; a different one when a period starts.
      for (const start of [0, 3, 6]) expect(new Set(opt.slice(start, start + 3)).size).toBe(1)
      expect(opt[3]).not.toBe(opt[2])
      expect(opt[6]).not.toBe(opt[5])
      expect(opt.every((o) => o !== undefined && o !== 'fast1' && o !== 'fast2' && o !== 'lazy')).toBe(true)
    })
  })

  it('seed rotation gives every interested peer upload slots: 10 peers, 4 slots, 30 rounds', () => {
    const ts = scheduler()
    ts.run(() => {
      const peers = Array.from({ length: 10 }, (_, i) => peer(`p${i}`, { uploadRate: (i + 1) * 100 }))
      peers.push(peer('lazy', { interested: false, uploadRate: 1e6 }))
      const counts = new Map<string, number>()
      const firstRound = new Map<string, number>()
      let round = 0
      chokeRounds({ peers: () => peers, choker: seedChoker({ optimistic: false }), seeding: () => true, scheduler: ts })
        .pipe(take(30))
        .subscribe((d) => {
          for (const id of d.unchoke) {
            counts.set(id, (counts.get(id) ?? 0) + 1)
            if (!firstRound.has(id)) firstRound.set(id, round)
          }
          apply(peers, d, ts.now())
          round++
        })
      ts.flush()
      expect(round).toBe(30)
      expect(counts.has('lazy')).toBe(false)
      const perPeer = Array.from({ length: 10 }, (_, i) => counts.get(`p${i}`) ?? 0)
      // 30 rounds × 4 slots = 120 slot-rounds; equal waits go to the faster upload, so shares range from 9 to 15.
      expect(perPeer.reduce((a, b) => a + b, 0)).toBe(120)
      expect(Math.min(...perPeer)).toBeGreaterThanOrEqual(9)
      expect(Math.max(...perPeer)).toBeLessThanOrEqual(15)
      // Everyone gets a first turn within ceil(10 / 4) = 3 turns of 3 rounds.
      expect(Math.max(...firstRound.values())).toBeLessThan(9)
      // The fastest peers go first.
      expect(['p9', 'p8', 'p7', 'p6'].map((id) => firstRound.get(id))).toEqual([0, 0, 0, 0])
    })
  })

  it('ends with a fatal strategy-failed error when the choker throws, and runs no further round', () => {
    const ts = scheduler()
    ts.run(({ expectObservable }) => {
      const boom = new Error('boom')
      let calls = 0
      const flaky: Choker = {
        name: 'flaky',
        decide: () => {
          if (++calls === 3) throw boom
          return { unchoke: new Set(['x']) }
        }
      }
      const rounds$ = chokeRounds({ peers: () => [], choker: flaky, seeding: () => false, roundMs: 10, scheduler: ts })
      const described$ = rounds$.pipe(
        map(ids),
        catchError((e: unknown) => of(e instanceof RxTorrentError ? `${e.code}/${e.disposition}/${String(e.cause === boom)}/${String(e.details.round)}` : 'other'))
      )
      expectObservable(described$).toBe('a 9ms b 9ms (e|)', { a: 'x', b: 'x', e: 'strategy-failed/fatal/true/2' })
      ts.flush()
      expect(calls).toBe(3)
    })
  })

  it('contains a snapshot that throws and a decision without an unchoke set', () => {
    const ts = scheduler()
    ts.run(({ expectObservable }) => {
      const codes = (o: ReturnType<typeof chokeRounds>) => o.pipe(map(ids), catchError((e: unknown) => of(e instanceof RxTorrentError ? e.code : 'other')))
      const badPeers = chokeRounds({ peers: () => { throw new Error('gone') }, choker: leecherChoker(), seeding: () => false, scheduler: ts })
      expectObservable(codes(badPeers)).toBe('(e|)', { e: 'strategy-failed' })
      const badShape: Choker = { name: 'bad', decide: () => ({ unchoke: ['a'] }) as unknown as ChokeDecision }
      expectObservable(codes(chokeRounds({ peers: () => [], choker: badShape, seeding: () => false, scheduler: ts }))).toBe('(e|)', { e: 'strategy-failed' })
    })
  })

  it('stops calling the snapshot once unsubscribed', () => {
    const ts = scheduler()
    ts.run(({ expectObservable }) => {
      let reads = 0
      const rounds$ = chokeRounds({ peers: () => { reads++; return [] }, choker: leecherChoker(), seeding: () => false, roundMs: 10, scheduler: ts })
      expectObservable(rounds$.pipe(map(ids)), '^ 25ms !').toBe('a 9ms a 9ms a', { a: '' })
      ts.flush()
      ts.schedule(() => { /* advance */ }, 100)
      ts.flush()
      expect(reads).toBe(3)
    })
  })

  it('rejects bad options synchronously with UsageError', () => {
    const base = { peers: () => [], choker: leecherChoker(), seeding: () => false }
    for (const bad of [{ slots: -1 }, { slots: 1.5 }, { roundMs: 0 }, { roundMs: Number.NaN }]) {
      expect(() => chokeRounds({ ...base, ...bad })).toThrow(UsageError)
    }
  })
})
