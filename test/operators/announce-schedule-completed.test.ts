import { delay, NEVER, of, Subject, throwError, type Observable } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { TrackerError } from '../../lib/tracker/tracker-error.js'
import type { AnnounceEvent, AnnounceRequest, AnnounceResponse } from '../../lib/tracker/types.js'
import { announceSchedule, type AnnounceClient, type CompletedSettlement } from '../../operators/announce-schedule.js'

const base: AnnounceRequest = { infoHash: new Uint8Array(20), peerId: new Uint8Array(20), port: 6881, uploaded: 0, downloaded: 0, left: 10, event: 'none' }
const noShuffle = (): number => 0.999
const ok = (interval: number): AnnounceResponse => ({ interval, peers: [] })
const refused = (): Observable<never> => throwError(() => new TrackerError('bad-response', 'tracker request failed: connect ECONNREFUSED'))

/**
 * Runs a schedule whose download completes at `completeAt` (virtual ms) and
 * returns when and how `onCompletedSettled` was told, with every call made.
 */
function run (tiers: string[][], reply: (url: string, event: AnnounceEvent) => Observable<AnnounceResponse>, completeAt: number, until = 200_000): { settled: Array<[number, CompletedSettlement]>, calls: Array<[number, string, AnnounceEvent]> } {
  const ts = new TestScheduler((a, b) => { expect(a).toEqual(b) })
  const settled: Array<[number, CompletedSettlement]> = []
  const calls: Array<[number, string, AnnounceEvent]> = []
  const client: AnnounceClient = { announce: (url, req) => { calls.push([ts.now(), url, req.event]); return reply(url, req.event) } }
  ts.run(() => {
    const done = new Subject<void>()
    const sub = announceSchedule({
      tiers, client, request: () => base, scheduler: ts, random: noShuffle, timeoutMs: 20_000, completed$: done,
      onCompletedSettled: (how) => { settled.push([ts.now(), how]) }
    }).subscribe()
    ts.schedule(() => { done.next() }, completeAt)
    ts.schedule(() => { sub.unsubscribe() }, until)
  })
  return { settled, calls }
}

describe('announceSchedule: the wait for completed (issue 11 item 4)', () => {
  it('a tracker that refused the connection is not waited for: settled the moment the download completes', () => {
    const { settled, calls } = run([['http://127.0.0.1:2/announce']], refused, 5000, 10_000)
    expect(settled).toEqual([[5000, 'no-live-tracker']])
    // it stays in backoff: no completed announce is sent early
    expect(calls).toEqual([[0, 'http://127.0.0.1:2/announce', 'started']])
  })

  it('waits for a live tracker that answers slowly, and settles when it answers completed', () => {
    const { settled, calls } = run([['http://a/announce']], () => of(ok(1800)).pipe(delay(500)), 5000)
    expect(calls.slice(0, 2)).toEqual([[0, 'http://a/announce', 'started'], [5000, 'http://a/announce', 'completed']])
    expect(settled).toEqual([[5500, 'answered']])
  })

  it('completion while started is in flight: completed follows the answer, then settles', () => {
    const { settled, calls } = run([['http://a/announce']], () => of(ok(1800)).pipe(delay(500)), 100)
    expect(calls.slice(0, 2)).toEqual([[0, 'http://a/announce', 'started'], [500, 'http://a/announce', 'completed']])
    expect(settled).toEqual([[1000, 'answered']])
  })

  it('a completed announce that fails settles at once when no other tracker is ready', () => {
    const { settled } = run([['http://a/announce']], (_url, event) => (event === 'completed' ? refused() : of(ok(1800))), 5000)
    expect(settled).toEqual([[5000, 'failed']])
  })

  it('a failed completed moves to the next tracker (several tiers, BEP 12) and waits for it', () => {
    const reply = (url: string, event: AnnounceEvent): Observable<AnnounceResponse> =>
      url === 'http://a/announce' && event === 'completed' ? refused() : of(ok(1800)).pipe(delay(url === 'http://b/announce' ? 300 : 0))
    const { settled, calls } = run([['http://a/announce'], ['http://b/announce']], reply, 5000)
    expect(calls.slice(0, 3)).toEqual([[0, 'http://a/announce', 'started'], [5000, 'http://a/announce', 'completed'], [5000, 'http://b/announce', 'completed']])
    expect(settled).toEqual([[5300, 'answered']])
  })

  it('every tracker of every tier refused: settled at completion', () => {
    const { settled } = run([['http://a/announce', 'udp://b:1'], ['http://c/announce']], refused, 5000, 10_000)
    expect(settled).toEqual([[5000, 'no-live-tracker']])
  })

  it('a tracker that has answered nothing is not waited for once its first announce has been out silentAfterMs (1 s)', () => {
    // Completion at 3 s (the started announce never answered): settled at once, not at its 20 s timeout.
    expect(run([['udp://a:1']], () => NEVER, 3000, 60_000).settled).toEqual([[3000, 'no-live-tracker']])
    // Completion 200 ms after the start: settled when the announce has been out 1 s.
    expect(run([['udp://a:1']], () => NEVER, 200, 60_000).settled).toEqual([[1000, 'no-live-tracker']])
  })

  it('a silent tracker after one that answered is still waited for (the caller bounds that wait)', () => {
    const reply = (_url: string, event: AnnounceEvent): Observable<AnnounceResponse> => event === 'completed' ? NEVER : of(ok(1800))
    const { settled } = run([['udp://a:1']], reply, 3000, 60_000)
    // completed goes out at 3 s and times out at 23 s
    expect(settled).toEqual([[23_000, 'failed']])
  })

  it('is told nothing before completed$ fires', () => {
    const { settled } = run([['http://a/announce']], refused, 150_000, 100_000)
    expect(settled).toEqual([])
  })
})
