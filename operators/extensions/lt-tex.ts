import { Observable, timer, type SchedulerLike } from 'rxjs'
import { TexState, decodeTex, encodeTex } from '../../lib/extensions/lt-tex.js'
import type { Extension } from '../extension.js'

/** Trackers a remote told us about. */
export interface TexTrackersEvent { readonly type: 'tex-trackers', readonly trackers: readonly string[] }

/** Options of {@link ltTex}. */
export interface LtTexOptions {
  /** The trackers we use (flattened tiers). */
  readonly trackers: () => readonly string[]
  readonly scheduler: SchedulerLike
  readonly firstDelayMs?: number
  readonly intervalMs?: number
}

/**
 * BEP 28 tracker exchange: our trackers are sent at most once a minute (each
 * once), the remote's are filtered (http, https and udp only, bounded) and
 * emitted. Not for private torrents (BEP 27).
 * @see BEP 28
 */
export function ltTex (options: LtTexOptions): Extension<TexTrackersEvent> {
  const intervalMs = Math.max(60_000, options.intervalMs ?? 60_000)
  return {
    name: 'lt_tex',
    attach: (messages$, peer) => new Observable<TexTrackersEvent>((subscriber) => {
      const state = new TexState({ intervalMs })
      // Look every few seconds; the state sends at most once per interval, and an
      // empty change does not use up the interval.
      const ticks = timer(options.firstDelayMs ?? 2000, Math.min(5000, intervalMs), options.scheduler).subscribe(() => {
        const m = state.diff(options.trackers(), options.scheduler.now())
        if (m !== undefined) peer.send(encodeTex(m))
      })
      const incoming = messages$.subscribe({
        next: (payload) => {
          let trackers: readonly string[]
          try { trackers = decodeTex(payload).added } catch (err) { subscriber.error(err); return }
          if (trackers.length > 0) subscriber.next({ type: 'tex-trackers', trackers })
        },
        complete: () => { subscriber.complete() }
      })
      return () => { ticks.unsubscribe(); incoming.unsubscribe() }
    })
  }
}
