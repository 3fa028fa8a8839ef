import type { ChokeContext, ChokePeer } from '../../../lib/choke/types.js'

/** An interested, choked, old peer with zero rates, with fields overridden. */
export function peer (id: string, fields: Partial<Omit<ChokePeer, 'id'>> = {}): ChokePeer {
  return { id, interested: true, choked: true, downloadRate: 0, uploadRate: 0, snubbed: false, connectedAt: 0, ...fields }
}

/** A context at 10 minutes, round 0, leeching, 4 slots, a fixed random draw. */
export function context (fields: Partial<ChokeContext> = {}): ChokeContext {
  return { now: 600_000, round: 0, seeding: false, slots: 4, random: () => 0, ...fields }
}

export function sorted (ids: Iterable<string>): string[] {
  return [...ids].sort()
}
