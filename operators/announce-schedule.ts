import { asyncScheduler, from, Observable, take, throwError, timeout, type ObservableInput, type SchedulerLike, type Subscription } from 'rxjs'
import { xorshift32 } from '../lib/pieces/xorshift32.js'
import { TrackerError } from '../lib/tracker/tracker-error.js'
import type { AnnounceEvent, AnnounceRequest, AnnounceResponse } from '../lib/tracker/types.js'
import { announceDelayMs, type BackoffOptions } from '../lib/tracker-client/backoff.js'
import { TrackerTiers } from '../lib/tracker-client/tiers.js'

/**
 * What {@link announceSchedule} needs from a tracker client. The Node
 * `TrackerClient` (pipelines/node/tracker-client.ts) fits; a test may return
 * an Observable to answer in virtual time.
 */
export interface AnnounceClient {
  /** Announce `req` to the tracker at `url`; rejects or errors when the tracker cannot be reached or refuses. */
  announce: (url: string, req: AnnounceRequest, options?: { signal?: AbortSignal }) => PromiseLike<AnnounceResponse> | ObservableInput<AnnounceResponse>
}

/** One announce attempt and what comes next. */
export interface AnnounceOutcome {
  readonly url: string
  readonly event: AnnounceEvent
  /** The tracker's answer, when it answered. */
  readonly response?: AnnounceResponse
  /** Why it did not. */
  readonly error?: Error
  /** Milliseconds until the next announce attempt (0: at once, to the next tracker; Infinity: no tracker left). */
  readonly nextInMs: number
}

/** Options of {@link announceSchedule}. */
export interface AnnounceScheduleOptions {
  /** BEP 12 tiers (the torrent's `announce-list`, or `[[announce]]`). */
  readonly tiers: readonly (readonly string[])[]
  readonly client: AnnounceClient
  /** The request for `event`, with statistics read fresh from the running pipeline at each call. */
  readonly request: (event: AnnounceEvent) => AnnounceRequest
  /** Emits once when the download finishes: a `completed` announce follows. */
  readonly completed$?: Observable<unknown>
  /** Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike
  /** Shuffles each tier once; default a xorshift32 seeded from the scheduler's clock (pipelines pass `Math.random`). */
  readonly random?: () => number
  /** Peers asked for in each announce. */
  readonly numwant?: number
  /** Retry and interval bounds (defaults: 15 s · 2^n up to 30 min; interval within 30 s – 6 h). */
  readonly backoff?: BackoffOptions
  /** An announce without an answer after this long counts as failed. Default 60 s. */
  readonly timeoutMs?: number
  /** How long the best-effort `stopped` announce may take. Default 5 s. */
  readonly stoppedTimeoutMs?: number
  /**
   * A download that completes while no tracker has answered yet, with the
   * first announce in flight for at least this long, does not wait for it:
   * `onCompletedSettled('no-live-tracker')` at once (or once the announce
   * has been out this long). Default 1 s. A tracker that stays silent for the
   * whole download (a UDP tracker dropping packets, as many listed in real
   * torrents do) cost every short download the caller's whole bound at exit.
   */
  readonly silentAfterMs?: number
  /**
   * Told once, after `completed$` fired, when there is nothing more to wait
   * for before the caller may stop: see {@link CompletedSettlement}.
   */
  readonly onCompletedSettled?: (how: CompletedSettlement) => void
}

/**
 * How the wait for the `completed` announce ended:
 * - `answered`: a tracker answered it;
 * - `failed`: it failed, and no other tracker is ready to take it now;
 * - `no-live-tracker`: the trackers it would go to are backing off after a
 *   failure (known dead, e.g. their last announce was refused), or none is
 *   left; it would go out only after the backoff; or no tracker has answered
 *   anything yet and the first announce has been out `silentAfterMs`.
 */
export type CompletedSettlement = 'answered' | 'failed' | 'no-live-tracker'

/**
 * Announce a torrent to its trackers for as long as it is subscribed:
 * `started` at once, then every `interval` the tracker asks for (never below
 * its `min interval`, nor outside the `backoff` bounds), `completed` once
 * when `completed$` fires, `trackerid` echoed per tracker. Trackers are
 * tried in BEP 12 order: a failed one backs off (15 s · 2^n, or its BEP 31
 * `retry in`; `never` or a refused URL drops it) while the next tracker, then
 * the next tier, is tried at once; one that answers moves to the front of its
 * tier. A tracker that never answered gets `started` instead of a regular
 * announce.
 *
 * ```
 * client:  answers at once, interval 10 frames
 * result:  s---------n---------n----     (s: started, n: none; each an AnnounceOutcome)
 * ```
 *
 * Emits one {@link AnnounceOutcome} per attempt; never errors (failures are
 * outcomes). Completes when every tracker has been dropped (at once when
 * there are none). On unsubscribe, the announce in flight is aborted and a
 * `stopped` announce is sent, fire and forget, to the tracker that last
 * answered, aborted after `stoppedTimeoutMs`. All timing is on `scheduler`.
 * `onCompletedSettled` tells a finishing download when it may stop without
 * cutting the `completed` announce short: once it was answered or failed, or
 * at once when the tracker it would go to is backing off (a refused
 * connection, say), so a dead tracker holds nobody up. A request still in
 * flight (a tracker dropping packets) is the caller's to bound, except
 * while no tracker has answered anything: that one is not waited for past
 * `silentAfterMs` of its first announce.
 * A private torrent (BEP 27) must take peers from these trackers only.
 * @see BEP 3, BEP 12, BEP 27, BEP 31
 */
export function announceSchedule (options: AnnounceScheduleOptions): Observable<AnnounceOutcome> {
  return new Observable<AnnounceOutcome>(subscriber => {
    const scheduler = options.scheduler ?? asyncScheduler
    const random = options.random ?? xorshift32(Math.floor(scheduler.now()) ^ 0x5bd1e995)
    const tiers = new TrackerTiers(options.tiers, random, options.backoff)
    const trackerIds = new Map<string, string>()
    const timeoutMs = options.timeoutMs ?? 60_000
    let answeredOnce = false
    let completedPending = false
    let completedFired = false
    let completedSettled = false
    let lastAnswered: string | undefined
    let waiting: 'interval' | 'backoff' | 'request' = 'request'
    let requestSince = scheduler.now()
    let timer: Subscription | undefined
    let inflight: Subscription | undefined
    let silence: Subscription | undefined
    let stopped = false

    const requestFor = (url: string, event: AnnounceEvent): AnnounceRequest => {
      const base = options.request(event)
      const trackerId = trackerIds.get(url)
      return {
        ...base,
        event,
        ...(options.numwant === undefined ? {} : { numwant: options.numwant }),
        ...(trackerId === undefined ? {} : { trackerId })
      }
    }

    const currentEvent = (url: string): AnnounceEvent => {
      if (!answeredOnce) return 'started'
      if (completedPending) return 'completed'
      return tiers.standing(url)?.answered === true ? 'none' : 'started'
    }

    const settleCompleted = (how: CompletedSettlement): void => {
      if (!completedFired || completedSettled) return
      completedSettled = true
      options.onCompletedSettled?.(how)
    }

    const schedule = (delay: number, kind: 'interval' | 'backoff'): void => {
      timer?.unsubscribe()
      waiting = kind
      timer = scheduler.schedule(attempt, Math.max(0, delay))
    }

    function attempt (): void {
      timer = undefined
      if (stopped) return
      const now = scheduler.now()
      const url = tiers.next(now)
      if (url === undefined) {
        const at = tiers.nextReadyAtMs()
        if (at === undefined) { settleCompleted('no-live-tracker'); subscriber.complete(); return }
        schedule(at - now, 'backoff')
        settleCompleted('no-live-tracker')
        return
      }
      const event = currentEvent(url)
      waiting = 'request'
      requestSince = now
      let answered = false
      const signalled = new Observable<AnnounceResponse>(sub => {
        const ac = new AbortController()
        const inner = from(options.client.announce(url, requestFor(url, event), { signal: ac.signal }) as ObservableInput<AnnounceResponse>).pipe(take(1)).subscribe(sub)
        return () => { inner.unsubscribe(); ac.abort(new TrackerError('timeout', 'announce cancelled')) }
      })
      inflight = signalled.pipe(timeout({
        first: timeoutMs,
        scheduler,
        with: () => throwError(() => new TrackerError('timeout', `no answer from the tracker within ${timeoutMs} ms`))
      })).subscribe({
        next: response => { answered = true; succeeded(url, event, response) },
        error: (e: unknown) => { failed(url, event, e instanceof Error ? e : new Error(String(e))) },
        complete: () => { if (!answered) failed(url, event, new TrackerError('bad-response', 'the tracker client completed without an answer')) }
      })
    }

    function succeeded (url: string, event: AnnounceEvent, response: AnnounceResponse): void {
      inflight = undefined
      tiers.succeeded(url)
      answeredOnce = true
      lastAnswered = url
      if (response.trackerId !== undefined) trackerIds.set(url, response.trackerId)
      if (event === 'completed') completedPending = false
      const nextInMs = completedPending ? 0 : announceDelayMs(response, options.backoff)
      subscriber.next({ url, event, response, nextInMs })
      if (event === 'completed') settleCompleted('answered')
      if (!stopped) schedule(nextInMs, 'interval')
    }

    function failed (url: string, event: AnnounceEvent, error: Error): void {
      inflight = undefined
      const now = scheduler.now()
      if (error instanceof TrackerError && (error.code === 'bad-url' || (error.code === 'refused' && error.disposition === 'reject'))) {
        tiers.drop(url)
      } else {
        const retryIn = error instanceof TrackerError ? error.retryIn : undefined
        tiers.failed(url, now, typeof retryIn === 'number' ? retryIn * 1000 : retryIn)
      }
      const readyAt = tiers.next(now) !== undefined ? now : tiers.nextReadyAtMs()
      subscriber.next({ url, event, error, nextInMs: readyAt === undefined ? Number.POSITIVE_INFINITY : readyAt - now })
      // Another tracker ready now takes `completed` at once; otherwise there is no one left to wait for.
      if (readyAt !== now) settleCompleted(event === 'completed' ? 'failed' : 'no-live-tracker')
      if (stopped) return
      if (readyAt === undefined) { subscriber.complete(); return }
      schedule(readyAt - now, 'backoff')
    }

    const completion = options.completed$?.pipe(take(1)).subscribe(() => {
      completedPending = true
      completedFired = true
      // Announce at once when waiting out a regular interval; otherwise the next attempt carries it.
      if (answeredOnce && waiting === 'interval') schedule(0, 'interval')
      else if (waiting === 'backoff' && tiers.next(scheduler.now()) === undefined) settleCompleted('no-live-tracker')
      else if (!answeredOnce && waiting === 'request') {
        // Silent so far: not waited for once the announce has been out `silentAfterMs`.
        const left = requestSince + (options.silentAfterMs ?? 1000) - scheduler.now()
        silence = scheduler.schedule(() => { if (!answeredOnce) settleCompleted('no-live-tracker') }, Math.max(0, left))
      }
    })

    attempt()

    return () => {
      stopped = true
      completion?.unsubscribe()
      silence?.unsubscribe()
      timer?.unsubscribe()
      inflight?.unsubscribe()
      if (lastAnswered !== undefined) sendStopped(lastAnswered)
    }

    function sendStopped (url: string): void {
      const ac = new AbortController()
      let sent: Subscription | undefined
      const deadline = scheduler.schedule(() => {
        ac.abort(new TrackerError('timeout', 'stopped announce not answered in time'))
        sent?.unsubscribe()
      }, options.stoppedTimeoutMs ?? 5000)
      try {
        const req = requestFor(url, 'stopped')
        sent = from(options.client.announce(url, req, { signal: ac.signal }) as ObservableInput<AnnounceResponse>).pipe(take(1)).subscribe({
          complete: () => { deadline.unsubscribe() },
          error: () => { deadline.unsubscribe() }
        })
      } catch {
        deadline.unsubscribe()
      }
    }
  })
}
