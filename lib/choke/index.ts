/**
 * Choking strategies: pure functions from a snapshot of peers to the set of
 * peers to unchoke this round. Pass one to a torrent (`choker` option; the engine in lib/torrent runs its rounds) or call
 * `decide` yourself in a simulation.
 *
 * @example
 * const choker = chokerByRole(leecherChoker(), seedChoker())
 * const { unchoke, optimistic } = choker.decide(peers, { now, round: 0, seeding: false, slots: 4, random: seededRandom(1) })
 */
export type { ChokeContext, ChokeDecision, ChokePeer, Choker } from './types.js'
export { leecherChoker, type LeecherChokerOptions } from './leecher-choker.js'
export { seedChoker, type SeedChokerOptions } from './seed-choker.js'
export { chokerByRole } from './choker-by-role.js'
export { pickOptimistic, type OptimisticOptions } from './optimistic.js'
export { seededRandom } from './seeded-random.js'
export { SuperSeeder, type SuperSeederOptions, type SuperSeedOffer } from './super-seeder.js'
