import { of, throwError } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { TrackerError } from '../../lib/tracker/tracker-error.js'
import type { AnnounceRequest, AnnounceResponse, TrackerPeer } from '../../lib/tracker/types.js'
import type { AnnounceClient, AnnounceOutcome } from '../../operators/announce-schedule.js'
import { torrentTrackerPeers, trackerPeers } from '../../operators/tracker-peers.js'

function scheduler (): TestScheduler {
  return new TestScheduler((actual, expected) => { expect(actual).toEqual(expected) })
}

const p = (host: string, port: number): TrackerPeer => ({ host, port })
const ok = (peers: TrackerPeer[]): AnnounceOutcome => ({ url: 'u', event: 'none', response: { interval: 60, peers }, nextInMs: 60_000 })

describe('trackerPeers', () => {
  it('flattens the peers of each response, deduplicated within it, skipping failures (marble)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const outcomes = cold<AnnounceOutcome>('--a-----x---b--|', {
        a: ok([p('10.0.0.1', 1), p('10.0.0.2', 2), p('10.0.0.1', 1)]),
        x: { url: 'u', event: 'none', error: new Error('down'), nextInMs: 15_000 },
        b: ok([p('10.0.0.2', 2)])
      })
      expectObservable(trackerPeers(outcomes)).toBe('--(pq)------q--|', { p: p('10.0.0.1', 1), q: p('10.0.0.2', 2) })
    })
  })

  it('drops entries without a usable port or host and treats IPv6 case-insensitively', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const outcomes = cold('a|', { a: ok([p('10.0.0.1', 0), p('', 5), p('10.0.0.1', 70000), p('2001:DB8::1', 6), p('2001:db8::1', 6)]) })
      expectObservable(trackerPeers(outcomes)).toBe('a|', { a: p('2001:DB8::1', 6) })
    })
  })

  it('errors and completes with its source', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(trackerPeers(cold('-#', {}, new Error('boom')))).toBe('-#', {}, new Error('boom'))
    })
  })
})

describe('torrentTrackerPeers', () => {
  it('announces the torrent with fresh stats and emits FoundPeer-shaped tracker peers', () => {
    const ts = scheduler()
    const requests: AnnounceRequest[] = []
    const outcomes: AnnounceOutcome[] = []
    let left = 100
    const client: AnnounceClient = {
      announce: (url, req) => {
        requests.push(req)
        if (url === 'udp://down:1') return throwError(() => new TrackerError('timeout', 'down'))
        const r: AnnounceResponse = { interval: 60, peers: [p('10.0.0.9', 9)] }
        return of(r)
      }
    }
    const infoHash = new Uint8Array(20).fill(7)
    const peerId = new Uint8Array(20).fill(8)
    ts.run(({ expectObservable }) => {
      const peers$ = torrentTrackerPeers({
        torrent: { infoHash, announce: [['udp://down:1'], ['udp://up:1']] },
        client,
        peerId,
        port: 6881,
        key: 0xdeadbeef,
        stats: () => ({ uploaded: 1, downloaded: 2, left: left-- }),
        scheduler: ts,
        random: () => 0.5,
        onOutcome: o => { outcomes.push(o) }
      })
      expectObservable(peers$, '^ 70000ms !').toBe('a 59999ms a', { a: { address: { host: '10.0.0.9', port: 9 }, source: 'tracker' } })
    })
    expect(requests[0]).toEqual({ infoHash, peerId, port: 6881, uploaded: 1, downloaded: 2, left: 100, event: 'started', key: 0xdeadbeef })
    expect(requests.map(r => [r.event, r.left])).toEqual([['started', 100], ['started', 99], ['started', 98], ['none', 97], ['stopped', 96]])
    expect(outcomes.map(o => [o.url, o.error === undefined])).toEqual([['udp://down:1', false], ['udp://up:1', true], ['udp://down:1', false], ['udp://up:1', true]])
  })
})
