import { UsageError } from '../../lib/errors.js'
import { xorshift32 } from '../../lib/pieces/xorshift32.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { AccessLink } from '../../operators/paced-link.js'
import { VirtualClock } from '../../operators/virtual-clock.js'
import { nodeHasher } from '../node/hasher.js'
import { PayloadMeter } from './payload-meter.js'
import { sampledHasher } from './sampled-hasher.js'
import { SimNode, type SimNodeEnv } from './sim-node.js'
import { mixSeed } from './peer-setup.js'
import { simTorrent, simTorrentShape } from './sim-torrent.js'
import { TAG_BLOCK, VirtualPayload } from './virtual-payload.js'
import type { ChokeRoundTrace, SimPeerOptions, SimPeerResult, SimulateSwarmOptions, SwarmResult, SwarmView } from './types.js'
import { runEngineModel, type SimSpec } from './engine-model.js'
import { draw } from '../../lib/sim/engine-swarm.js'

/** One macrotask turn: every pending promise continuation runs first. */
const settle = (): Promise<void> => new Promise<void>((resolve) => { setImmediate(resolve) })
/** Settle turns allowed for the seeds to check their data before the leechers start. */
const MAX_START_TURNS = 10_000

function peerList (spec: number | readonly SimPeerOptions[] | undefined, fallback: number, what: string): readonly SimPeerOptions[] {
  const s = spec ?? fallback
  if (typeof s !== 'number') return s
  if (!Number.isSafeInteger(s) || s < 0) throw new UsageError('bad-sim-peers', `${what} must be a non-negative integer, got ${s}`)
  return Array.from({ length: s }, () => ({}))
}

/**
 * Runs a whole swarm in one process, on virtual time, with the strategies
 * each peer is given, over links with each peer's upload and download rates
 * and latency. No socket, no file and no wall-clock timer is used.
 * Everything random (peer ids, picker ties, optimistic unchokes, who is told
 * of whom, the wire model's data) derives from `seed`: the same options give
 * the same result, byte for byte.
 *
 * `model: 'engine'` (default, unless an option of the wire model only is
 * given: `payload`, `verify`, `hasher`, `resolutionMs`, `progressIntervalMs`): every peer is the torrent engine's `step`
 * (lib/sim `EngineSwarm`): messages travel as objects over simulated links,
 * blocks carry no bytes, a completed piece is verified at once, dials and
 * admission follow lib/swarm's connect queue and BEP 40 rules, and nothing
 * waits on the event loop (it yields every so often so a signal or timer
 * can act).
 *
 * `model: 'wire'`: every peer is a real `seed` or `download` (with `seed:
 * true`) over an in-memory network; the clock jumps from one timer to the
 * next once all work due at an instant has settled. Every message goes
 * through the wire codec, sessions, planner, choker, assembler, hash check
 * and storage. With `payload: 'virtual'` (the default) blocks carry a tag
 * instead of their bytes: the links copy only the tags, the hash check and
 * the storage read them (the result is the bytes mode's). With `bytes`
 * every piece is hashed with real SHA-1 (or, with `verify: 'sampled'`, a
 * SHA-1 of 1/256 of its bytes) and compared byte for byte by the storage.
 *
 * In both, links have no loss, TCP slow start or congestion control, and a
 * connection a fixed window (`windowBytes`); peers learn of each other from
 * a simulated tracker at join time and from peer exchange; the CPU time
 * the engine would spend is not charged to virtual time.
 *
 * Resolves when every leecher has completed or left and none is still to
 * join, or when `timeLimitMs` of virtual time has passed; every peer is
 * stopped before it resolves.
 * @throws UsageError `bad-sim-peers`, `bad-sim-torrent`, `bad-link`, `bad-sim-model` for invalid options; rejects with `signal.reason` when aborted, or with an error thrown by scheduled work
 * @example
 * const result = await simulateSwarm({
 *   torrent: { length: 4 * 1024 * 1024, pieceLength: 256 * 1024 },
 *   leechers: 20,
 *   peerDefaults: { uploadRate: 1_000_000, downloadRate: 4_000_000, latencyMs: 20 },
 *   seed: 42,
 *   timeLimitMs: 600_000
 * })
 * console.log(result.peers.map((p) => `${p.name} ${p.completedAt} ms`))
 */
export async function simulateSwarm (options: SimulateSwarmOptions): Promise<SwarmResult> {
  const swarmSeed = (options.seed ?? 1) >>> 0
  if (!(options.timeLimitMs >= 0)) throw new UsageError('bad-sim-peers', `timeLimitMs must be a non-negative number, got ${options.timeLimitMs}`)
  if (options.verify === 'sampled' && 'torrent' in options.torrent && options.hasher === undefined) {
    throw new UsageError('bad-sim-torrent', "verify: 'sampled' needs a torrent the simulator makes (length and pieceLength)")
  }
  if (options.payload !== undefined && options.payload !== 'bytes' && options.payload !== 'virtual') throw new UsageError('bad-sim-torrent', `payload must be 'bytes' or 'virtual', got ${String(options.payload)}`)
  if (options.model !== undefined && options.model !== 'engine' && options.model !== 'wire') throw new UsageError('bad-sim-peers', `model must be 'engine' or 'wire', got ${String(options.model)}`)
  if (options.windowBytes !== undefined && !(Number.isSafeInteger(options.windowBytes) && options.windowBytes > 0)) throw new UsageError('bad-link', `windowBytes must be a positive integer, got ${options.windowBytes}`)
  if (options.trackerPeers !== undefined && !(Number.isSafeInteger(options.trackerPeers) && options.trackerPeers >= 0)) throw new UsageError('bad-sim-peers', `trackerPeers must be a non-negative integer, got ${options.trackerPeers}`)
  const specs = simSpecs(options)
  if (simModel(options) === 'engine') {
    const torrent = simTorrentShape(options.torrent, mixSeed(swarmSeed, 0xda7a))
    const r = await runEngineModel(torrent, specs, {
      swarmSeed,
      timeLimitMs: options.timeLimitMs,
      trackerPeers: options.trackerPeers ?? 50,
      traceChokes: options.traceChokes === true,
      ...(options.windowBytes === undefined ? {} : { windowBytes: options.windowBytes }),
      ...(options.signal === undefined ? {} : { signal: options.signal })
    })
    return swarmResult(swarmSeed, torrent.pieceCount, torrent.length, r.endedAt, r.peers, r.chokeRounds)
  }
  const torrentHasher = options.hasher ?? (options.verify === 'sampled' ? sampledHasher : nodeHasher)
  const made = await simTorrent(options.torrent, mixSeed(swarmSeed, 0xda7a), torrentHasher)
  const torrent = made.torrent
  // Virtual payload: the data is tagged (a given torrent's data on a copy) and checked by its tags.
  const payload = options.payload ?? (options.verify !== undefined || options.hasher !== undefined || torrent.pieceLength % TAG_BLOCK !== 0 ? 'bytes' : 'virtual')
  const virtual = payload === 'virtual'
    ? new VirtualPayload(torrent, 'data' in options.torrent ? made.data.slice() : made.data, mixSeed(swarmSeed, 0x7a65))
    : undefined
  const data = virtual?.data ?? made.data
  const hasher = virtual?.hasher ?? torrentHasher
  const clock = new VirtualClock()
  const byHost = new Map<string, SimNode>()
  const net = memoryNetwork({
    links: (host) => byHost.get(host)?.options,
    pacing: { scheduler: clock, borrowedReads: true, ...(virtual === undefined ? {} : { carried: virtual.carried }), ...(options.resolutionMs === undefined ? {} : { resolutionMs: options.resolutionMs }), ...(options.windowBytes === undefined ? {} : { windowBytes: options.windowBytes }) },
    observe: (fromHost, toHost) => {
      const from = byHost.get(fromHost)
      const to = byHost.get(toHost)
      const meter = new PayloadMeter()
      return (chunk) => {
        const payload = meter.payload
        meter.push(chunk)
        const got = meter.payload - payload
        if (from !== undefined) { from.wireUploaded += chunk.length; from.uploaded += got }
        if (to !== undefined) { to.wireDownloaded += chunk.length; to.downloaded += got }
      }
    }
  })
  const trace: ChokeRoundTrace[] | undefined = options.traceChokes === true ? [] : undefined
  const env: SimNodeEnv = {
    torrent,
    data,
    scheduler: clock,
    hasher,
    ...(virtual === undefined ? {} : { same: virtual.same }),
    progressIntervalMs: options.progressIntervalMs ?? 1000,
    trace,
    nameOf: (host) => byHost.get(host)?.name ?? host,
    transport: (host) => net.transport(host)
  }
  const nodes = specs.map((s, i) => new SimNode(i, s.name, s.role, s.o, swarmSeed, env))
  for (const n of nodes) byHost.set(n.host, n)
  const tracker = xorshift32(mixSeed(swarmSeed, 0x7ac4e2))
  const trackerPeers = options.trackerPeers ?? 50
  const join = (n: SimNode): void => {
    const known: PeerAddress[] = draw(nodes.filter((m) => m !== n && m.online), trackerPeers, tracker).map((m) => m.address)
    n.start(known)
  }

  let pendingJoins = 0
  const startAt = (n: SimNode, at: number): void => {
    pendingJoins++
    clock.schedule(() => { pendingJoins--; join(n) }, at)
  }
  // The seeds present from the start check their data before anyone dials them.
  const early = nodes.filter((n) => (n.options.joinAtMs ?? 0) <= 0)
  for (const n of early.filter((m) => m.role === 'seed')) join(n)
  for (let turns = 0; early.some((n) => n.role === 'seed' && !n.listening && n.error === undefined); turns++) {
    if (turns > MAX_START_TURNS) throw new Error('simulateSwarm: the seeds did not finish checking their data')
    await settle()
  }
  for (const n of early.filter((m) => m.role === 'leecher')) join(n)
  for (const n of nodes) if ((n.options.joinAtMs ?? 0) > 0) startAt(n, n.options.joinAtMs ?? 0)
  for (const n of nodes) if (n.options.leaveAtMs !== undefined) clock.schedule(() => { n.stop() }, n.options.leaveAtMs)

  const view = (): SwarmView => ({
    now: clock.now(),
    pieceCount: torrent.pieceCount,
    peers: nodes.map((n) => ({ name: n.name, role: n.role, online: n.online, pieces: n.storage.piecesHeld, has: (i: number) => n.storage.holds(i) }))
  })
  const watched = nodes.filter((n) => n.options.leaveWhen !== undefined)
  const leechers = nodes.filter((n) => n.role === 'leecher')
  const done = (): boolean => pendingJoins === 0 && leechers.every((n) => n.completedAt !== undefined || n.leftAt !== undefined)
  const until = (): boolean => {
    if (options.signal?.aborted === true) return true
    const online = watched.filter((n) => n.online)
    const v = online.length > 0 ? view() : undefined
    const leaving = v === undefined ? [] : online.filter((n) => n.options.leaveWhen?.(v) === true)
    for (const n of leaving) n.stop()
    // Let the closes settle at this instant before time moves on.
    if (leaving.length > 0) clock.schedule(() => {}, 0)
    return done()
  }
  try {
    await clock.run({ forMs: options.timeLimitMs, until, settle })
    options.signal?.throwIfAborted()
    // Taken before the peers are stopped: one still online at the end has not left.
    return swarmResult(swarmSeed, torrent.pieceCount, torrent.length, clock.now(), nodes.map((n) => n.result()), trace ?? [])
  } finally {
    for (const n of nodes) n.stop()
  }
}

/** Options that only the wire model has. */
const WIRE_ONLY = ['payload', 'verify', 'hasher', 'resolutionMs', 'progressIntervalMs'] as const

/**
 * The model to run: as asked, else `wire` when an option only the wire
 * model has is given, else `engine`.
 * @throws UsageError `bad-sim-model` for `engine` with a wire-only option
 */
function simModel (options: SimulateSwarmOptions): 'engine' | 'wire' {
  const given = WIRE_ONLY.filter((k) => options[k] !== undefined)
  if (options.model === 'engine' && given.length > 0) throw new UsageError('bad-sim-model', `${given.join(', ')} apply to the wire model only, not to model 'engine'`)
  return options.model ?? (given.length > 0 ? 'wire' : 'engine')
}

/** Every peer's role, name and options (its own over `peerDefaults`). */
function simSpecs (options: SimulateSwarmOptions): SimSpec[] {
  const specs = [
    ...peerList(options.seeds, 1, 'seeds').map((o, i) => ({ role: 'seed' as const, o, name: o.name ?? `seed-${i}` })),
    ...peerList(options.leechers, 0, 'leechers').map((o, i) => ({ role: 'leecher' as const, o, name: o.name ?? `leecher-${i}` }))
  ].map((s) => ({ ...s, o: { ...options.peerDefaults, ...s.o } }))
  if (new Set(specs.map((s) => s.name)).size !== specs.length) throw new UsageError('bad-sim-peers', 'peer names must be unique')
  // Throws UsageError `bad-link` for a bad rate or latency, before anything runs.
  for (const s of specs) void new AccessLink(s.o)
  return specs
}

function swarmResult (seed: number, pieceCount: number, length: number, endedAt: number, peers: readonly SimPeerResult[], chokeRounds: readonly ChokeRoundTrace[]): SwarmResult {
  const sum = (f: (p: SimPeerResult) => number): number => peers.reduce((a, p) => a + f(p), 0)
  const leechers = peers.filter((p) => p.role === 'leecher')
  return {
    seed,
    pieceCount,
    length,
    endedAt,
    complete: leechers.every((p) => p.completedAt !== null),
    peers,
    totals: { uploaded: sum((p) => p.uploaded), downloaded: sum((p) => p.downloaded), wireBytes: sum((p) => p.wireUploaded), completed: leechers.filter((p) => p.completedAt !== null).length },
    chokeRounds
  }
}
