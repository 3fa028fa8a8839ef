import type { ChokePeer } from './types.js'

/**
 * Peers with duplicate ids dropped (the first one wins), so a malformed
 * snapshot can never let one id take two slots.
 * @throws nothing
 */
export function uniquePeers (peers: readonly ChokePeer[]): ChokePeer[] {
  const seen = new Set<string>()
  const out: ChokePeer[] = []
  for (const p of peers) {
    if (seen.has(p.id)) continue
    seen.add(p.id)
    out.push(p)
  }
  return out
}

/**
 * A rate usable in comparisons: NaN and negative values count as 0.
 * @throws nothing
 */
export function rateOf (rate: number): number {
  return rate > 0 ? rate : 0
}

/**
 * Slot count as a non-negative integer: fractions round down, NaN and
 * negative values give 0.
 * @throws nothing
 */
export function slotCount (slots: number): number {
  return slots > 0 ? Math.floor(slots) : 0
}

/** Orders ids so results never depend on the order of the snapshot. */
export function byId (a: ChokePeer, b: ChokePeer): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}
