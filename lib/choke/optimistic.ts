import { byId } from './snapshot.js'
import type { ChokeContext, ChokePeer } from './types.js'

/** Options of {@link pickOptimistic}. */
export interface OptimisticOptions {
  /** Rounds an optimistic peer keeps its slot. Default 3 (30 s with 10 s rounds). */
  readonly rounds?: number
  /** A peer connected for less than this is "new". Default 60 000 ms. */
  readonly newPeerMs?: number
  /** How many times likelier a new peer is to be drawn. Default 3. */
  readonly newPeerWeight?: number
}

/**
 * The optimistic unchoke of a round. The previous optimistic peer
 * (`ctx.optimistic`) keeps the slot until the round number is a multiple of
 * `rounds` (in an early round it keeps it), as long as it is still connected, interested and not given a
 * regular slot. Otherwise a new one is drawn with `ctx.random` among
 * interested peers that we choke and that hold no regular slot; peers
 * connected for less than `newPeerMs` are `newPeerWeight` times likelier to
 * be drawn, as in the mainline client. When nobody else qualifies, the
 * previous peer keeps the slot if it still can. Snubbed peers may be drawn.
 *
 * Deterministic for a given snapshot and random function; the order of
 * `peers` does not matter.
 * @throws nothing (a `random` returning values outside [0, 1) is clamped)
 * @see BEP 3 (optimistic unchoking)
 */
export function pickOptimistic (peers: readonly ChokePeer[], regular: ReadonlySet<string>, ctx: ChokeContext, options: OptimisticOptions = {}): string | undefined {
  const rounds = Math.max(1, Math.floor(options.rounds ?? 3))
  const newPeerMs = options.newPeerMs ?? 60_000
  const newPeerWeight = Math.max(1, options.newPeerWeight ?? 3)
  const current = ctx.optimistic === undefined ? undefined : peers.find((p) => p.id === ctx.optimistic)
  const currentValid = current !== undefined && current.interested && !regular.has(current.id)
  if (currentValid && (ctx.early === true || ctx.round % rounds !== 0)) return current.id

  const pool = peers
    .filter((p) => p.interested && p.choked && !regular.has(p.id) && p.id !== ctx.optimistic)
    .sort(byId)
  if (pool.length === 0) return currentValid ? current.id : undefined

  const weights = pool.map((p) => (ctx.now - p.connectedAt < newPeerMs ? newPeerWeight : 1))
  const total = weights.reduce((a, b) => a + b, 0)
  const drawn = ctx.random()
  let target = (drawn >= 0 && drawn < 1 ? drawn : 0) * total
  for (let i = 0; i < pool.length; i++) {
    target -= weights[i] as number
    if (target < 0) return (pool[i] as ChokePeer).id
  }
  return (pool[pool.length - 1] as ChokePeer).id
}
