/**
 * rxtorrent/sim — whole swarms of the real engine on virtual time, in one
 * process: seeds and leechers with their own strategies, link rates and
 * arrival times, on an in-memory network, reproducible from one seed.
 *
 * @example
 * import { simulateSwarm } from 'rxtorrent/sim'
 *
 * const result = await simulateSwarm({
 *   torrent: { length: 8 * 1024 * 1024, pieceLength: 256 * 1024 },
 *   leechers: 10,
 *   peerDefaults: { uploadRate: 500_000, downloadRate: 2_000_000, latencyMs: 25 },
 *   seed: 7,
 *   timeLimitMs: 10 * 60_000
 * })
 * for (const p of result.peers) console.log(p.name, p.completedAt, p.uploaded)
 */
export { simulateSwarm } from './simulate-swarm.js'
export { SharedDataStorage, type SharedDataStorageOptions } from './shared-data-storage.js'
export { PayloadMeter } from './payload-meter.js'
export { simData } from './sim-torrent.js'
export { sampledHasher, SAMPLE_BYTES } from './sampled-hasher.js'
export type {
  ChokeRoundTrace, SimPeerContext, SimPeerOptions, SimPeerResult, SimStrategy, SimTorrent,
  SimulateSwarmOptions, SwarmResult, SwarmView, SwarmViewPeer
} from './types.js'
