import { map, NEVER, Observable, of, Subject, throwError } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { TrackerError } from '../../lib/tracker/tracker-error.js'
import type { AnnounceEvent, AnnounceRequest, AnnounceResponse } from '../../lib/tracker/types.js'
import { announceSchedule, type AnnounceClient, type AnnounceOutcome, type AnnounceScheduleOptions } from '../../operators/announce-schedule.js'

function scheduler (): TestScheduler {
  return new TestScheduler((actual, expected) => { expect(actual).toEqual(expected) })
}

const base: AnnounceRequest = { infoHash: new Uint8Array(20), peerId: new Uint8Array(20), port: 6881, uploaded: 0, downloaded: 0, left: 10, event: 'none' }
const noShuffle = (): number => 0.999
const ok = (interval: number, extra: Partial<AnnounceResponse> = {}): AnnounceResponse => ({ interval, peers: [], ...extra })

interface Call { readonly at: number, readonly url: string, readonly event: AnnounceEvent, readonly trackerId?: string | undefined, readonly numwant?: number | undefined }

/** A client whose answers come from `reply(url, event, nth call to url)`, recording each call with the virtual time. */
function fakeClient (ts: TestScheduler, reply: (url: string, event: AnnounceEvent, nth: number) => Observable<AnnounceResponse>): AnnounceClient & { calls: Call[] } {
  const calls: Call[] = []
  const counts = new Map<string, number>()
  return {
    calls,
    announce (url, req) {
      const nth = counts.get(url) ?? 0
      counts.set(url, nth + 1)
      calls.push({ at: ts.now(), url, event: req.event, trackerId: req.trackerId, numwant: req.numwant })
      return reply(url, req.event, nth)
    }
  }
}

/** Run the schedule until `until` (virtual ms), then unsubscribe; returns [time, url, event, ok|error code, nextInMs] rows. */
function record (ts: TestScheduler, options: AnnounceScheduleOptions, until: number): { rows: Array<[number, string, AnnounceEvent, string, number]>, completedAt?: number } {
  const rows: Array<[number, string, AnnounceEvent, string, number]> = []
  const result: { rows: typeof rows, completedAt?: number } = { rows }
  ts.run(() => {
    const sub = announceSchedule({ scheduler: ts, random: noShuffle, ...options }).subscribe({
      next: (o: AnnounceOutcome) => { rows.push([ts.now(), o.url, o.event, o.error === undefined ? 'ok' : (o.error as TrackerError).code ?? o.error.message, o.nextInMs]) },
      complete: () => { result.completedAt = ts.now() }
    })
    ts.schedule(() => { sub.unsubscribe() }, until)
  })
  return result
}

const fail = (code = 'timeout', retryIn?: number | 'never'): Observable<never> =>
  throwError(() => new TrackerError(code, code, retryIn === undefined ? {} : { retryIn }))

describe('announceSchedule', () => {
  it('announces started, then every interval (marble)', () => {
    const ts = scheduler()
    ts.run(({ expectObservable }) => {
      const client = fakeClient(ts, () => of(ok(10)))
      const events = announceSchedule({ tiers: [['udp://a:1']], client, request: () => base, scheduler: ts, random: noShuffle, backoff: { minIntervalMs: 1000 } })
        .pipe(map(o => o.event[0]))
      expectObservable(events, '^ 25000ms !').toBe('s 9999ms n 9999ms n')
    })
  })

  it('waits the interval the tracker asks for, never below its min interval', () => {
    const ts = scheduler()
    let n = 0
    const client = fakeClient(ts, () => of(n++ === 0 ? ok(100, { minInterval: 600 }) : ok(700, { minInterval: 60 })))
    const { rows } = record(ts, { tiers: [['http://a/announce']], client, request: () => base }, 2_000_000)
    expect(rows.map(r => [r[0], r[2], r[4]])).toEqual([[0, 'started', 600_000], [600_000, 'none', 700_000], [1_300_000, 'none', 700_000]])
  })

  it('keeps a hostile interval inside the bounds', () => {
    const ts = scheduler()
    const client = fakeClient(ts, () => of(ok(0)))
    const { rows } = record(ts, { tiers: [['http://a/announce']], client, request: () => base }, 61_000)
    expect(rows.map(r => r[0])).toEqual([0, 30_000, 60_000])
  })

  it('sends completed once when completed$ fires, then goes back to regular announces', () => {
    const ts = scheduler()
    const client = fakeClient(ts, () => of(ok(1000)))
    const done = new Subject<void>()
    ts.schedule(() => { done.next(); done.next() }, 5000)
    ts.schedule(() => { done.next() }, 7000)
    const { rows } = record(ts, { tiers: [['http://a/announce']], client, request: () => base, completed$: done }, 2_100_000)
    expect(rows.map(r => [r[0], r[2]])).toEqual([[0, 'started'], [5000, 'completed'], [1_005_000, 'none'], [2_005_000, 'none']])
  })

  it('asks request() for fresh stats with the right event, adds numwant and echoes the tracker id', () => {
    const ts = scheduler()
    let uploaded = 0
    const seen: Array<[AnnounceEvent, number]> = []
    const client = fakeClient(ts, (_u, _e, nth) => of(ok(60, nth === 0 ? { trackerId: 'T-1' } : {})))
    record(ts, {
      tiers: [['http://a/announce']],
      client,
      numwant: 80,
      request: (event) => { uploaded += 100; seen.push([event, uploaded]); return { ...base, uploaded } }
    }, 130_000)
    expect(seen).toEqual([['started', 100], ['none', 200], ['none', 300], ['stopped', 400]])
    expect(client.calls.map(c => [c.event, c.trackerId, c.numwant])).toEqual([
      ['started', undefined, 80], ['none', 'T-1', 80], ['none', 'T-1', 80], ['stopped', 'T-1', 80]
    ])
  })

  it('on failure backs the tracker off and tries the next tracker, then the next tier', () => {
    const ts = scheduler()
    const client = fakeClient(ts, (url, _e, nth) => {
      if (url === 'udp://a:1') return nth < 1 ? fail() : of(ok(1800))
      if (url === 'udp://b:1') return fail('bad-response')
      return of(ok(1800))
    })
    const { rows } = record(ts, { tiers: [['udp://a:1', 'udp://b:1'], ['udp://c:1']], client, request: () => base }, 1_800_001)
    expect(rows).toEqual([
      [0, 'udp://a:1', 'started', 'timeout', 0],
      [0, 'udp://b:1', 'started', 'bad-response', 0],
      [0, 'udp://c:1', 'started', 'ok', 1_800_000],
      // BEP 12: the first tier is tried again at the next announce; a never answered, so it gets started
      [1_800_000, 'udp://a:1', 'started', 'ok', 1_800_000]
    ])
  })

  it('backs off 15 s · 2^n when every tracker fails, with the latency of the attempts in virtual time', () => {
    const ts = scheduler()
    const client = fakeClient(ts, () => fail())
    const { rows } = record(ts, { tiers: [['udp://a:1'], ['udp://b:1']], client, request: () => base }, 100_000)
    expect(rows.map(r => [r[0], r[1], r[4]])).toEqual([
      [0, 'udp://a:1', 0], [0, 'udp://b:1', 15_000],
      [15_000, 'udp://a:1', 0], [15_000, 'udp://b:1', 30_000],
      [45_000, 'udp://a:1', 0], [45_000, 'udp://b:1', 60_000]
    ])
  })

  it('moves a tracker that answers to the front of its tier', () => {
    const ts = scheduler()
    const client = fakeClient(ts, (url, _e, nth) => (url === 'udp://a:1' && nth === 0 ? fail() : of(ok(100))))
    const { rows } = record(ts, { tiers: [['udp://a:1', 'udp://b:1']], client, request: () => base }, 250_000)
    expect(rows.map(r => [r[0], r[1], r[3]])).toEqual([
      [0, 'udp://a:1', 'timeout'], [0, 'udp://b:1', 'ok'],
      [100_000, 'udp://b:1', 'ok'], [200_000, 'udp://b:1', 'ok']
    ])
  })

  it('honours BEP 31 retry in, and drops a tracker that says never', () => {
    const ts = scheduler()
    const client = fakeClient(ts, (_u, _e, nth) => (nth === 0 ? fail('failure', 120) : of(ok(1800))))
    const { rows } = record(ts, { tiers: [['udp://a:1']], client, request: () => base }, 200_000)
    expect(rows.map(r => [r[0], r[3], r[4]])).toEqual([[0, 'failure', 120_000], [120_000, 'ok', 1_800_000]])

    const ts2 = scheduler()
    const never = fakeClient(ts2, (url) => (url === 'udp://a:1' ? fail('failure', 'never') : fail()))
    const out = record(ts2, { tiers: [['udp://a:1'], ['udp://b:1']], client: never, request: () => base }, 100_000)
    expect(out.rows.map(r => [r[0], r[1]])).toEqual([[0, 'udp://a:1'], [0, 'udp://b:1'], [15_000, 'udp://b:1'], [45_000, 'udp://b:1']])
  })

  it('drops refused and malformed URLs, and completes once every tracker is dropped', () => {
    const ts = scheduler()
    const client = fakeClient(ts, (url) => (url === 'file:///x' ? fail('bad-url') : throwError(() => new TrackerError('refused', 'no', { disposition: 'reject' }))))
    const out = record(ts, { tiers: [['file:///x', 'http://127.0.0.1:9091/rpc']], client, request: () => base }, 100_000)
    expect(out.rows.map(r => [r[1], r[3], r[4]])).toEqual([['file:///x', 'bad-url', 0], ['http://127.0.0.1:9091/rpc', 'refused', Number.POSITIVE_INFINITY]])
    expect(out.completedAt).toBe(0)
    expect(record(scheduler(), { tiers: [], client, request: () => base }, 10).completedAt).toBe(0)
  })

  it('counts an announce without an answer within timeoutMs as a failure', () => {
    const ts = scheduler()
    const client = fakeClient(ts, (url) => (url === 'udp://a:1' ? NEVER : of(ok(1800))))
    const { rows } = record(ts, { tiers: [['udp://a:1', 'udp://b:1']], client, request: () => base, timeoutMs: 5000 }, 10_000)
    expect(rows.map(r => [r[0], r[1], r[3]])).toEqual([[5000, 'udp://a:1', 'timeout'], [5000, 'udp://b:1', 'ok']])
  })

  it('sends stopped to the tracker that last answered on unsubscribe, and aborts the announce in flight', () => {
    const ts = scheduler()
    const cancelled: string[] = []
    const client = fakeClient(ts, (url, event) => {
      if (event === 'stopped') return new Observable<AnnounceResponse>(() => () => { cancelled.push('stopped') })
      if (url === 'udp://b:1') return of(ok(100))
      return new Observable<AnnounceResponse>(() => () => { cancelled.push(url) })
    })
    ts.run(() => {
      const sub = announceSchedule({ tiers: [['udp://b:1'], ['udp://a:1']], client, request: () => base, scheduler: ts, random: noShuffle, stoppedTimeoutMs: 3000 }).subscribe()
      ts.schedule(() => { sub.unsubscribe() }, 150_000)
    })
    expect(client.calls.map(c => [c.at, c.url, c.event])).toEqual([[0, 'udp://b:1', 'started'], [100_000, 'udp://b:1', 'none'], [150_000, 'udp://b:1', 'stopped']])
    // the stopped announce never answers: it is cut off after stoppedTimeoutMs
    expect(cancelled).toEqual(['stopped'])
  })

  it('sends no stopped when no tracker ever answered, and passes an abort signal', () => {
    const ts = scheduler()
    const signals: AbortSignal[] = []
    const client: AnnounceClient = { announce: (_url, _req, o) => { if (o?.signal !== undefined) signals.push(o.signal); return NEVER } }
    ts.run(() => {
      const sub = announceSchedule({ tiers: [['udp://a:1']], client, request: () => base, scheduler: ts, random: noShuffle }).subscribe()
      ts.schedule(() => { sub.unsubscribe() }, 1000)
    })
    expect(signals).toHaveLength(1)
    expect(signals[0]?.aborted).toBe(true)
  })

  it('works with a promise-returning client', async () => {
    const client: AnnounceClient = { announce: async () => ok(1800, { peers: [{ host: '10.0.0.1', port: 1 }] }) }
    const first = await new Promise<AnnounceOutcome>((resolve) => {
      const sub = announceSchedule({ tiers: [['udp://a:1']], client, request: () => base }).subscribe(o => { resolve(o); queueMicrotask(() => { sub.unsubscribe() }) })
    })
    expect(first).toMatchObject({ url: 'udp://a:1', event: 'started', nextInMs: 1_800_000 })
  })
})
