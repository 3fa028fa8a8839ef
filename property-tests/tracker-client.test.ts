import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TrackerError } from '../lib/tracker/tracker-error.js'
import { announceDelayMs, retryDelayMs } from '../lib/tracker-client/backoff.js'
import { applyTrackerTxt, parseTrackerTxt } from '../lib/tracker-client/dns-txt.js'
import { TrackerTiers } from '../lib/tracker-client/tiers.js'
import { checkRedirect, classifyHost, parseTrackerUrl } from '../lib/tracker-client/url-policy.js'

const url = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g')
const tiersArb = fc.array(fc.array(url, { maxLength: 5 }), { maxLength: 4 })
/** A deterministic stream of numbers in [0, 1) drawn by fast-check. */
const randomArb = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 10 })
  .map(values => { let i = 0; return () => values[i++ % values.length] as number })

type Op =
  | { kind: 'fail', pick: number, retryIn?: number | 'never' }
  | { kind: 'succeed', pick: number }
  | { kind: 'advance', ms: number }
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('fail' as const), pick: fc.nat(), retryIn: fc.option(fc.oneof(fc.nat({ max: 10_000_000 }), fc.constant('never' as const)), { nil: undefined }) }),
  fc.record({ kind: fc.constant('succeed' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.nat({ max: 4_000_000 }) })
)

describe('TrackerTiers (model-based)', () => {
  it('keeps every tier a permutation of its distinct URLs; next() is the first ready tracker in order; success moves to the front', () => {
    fc.assert(fc.property(tiersArb, randomArb, fc.array(opArb, { maxLength: 40 }), (input, random, ops) => {
      const tiers = new TrackerTiers(input, random)
      const seen = new Set<string>()
      const expectedTiers = input.map(t => t.filter(u => !seen.has(u) && (seen.add(u), true))).filter(t => t.length > 0)
      const dropped = new Set<string>()
      const readyAt = new Map<string, number>()
      let now = 0
      const all = expectedTiers.flat()
      for (const op of ops) {
        if (op.kind === 'advance') { now += op.ms; continue }
        const target = all[op.pick % Math.max(1, all.length)]
        if (target === undefined) continue
        if (op.kind === 'succeed') {
          tiers.succeeded(target)
          readyAt.set(target, 0)
          const tier = tiers.tiers.find(t => t.includes(target))
          expect(tier?.[0]).toBe(target)
        } else {
          const delay = tiers.failed(target, now, op.retryIn)
          if (delay === 'never') dropped.add(target)
          else {
            expect(delay).toBeGreaterThanOrEqual(15_000)
            readyAt.set(target, now + delay)
          }
        }
        // permutation per tier, tier order kept
        expect(tiers.tiers.map(t => [...t].sort())).toEqual(expectedTiers.map(t => [...t].sort()))
        // next(now) against the model
        const model = tiers.tiers.flat().find(u => !dropped.has(u) && (readyAt.get(u) ?? 0) <= now)
        expect(tiers.next(now)).toBe(model)
        expect(tiers.exhausted).toBe(all.every(u => dropped.has(u)))
      }
    }))
  })
})

describe('backoff', () => {
  it('retry delays grow with failures and stay within [base, max]', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 200 }), (n) => {
      const a = retryDelayMs(n) as number
      const b = retryDelayMs(n + 1) as number
      expect(a).toBeGreaterThanOrEqual(15_000)
      expect(b).toBeGreaterThanOrEqual(a)
      expect(b).toBeLessThanOrEqual(30 * 60_000)
    }))
  })

  it('announce delays are finite, within bounds, and never below min interval when that is within bounds', () => {
    fc.assert(fc.property(fc.double(), fc.option(fc.double(), { nil: undefined }), (interval, minInterval) => {
      const d = announceDelayMs({ interval, minInterval })
      expect(Number.isFinite(d)).toBe(true)
      expect(d).toBeGreaterThanOrEqual(30_000)
      expect(d).toBeLessThanOrEqual(6 * 3600_000)
      if (minInterval !== undefined && minInterval > 0 && minInterval * 1000 <= 6 * 3600_000) expect(d).toBeGreaterThanOrEqual(minInterval * 1000)
    }))
  })
})

describe('BEP 34 TXT records', () => {
  const record = fc.array(fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.array(fc.constantFrom('BITTORRENT', 'DENY', 'ALL', 'UDP:1', 'TCP:80', 'UDP:70000', 'TCP:0', 'UDP:6969', 'x', ''), { maxLength: 8 }).map(w => w.join(' '))
  ), { maxLength: 3 })

  it('parsing is total and yields only valid, distinct services', () => {
    fc.assert(fc.property(fc.array(record, { maxLength: 4 }), (records) => {
      const p = parseTrackerTxt(records)
      if (p?.kind !== 'services') return
      expect(p.services.length).toBeGreaterThan(0)
      expect(p.services.length).toBeLessThanOrEqual(16)
      for (const s of p.services) expect(s.port >= 1 && s.port <= 65535).toBe(true)
      expect(new Set(p.services.map(s => `${s.protocol}:${s.port}`)).size).toBe(p.services.length)
    }))
  })

  it('rewriting is total and keeps the host', () => {
    fc.assert(fc.property(fc.oneof(fc.webUrl(), fc.string({ maxLength: 60 })), fc.array(record, { maxLength: 2 }), (u, records) => {
      const out = applyTrackerTxt(u, parseTrackerTxt(records))
      let host: string | undefined
      try { host = new URL(u).hostname } catch { host = undefined }
      for (const candidate of out) {
        if (candidate === u) continue
        expect(new URL(candidate).hostname).toBe(host)
      }
    }))
  })
})

describe('tracker URL policy', () => {
  it('parseTrackerUrl is total: a TrackerUrl or TrackerError bad-url', () => {
    fc.assert(fc.property(fc.oneof(fc.webUrl({ withQueryParameters: true }), fc.string({ maxLength: 80 }), fc.constantFrom('udp://', 'file:', 'http://[', 'udp://a:0')), (u) => {
      try {
        const t = parseTrackerUrl(u)
        expect(['http', 'https', 'udp']).toContain(t.scheme)
        expect(t.port >= 1 && t.port <= 65535).toBe(true)
      } catch (e) {
        expect(e).toBeInstanceOf(TrackerError)
        expect((e as TrackerError).code).toBe('bad-url')
      }
    }))
  })

  it('never lets a public tracker redirect to a loopback, private or link-local address', () => {
    const local = fc.oneof(
      fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255))
    ).map(parts => parts.join('.'))
    fc.assert(fc.property(local, fc.constantFrom('/announce', '/scrape', '/rpc', '/'), (ip, path) => {
      expect(classifyHost(ip)).not.toBe('public')
      expect(() => checkRedirect('public', `http://${ip}${path}`)).toThrow(TrackerError)
      expect(() => checkRedirect('public', `http://t.example${path}`, {}, ip)).toThrow(TrackerError)
    }))
  })
})
