/**
 * The swarm simulator's own benchmark: one seed and LEECHERS leechers of a
 * torrent of MIB MiB in 256 KiB pieces (default 100 and 64), every peer with
 * a 10 MB/s upload, 40 MB/s download and 20 ms link, run to completion in
 * virtual time (seed 1). Prints the wall time, CPU time and peak RSS, and
 * the swarm's figures, as JSON.
 *
 *   node --import tsx bench/sim.ts [leechers] [MiB]
 *
 * Environment: SIM_MODEL=engine|wire (`SimulateSwarmOptions.model`, default
 * engine, or wire when SIM_PAYLOAD, SIM_VERIFY or SIM_RES is set), SIM_PAYLOAD=virtual|bytes (the wire model's payload, see
 * `SimulateSwarmOptions.payload`), SIM_VERIFY=sampled (sampledHasher instead of SHA-1),
 * SIM_MAXCONN=n (each peer's maxConnections), SIM_TRACKER_PEERS=n (peers a
 * joining peer is told of), SIM_PEX=0 (no peer exchange), SIM_RES=ms (link
 * timer grid), SIM_LIMIT_MS=ms (stop after this much virtual time).
 */
import { simulateSwarm } from '../pipelines/sim/index.js'

const leechers = Number(process.argv[2] ?? 100)
const mib = Number(process.argv[3] ?? 64)
const started = performance.now()
const cpu = process.cpuUsage()
// Without SIM_MODEL, the simulator's own default: wire when a wire-only option is set.
const wireOnly = ['SIM_PAYLOAD', 'SIM_VERIFY', 'SIM_RES'].some((k) => process.env[k] !== undefined)
const model = process.env['SIM_MODEL'] === 'wire' || (process.env['SIM_MODEL'] === undefined && wireOnly) ? 'wire' as const : 'engine' as const
const result = await simulateSwarm({
  ...(process.env['SIM_MODEL'] === undefined ? {} : { model }),
  torrent: { length: mib * 1024 * 1024, pieceLength: 256 * 1024 },
  leechers,
  peerDefaults: {
    uploadRate: 10_000_000,
    downloadRate: 40_000_000,
    latencyMs: 20,
    ...(process.env['SIM_PEX'] === '0' ? { pex: false } : {}),
    ...(process.env['SIM_MAXCONN'] === undefined ? {} : { maxConnections: Number(process.env['SIM_MAXCONN']) })
  },
  ...(process.env['SIM_RES'] === undefined ? {} : { resolutionMs: Number(process.env['SIM_RES']) }),
  ...(process.env['SIM_TRACKER_PEERS'] === undefined ? {} : { trackerPeers: Number(process.env['SIM_TRACKER_PEERS']) }),
  seed: 1,
  ...(process.env['SIM_VERIFY'] === 'sampled' ? { verify: 'sampled' as const } : {}),
  ...(process.env['SIM_PAYLOAD'] === 'bytes' || process.env['SIM_PAYLOAD'] === 'virtual' ? { payload: process.env['SIM_PAYLOAD'] } : {}),
  timeLimitMs: Number(process.env['SIM_LIMIT_MS'] ?? 3_600_000)
})
const wallMs = performance.now() - started
const used = process.cpuUsage(cpu)
const done = result.peers.filter((p) => p.role === 'leecher' && p.completedAt !== null).map((p) => p.completedAt as number)
const seedUp = result.peers.filter((p) => p.role === 'seed').reduce((a, p) => a + p.uploaded, 0)
console.log(JSON.stringify({
  model,
  leechers,
  mib,
  wallSeconds: +(wallMs / 1000).toFixed(2),
  cpuSeconds: +((used.user + used.system) / 1e6).toFixed(2),
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  complete: result.complete,
  virtualSeconds: result.endedAt / 1000,
  downloadedMiB: Math.round(result.totals.downloaded / 1048576),
  firstCompleteS: Math.min(...done) / 1000,
  lastCompleteS: Math.max(...done) / 1000,
  seedCopies: +(seedUp / result.length).toFixed(2),
  downloadedCopies: +(result.totals.downloaded / result.length).toFixed(3),
  warnings: result.peers.reduce((a, p) => a + p.warningCount, 0),
  limitCloses: result.peers.reduce((a, p) => a + p.limitCloses, 0),
  sampleWarnings: result.peers.flatMap((p) => p.warnings).slice(0, 5)
}, null, 1))
