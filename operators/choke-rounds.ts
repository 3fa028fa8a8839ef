import { Observable, asyncScheduler, timer } from 'rxjs'
import type { SchedulerLike } from 'rxjs'
import { seededRandom } from '../lib/choke/seeded-random.js'
import type { ChokeContext, ChokeDecision, ChokePeer, Choker } from '../lib/choke/types.js'
import { RxTorrentError, UsageError } from '../lib/errors.js'

/** Options of {@link chokeRounds}. */
export interface ChokeRoundsOptions {
  /** Snapshot of the peers, read at the start of every round. */
  readonly peers: () => readonly ChokePeer[]
  /** The strategy. */
  readonly choker: Choker
  /** Whether we are seeding, read at the start of every round. */
  readonly seeding: () => boolean
  /** Regular unchoke slots. Default 4. */
  readonly slots?: number
  /** Length of a round. Default 10 000 ms. */
  readonly roundMs?: number
  /** Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike
  /**
   * Uniform numbers in [0, 1) for the choker. Default: a deterministic
   * generator seeded with the scheduler's time at subscription; pipelines
   * pass a real source of randomness.
   */
  readonly random?: () => number
}

/**
 * Choke rounds: one decision at subscription and one every `roundMs` on the
 * scheduler. Each round reads `peers()` and `seeding()`, calls
 * `choker.decide` with the round number (0, 1, 2…), the scheduler's time
 * and the optimistic peer of the previous decision, and emits the result.
 *
 * ```
 * subscribe ^
 * result:   a 9999ms b 9999ms c …     (roundMs = 10 000)
 * ```
 * Never completes on its own; unsubscribing stops the timer. A strategy that
 * fails is contained: when `peers`, `seeding` or `decide` throws, or the
 * decision has no `unchoke` set, the observable errors with
 * `RxTorrentError('strategy-failed', …, { disposition: 'fatal', cause })`
 * and no further round runs. No backpressure: one value per round.
 * @throws UsageError (`bad-option`), synchronously, when `slots` is not a
 * non-negative integer or `roundMs` is not a positive finite number
 * @see BEP 3 (choking)
 */
export function chokeRounds (options: ChokeRoundsOptions): Observable<ChokeDecision> {
  const slots = options.slots ?? 4
  const roundMs = options.roundMs ?? 10_000
  if (!Number.isInteger(slots) || slots < 0) {
    throw new UsageError('bad-option', `slots must be a non-negative integer, got ${String(slots)}`, { details: { slots } })
  }
  if (!Number.isFinite(roundMs) || roundMs <= 0) {
    throw new UsageError('bad-option', `roundMs must be a positive number, got ${String(roundMs)}`, { details: { roundMs } })
  }
  const scheduler = options.scheduler ?? asyncScheduler
  const { choker } = options
  return new Observable<ChokeDecision>((subscriber) => {
    const random = options.random ?? seededRandom(scheduler.now())
    let round = 0
    let optimistic: string | undefined
    const tick = (): void => {
      let decision: ChokeDecision
      try {
        const peers = options.peers()
        const ctx: ChokeContext = {
          now: scheduler.now(),
          round,
          seeding: options.seeding(),
          slots,
          random,
          ...(optimistic === undefined ? {} : { optimistic })
        }
        decision = choker.decide(peers, ctx)
        if (!(decision?.unchoke instanceof Set)) throw new TypeError('decision.unchoke is not a Set')
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause)
        subscriber.error(new RxTorrentError('strategy-failed', `choker ${choker.name} failed in round ${round}: ${message}`, {
          disposition: 'fatal',
          cause,
          details: { choker: choker.name, round }
        }))
        return
      }
      optimistic = decision.optimistic
      round++
      subscriber.next(decision)
    }
    tick()
    if (subscriber.closed) return
    return timer(roundMs, roundMs, scheduler).subscribe(tick)
  })
}
