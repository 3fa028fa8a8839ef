import { Observable, asyncScheduler, interval } from 'rxjs'
import type { OperatorFunction, SchedulerLike } from 'rxjs'
import { LIMITS } from '../lib/constants.js'
import type { PeerSession } from '../lib/peer/peer-session.js'
import { requestStep } from '../lib/peer/request-pipeline.js'
import type { BlockPlanner } from '../lib/peer/request-pipeline.js'
import type { BlockRef } from '../lib/pieces/geometry.js'
import type { Message } from '../lib/wire/types.js'

/** Options of {@link requestPipeline}. */
export interface RequestPipelineOptions {
  readonly session: PeerSession
  readonly planner: BlockPlanner
  /** The planner's key for this peer. */
  readonly peer: string
  /** Requests kept outstanding. Default `LIMITS.requestQueueDepth`. */
  readonly depth?: number
  /** A request unanswered this long is expired. Default `LIMITS.requestTimeoutMs`. */
  readonly timeoutMs?: number
  /** How often expiry is checked. Default a quarter of `timeoutMs`. */
  readonly tickMs?: number
  /** Called for every request that expired or was dropped by a choke, to free it in the planner. */
  readonly release?: (ref: BlockRef) => void
  /** Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike
}

/**
 * Keep `depth` requests outstanding to one peer while we are interested and
 * it unchokes us (or allows fast pieces). Every source value (a `PeerEvent`
 * already applied to the session, or any other nudge) tops the pipeline up;
 * every `tickMs` on the scheduler, requests older than `timeoutMs` are
 * expired, released, and replaced. Emits each batch of request messages to
 * send; the session already tracks them as outstanding.
 *
 * ```
 * source: -u----h-------|
 * ticks:  ------t------t-
 * result: -r----r------r|      (r: a batch of requests, when any)
 * ```
 * Completes when the source completes; errors when it errors or the planner throws.
 * @see BEP 3, BEP 6; `planRequests` in lib/peer/request-pipeline.ts holds the rule
 */
export function requestPipeline (options: RequestPipelineOptions): OperatorFunction<unknown, Message[]> {
  const { session, planner, peer, release } = options
  const depth = options.depth ?? LIMITS.requestQueueDepth
  const timeoutMs = options.timeoutMs ?? LIMITS.requestTimeoutMs
  const tickMs = options.tickMs ?? Math.max(1, Math.floor(timeoutMs / 4))
  const scheduler = options.scheduler ?? asyncScheduler
  return (source) => new Observable<Message[]>((subscriber) => {
    const run = (expire: boolean): void => {
      try {
        const step = requestStep(session, planner, { peer, depth, timeoutMs: expire ? timeoutMs : undefined, release }, scheduler.now())
        if (step.requests.length > 0) subscriber.next(step.requests)
      } catch (err) {
        subscriber.error(err)
      }
    }
    const ticks = interval(tickMs, scheduler).subscribe(() => { run(true) })
    const sub = source.subscribe({
      next: () => { run(false) },
      error: (err: unknown) => { subscriber.error(err) },
      complete: () => { subscriber.complete() }
    })
    return () => {
      ticks.unsubscribe()
      sub.unsubscribe()
    }
  })
}
