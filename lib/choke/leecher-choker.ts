import { pickOptimistic } from './optimistic.js'
import type { OptimisticOptions } from './optimistic.js'
import { byId, rateOf, slotCount, uniquePeers } from './snapshot.js'
import type { ChokeContext, ChokeDecision, ChokePeer, Choker } from './types.js'

/** Options of {@link leecherChoker}. */
export interface LeecherChokerOptions {
  /** How the optimistic unchoke is rotated. Defaults: 3 rounds, new peers (< 60 s) weighted ×3. */
  readonly optimistic?: OptimisticOptions
}

/**
 * Tit-for-tat while downloading. Each round the `ctx.slots` interested,
 * non-snubbed peers that send us data fastest get the regular unchokes (ties
 * go to the lower id). On top of that, one optimistic unchoke is rotated
 * every 3 rounds to a random interested peer we choke, new peers weighted ×3
 * (see {@link pickOptimistic}). Anti-snubbing: a snubbed peer never holds a
 * regular slot, it can only be unchoked optimistically. Uninterested peers
 * are never unchoked.
 *
 * The decision holds at most `slots + 1` peers and depends only on the
 * snapshot and `ctx` (order of `peers` ignored, duplicate ids collapsed).
 * @throws nothing
 * @see BEP 3 (choking)
 */
export function leecherChoker (options: LeecherChokerOptions = {}): Choker {
  return {
    name: 'leecher',
    decide (peers: readonly ChokePeer[], ctx: ChokeContext): ChokeDecision {
      const all = uniquePeers(peers)
      const regular = new Set(
        all
          .filter((p) => p.interested && !p.snubbed)
          .sort((a, b) => rateOf(b.downloadRate) - rateOf(a.downloadRate) || byId(a, b))
          .slice(0, slotCount(ctx.slots))
          .map((p) => p.id)
      )
      const optimistic = pickOptimistic(all, regular, ctx, options.optimistic)
      const unchoke = new Set(regular)
      if (optimistic !== undefined) unchoke.add(optimistic)
      return optimistic === undefined ? { unchoke } : { unchoke, optimistic }
    }
  }
}
