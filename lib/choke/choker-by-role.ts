import type { ChokeContext, ChokeDecision, ChokePeer, Choker } from './types.js'

/**
 * One choker built from two: `leeching` while we download, `seeding` once
 * `ctx.seeding` is true. The optimistic peer carries over when the role
 * changes.
 * @throws whatever the chosen choker throws
 * @see BEP 3 (choking)
 */
export function chokerByRole (leeching: Choker, seeding: Choker): Choker {
  return {
    name: `${leeching.name}/${seeding.name}`,
    decide (peers: readonly ChokePeer[], ctx: ChokeContext): ChokeDecision {
      return (ctx.seeding ? seeding : leeching).decide(peers, ctx)
    }
  }
}
