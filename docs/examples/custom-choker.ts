// A custom choker: unchoke the interested peers that have been connected
// longest (a "loyalty" rule), plus nobody optimistic. A choker is a free
// function over a snapshot of peers; pass it as `choker` to a pipeline.
import type { ChokeContext, ChokeDecision, ChokePeer, Choker } from '../../lib/index.js'

export const oldestFirst: Choker = {
  name: 'oldest-first',
  decide (peers: readonly ChokePeer[], ctx: ChokeContext): ChokeDecision {
    const chosen = peers
      .filter((p) => p.interested)
      .sort((a, b) => a.connectedAt - b.connectedAt || (a.id < b.id ? -1 : 1))
      .slice(0, ctx.slots)
    return { unchoke: new Set(chosen.map((p) => p.id)) }
  }
}
