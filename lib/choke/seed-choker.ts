import { pickOptimistic } from './optimistic.js'
import type { OptimisticOptions } from './optimistic.js'
import { byId, rateOf, slotCount, uniquePeers } from './snapshot.js'
import type { ChokeContext, ChokeDecision, ChokePeer, Choker } from './types.js'

/** Options of {@link seedChoker}. */
export interface SeedChokerOptions {
  /** How long a regular unchoke lasts before the peer yields its slot. Default 30 000 ms (3 rounds of 10 s). */
  readonly turnMs?: number
  /** Also give an optimistic unchoke (rotated like the leecher's). Default true. */
  readonly optimistic?: boolean | OptimisticOptions
}

/**
 * Upload-slot rotation while seeding (a round robin that favours fast
 * uploads, after libtorrent's `round_robin` and `fastest_upload`). Only
 * interested peers are considered; snubbing does not matter since we download
 * nothing. Each round the `ctx.slots` regular slots go, in this order, to:
 *
 * 1. peers we unchoked less than `turnMs` ago (their turn is running),
 *    fastest upload first;
 * 2. peers we choke, the one that has waited longest first: never unchoked
 *    before anyone else, then the oldest `lastUnchokedAt`; equal waits go to
 *    the faster upload, then the lower id;
 * 3. peers whose turn is over, fastest upload first (they keep the slot only
 *    when nobody is waiting).
 *
 * A peer unchoked without `lastUnchokedAt` counts as unchoked at
 * `connectedAt`; the current optimistic peer counts as having had its turn. With `n` interested peers and `s` slots every peer gets a
 * regular slot within about `ceil(n / s)` turns. The optimistic unchoke, if
 * enabled, is drawn among the remaining choked interested peers.
 * @throws nothing
 * @see BEP 3 (choking, seeding)
 */
export function seedChoker (options: SeedChokerOptions = {}): Choker {
  const turnMs = options.turnMs ?? 30_000
  const optimisticOptions = options.optimistic === false ? undefined : options.optimistic === true ? {} : (options.optimistic ?? {})
  return {
    name: 'seed',
    decide (peers: readonly ChokePeer[], ctx: ChokeContext): ChokeDecision {
      const all = uniquePeers(peers)
      const running: ChokePeer[] = []
      const waiting: ChokePeer[] = []
      const expired: ChokePeer[] = []
      for (const p of all) {
        if (!p.interested) continue
        if (p.choked) waiting.push(p)
        else if (p.id === ctx.optimistic) expired.push(p)
        else if (ctx.now - (p.lastUnchokedAt ?? p.connectedAt) < turnMs) running.push(p)
        else expired.push(p)
      }
      const fastest = (a: ChokePeer, b: ChokePeer): number => rateOf(b.uploadRate) - rateOf(a.uploadRate) || byId(a, b)
      running.sort(fastest)
      expired.sort(fastest)
      waiting.sort((a, b) => waitedSince(a) - waitedSince(b) || fastest(a, b))
      const regular = new Set([...running, ...waiting, ...expired].slice(0, slotCount(ctx.slots)).map((p) => p.id))
      const optimistic = optimisticOptions === undefined ? undefined : pickOptimistic(all, regular, ctx, optimisticOptions)
      const unchoke = new Set(regular)
      if (optimistic !== undefined) unchoke.add(optimistic)
      return optimistic === undefined ? { unchoke } : { unchoke, optimistic }
    }
  }
}

/** When a choked peer started waiting; never unchoked sorts first. */
function waitedSince (p: ChokePeer): number {
  return p.lastUnchokedAt === undefined || Number.isNaN(p.lastUnchokedAt) ? -Infinity : p.lastUnchokedAt
}
