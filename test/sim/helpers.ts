import { filter, firstValueFrom, type Subscription } from 'rxjs'
import type { Torrent } from '../../lib/metainfo/types.js'
import { rarestFirst } from '../../lib/pieces/rarest-first.js'
import { xorshift32 } from '../../lib/pieces/xorshift32.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { Duplex, PeerAddress, Transport } from '../../lib/transport/types.js'
import type { MemoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { seed } from '../../pipelines/seed.js'
import type { TorrentRuntime } from '../../pipelines/torrent-runtime.js'
import type { Progress, TorrentWarning } from '../../pipelines/types.js'
import { filledStorage } from '../pipelines/swarm-helpers.js'

/** One member of a simulated swarm: its address, storage, runtime and a way to leave. */
export interface SwarmNode {
  readonly name: string
  readonly address: PeerAddress
  readonly storage: MemoryStorage
  readonly runtime: TorrentRuntime
  /** Resolves with the first progress that has every piece verified. */
  readonly complete: Promise<Progress>
  readonly warnings: TorrentWarning[]
  /** Unsubscribes: closes its listener and every connection. */
  stop: () => void
}

/** Options shared by every member of a simulated swarm. */
export interface NodeOptions {
  /** Wraps the node's memory transport, e.g. with {@link gatedTransport}. */
  readonly wrapTransport?: (t: Transport) => Transport
  readonly uploadSlots?: number
  readonly requestQueueDepth?: number
  readonly pexFirstDelayMs?: number
  /** Seed of this node's rarest-first tie-breaking; default the picker's own fixed seed. */
  readonly pickerSeed?: number
}

/**
 * Starts one member on the memory network, listening on port 0: a seed
 * (`data` given) or a leecher that keeps serving after it completes.
 * Resolves once it listens; `complete` settles later.
 */
export async function startNode (net: MemoryNetwork, host: string, torrent: Torrent, role: { data: Uint8Array } | { peers: readonly PeerAddress[] }, options: NodeOptions = {}): Promise<SwarmNode> {
  const isSeed = 'data' in role
  const storage = isSeed ? await filledStorage(role.data) : new MemoryStorage(torrent.length)
  const warnings: TorrentWarning[] = []
  let runtime: TorrentRuntime | undefined
  let onListening!: (a: PeerAddress) => void
  const listening = new Promise<PeerAddress>((resolve) => { onListening = resolve })
  const common = {
    storage,
    transport: options.wrapTransport?.(net.transport(host)) ?? net.transport(host),
    port: 0,
    hasher: nodeHasher,
    trackers: false,
    progressIntervalMs: 50,
    pex: { firstDelayMs: options.pexFirstDelayMs ?? 100 },
    onListening,
    onRuntime: (rt: TorrentRuntime) => { runtime = rt },
    onWarning: (w: TorrentWarning) => { warnings.push(w) },
    ...(options.uploadSlots === undefined ? {} : { uploadSlots: options.uploadSlots }),
    ...(options.pickerSeed === undefined ? {} : { picker: rarestFirst({ random: xorshift32(options.pickerSeed) }) })
  }
  const progress$ = isSeed
    ? seed(torrent, { ...common, data: '/unused' })
    : download(torrent, {
      ...common,
      out: '/unused',
      seed: true,
      peers: role.peers,
      ...(options.requestQueueDepth === undefined ? {} : { requestQueueDepth: options.requestQueueDepth })
    })
  let failed: ((e: unknown) => void) | undefined
  const errored = new Promise<never>((_resolve, reject) => { failed = reject })
  errored.catch(() => {})
  // One subscription drives the node; `complete` resolves from its progress.
  let latest: Progress | undefined
  const waiters: Array<(p: Progress) => void> = []
  const sub: Subscription = progress$.subscribe({
    next: (p) => {
      latest = p
      if (p.piecesVerified === p.pieceCount) while (waiters.length > 0) waiters.shift()?.(p)
    },
    error: (e: unknown) => { failed?.(e) }
  })
  const complete = Promise.race([
    new Promise<Progress>((resolve) => {
      if (latest !== undefined && latest.piecesVerified === latest.pieceCount) resolve(latest)
      else waiters.push(resolve)
    }),
    errored
  ])
  const address = await Promise.race([listening, errored])
  if (runtime === undefined) throw new Error(`${host}: no runtime`)
  return { name: host, address, storage, runtime, complete, warnings, stop: () => { sub.unsubscribe() } }
}

/** Resolves once the pieces held by `nodes` together cover the whole torrent. */
export async function whenCovered (nodes: readonly SwarmNode[], pieceCount: number): Promise<void> {
  const covered = (): boolean => {
    for (let i = 0; i < pieceCount; i++) if (!nodes.some((n) => n.runtime.have.has(i))) return false
    return true
  }
  if (covered()) return
  await Promise.race(nodes.map(async (n) => await firstValueFrom(n.runtime.verified$.pipe(filter(() => covered())))))
}

/** The `n`-th address of the simulated subnet: 10.0.0.n. */
export const hostOf = (n: number): string => `10.0.0.${n}`

/**
 * A transport whose listener holds incoming connections until `open()`:
 * a seed started first stays silent until the whole swarm is up, so every
 * leecher starts from the same point instead of the first ones finishing
 * before the last ones join.
 */
export function gatedTransport (inner: Transport): { transport: Transport, open: () => void } {
  let isOpen = false
  const held: Array<() => void> = []
  return {
    transport: {
      dial: async (address, options) => await inner.dial(address, options),
      listen: async (options, onConnection) => await inner.listen(options, (conn: Duplex) => {
        if (isOpen) onConnection(conn)
        else held.push(() => { onConnection(conn) })
      })
    },
    open: () => {
      isOpen = true
      while (held.length > 0) held.shift()?.()
    }
  }
}
