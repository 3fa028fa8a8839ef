import { geometryOf } from '../../lib/pieces/geometry.js'
import { xorshift32 } from '../../lib/pieces/xorshift32.js'
import type { EngineNode } from '../../lib/sim/engine-node.js'
import { EngineSwarm, type EngineSwarmPeer } from '../../lib/sim/engine-swarm.js'
import { superseeding } from '../../lib/torrent/strategies.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { AccessLink } from '../../operators/paced-link.js'
import { nodeHasher } from '../node/hasher.js'
import { syncDigest } from '../runtime-inputs.js'
import { mixSeed, SIM_PORT, simHost, simPeerSetup, type SimTrace } from './peer-setup.js'
import { simErrorText, WarningLog } from './warning-log.js'
import type { ChokeRoundTrace, SimPeerOptions, SimPeerResult, SwarmView } from './types.js'

/** Actions run between two turns of the event loop (so a signal or a timer can act). */
const SLICE = 200_000

/** A peer as the simulator's options give it: its role, name and merged options. */
export interface SimSpec { readonly role: 'seed' | 'leecher', readonly name: string, readonly o: SimPeerOptions }

/** What {@link runEngineModel} returns. */
export interface EngineModelResult {
  readonly endedAt: number
  readonly peers: SimPeerResult[]
  readonly chokeRounds: ChokeRoundTrace[]
}

const turn = (): Promise<void> => new Promise<void>((resolve) => { setImmediate(resolve) })
/** Times in results: to the microsecond. */
const t = (ms: number | undefined): number | null => ms === undefined ? null : Math.round(ms * 1000) / 1000
const rate = (r: number): number => r === 0 ? Infinity : r

/**
 * Runs the swarm on the engine model (lib/sim `EngineSwarm`): each peer is
 * the engine's `step` with its strategies, stepped by simulated links and
 * timers, with no transport, codec, storage or hashing. Peers, seeds and
 * randomness are drawn as in the wire model.
 * @throws UsageError `bad-link` for a bad rate or latency; rejects with `signal.reason` when aborted
 */
export async function runEngineModel (torrent: Torrent, specs: readonly SimSpec[], options: {
  readonly swarmSeed: number
  readonly timeLimitMs: number
  readonly trackerPeers: number
  readonly windowBytes?: number
  readonly traceChokes: boolean
  readonly signal?: AbortSignal
}): Promise<EngineModelResult> {
  const links = specs.map((s) => new AccessLink(s.o))
  const rounds: ChokeRoundTrace[] = []
  const names = new Map(specs.map((s, i) => [simHost(i + 1), s.name]))
  const nameOf = (host: string): string => names.get(host) ?? host
  const trace: SimTrace | undefined = options.traceChokes ? { rounds, nameOf } : undefined
  const warnings = new Map<EngineNode, WarningLog>()
  let view: () => SwarmView = () => ({ now: 0, pieceCount: torrent.pieceCount, peers: [] })
  const peers: EngineSwarmPeer[] = specs.map((s, i) => {
    const o = s.o
    const setup = simPeerSetup(s.name, s.role, o, mixSeed(options.swarmSeed, i), trace)
    const link = links[i] as AccessLink
    const seeding = setup.seedingMode ?? (o.superseed === true ? superseeding() : undefined)
    const leaveWhen = o.leaveWhen
    return {
      name: s.name,
      role: s.role,
      host: simHost(i + 1),
      port: SIM_PORT,
      peerId: setup.peerId,
      random: setup.random,
      ...(setup.picker === undefined ? {} : { picker: setup.picker }),
      strategies: {
        ...(setup.choker === undefined ? {} : { choker: setup.choker }),
        ...(setup.interest === undefined ? {} : { interest: setup.interest }),
        ...(setup.requestDepth === undefined ? {} : { requestDepth: setup.requestDepth }),
        ...(setup.peerFilter === undefined ? {} : { peerFilter: setup.peerFilter }),
        ...(seeding === undefined ? {} : { seeding })
      },
      ...(o.uploadSlots === undefined ? {} : { uploadSlots: o.uploadSlots }),
      ...(o.requestQueueDepth === undefined ? {} : { requestQueueDepth: o.requestQueueDepth }),
      // The engine's own limits, apart from the link's: the tighter one holds.
      link: {
        uploadRate: Math.min(rate(link.uploadRate), (o.uploadLimit ?? 0) > 0 ? o.uploadLimit as number : Infinity),
        downloadRate: Math.min(rate(link.downloadRate), (o.downloadLimit ?? 0) > 0 ? o.downloadLimit as number : Infinity),
        latencyMs: link.latencyMs
      },
      pex: o.pex !== false,
      ...(o.maxConnections === undefined ? {} : { maxConnections: o.maxConnections }),
      ...(o.joinAtMs === undefined ? {} : { joinAtMs: o.joinAtMs }),
      ...(o.leaveAtMs === undefined ? {} : { leaveAtMs: o.leaveAtMs }),
      ...(leaveWhen === undefined ? {} : { leaveWhen: () => leaveWhen(view()) })
    }
  })
  const digest = syncDigest(nodeHasher)
  const swarm = new EngineSwarm({
    geometry: geometryOf(torrent),
    infoHash: torrent.infoHash,
    ...(digest === undefined ? {} : { digest }),
    ...(options.windowBytes === undefined ? {} : { windowBytes: options.windowBytes }),
    trackerPeers: options.trackerPeers,
    trackerRandom: xorshift32(mixSeed(options.swarmSeed, 0x7ac4e2)),
    peers,
    onWarning: (node, message, peer, error) => {
      let w = warnings.get(node)
      if (w === undefined) { w = new WarningLog(nameOf); warnings.set(node, w) }
      w.add(message, peer, error)
    }
  })
  view = () => ({
    now: swarm.clock.now,
    pieceCount: torrent.pieceCount,
    peers: swarm.nodes.map((n) => ({ name: n.name, role: n.spec.role, online: n.online, pieces: n.state.have.count, has: (i: number) => n.state.have.has(i) }))
  })
  const signal = options.signal
  try {
    for (;;) {
      const r = swarm.run(options.timeLimitMs, SLICE, () => signal?.aborted === true)
      if (r === 'done' || r === 'time') break
      if (r === 'aborted') signal?.throwIfAborted()
      await turn()
      signal?.throwIfAborted()
    }
    // Taken before the peers are stopped: one still online at the end has not left.
    return { endedAt: t(swarm.clock.now) ?? 0, peers: swarm.nodes.map((n) => result(n, warnings.get(n))), chokeRounds: rounds }
  } finally {
    swarm.stopAll()
  }
}

function result (n: EngineNode, w: WarningLog | undefined): SimPeerResult {
  return {
    name: n.name,
    role: n.spec.role,
    address: `${n.host}:${n.port}`,
    joinedAt: t(n.joinedAt),
    completedAt: t(n.completedAt),
    leftAt: t(n.leftAt),
    uploaded: n.uploaded,
    downloaded: n.downloaded,
    wireUploaded: n.wireUploaded,
    wireDownloaded: n.wireDownloaded,
    warnings: [...(w?.kept ?? [])],
    warningCount: w?.count ?? 0,
    limitCloses: w?.limitCloses ?? 0,
    error: n.error === undefined ? null : simErrorText(n.error)
  }
}
