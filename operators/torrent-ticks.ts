import { Observable, interval, map, merge, type SchedulerLike } from 'rxjs'
import { UsageError } from '../lib/errors.js'
import type { TorrentInput } from '../lib/torrent/types.js'

/** Options of {@link torrentTicks}. */
export interface TorrentTicksOptions {
  /** Timers. */
  readonly scheduler: SchedulerLike
  /** Length of a regular choke round; default 10 000 ms. */
  readonly chokeRoundMs?: number
  /** How often requests are checked for expiry; default 5 000 ms. */
  readonly expiryMs?: number
}

/**
 * The torrent engine's clock inputs: a regular choke round at subscription
 * and every `chokeRoundMs`, a request-expiry check every `expiryMs`, all on
 * the injected scheduler. Feed them to `step` (lib/torrent).
 *
 * ```
 * subscribe ^
 * rounds:   c 9999ms c 9999ms c …          (chokeRoundMs = 10 000)
 * expiry:   4999ms e 4999ms e …            (expiryMs = 5 000)
 * ```
 * Never completes on its own; unsubscribing stops the timers.
 * @throws UsageError (`bad-option`), synchronously, when a period is not a positive finite number
 * @see BEP 3 (choking)
 */
export function torrentTicks (options: TorrentTicksOptions): Observable<TorrentInput> {
  const roundMs = options.chokeRoundMs ?? 10_000
  const expiryMs = options.expiryMs ?? 5000
  for (const [name, v] of [['chokeRoundMs', roundMs], ['expiryMs', expiryMs]] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new UsageError('bad-option', `${name} must be a positive number, got ${String(v)}`, { details: { [name]: v } })
  }
  const round: TorrentInput = { type: 'choke-round', early: false }
  const expiry: TorrentInput = { type: 'request-expiry' }
  return new Observable<TorrentInput>((subscriber) => {
    subscriber.next(round)
    return merge(
      interval(roundMs, options.scheduler).pipe(map(() => round)),
      interval(expiryMs, options.scheduler).pipe(map(() => expiry))
    ).subscribe(subscriber)
  })
}
