/**
 * A whole swarm on the torrent engine alone: every peer is an
 * {@link EngineNode} (the engine's `step`, its strategies and the
 * connection rules of lib/swarm), linked by simulated access links, on one
 * virtual clock ({@link EventQueue}). Nothing is awaited and no byte of
 * payload exists: a run is a loop over timed actions, so the same options
 * give the same result, and a swarm of a hundred peers runs in seconds.
 */
import type { PieceGeometry } from '../pieces/geometry.js'
import { EngineNode, type EngineNodeSpec } from './engine-node.js'
import { EventQueue } from './event-queue.js'
import { wireNode } from './sim-connect.js'
import { DEFAULT_WINDOW_BYTES } from './sim-endpoint.js'

/** One peer of an {@link EngineSwarm}: its engine and link, and when it joins and leaves. */
export interface EngineSwarmPeer extends EngineNodeSpec {
  /** Virtual ms at which it joins; default 0. */
  readonly joinAtMs?: number
  /** Virtual ms at which it leaves; default never. */
  readonly leaveAtMs?: number
  /** Leaves as soon as this holds, checked at the end of every virtual instant. */
  readonly leaveWhen?: () => boolean
}

/** Options of {@link EngineSwarm}. */
export interface EngineSwarmOptions {
  readonly geometry: PieceGeometry
  readonly infoHash: Uint8Array
  /** SHA-1, for the BEP 6 allowed-fast set; without it none is offered. */
  readonly digest?: (data: Uint8Array) => Uint8Array
  /** Bytes a connection may have in flight each way; default 256 KiB. */
  readonly windowBytes?: number
  /** How many online peers a joining peer is told of (a tracker's answer). */
  readonly trackerPeers: number
  /** Which ones: the swarm's tracker randomness. */
  readonly trackerRandom: () => number
  readonly peers: readonly EngineSwarmPeer[]
  /** A warning of a peer's engine. */
  readonly onWarning?: (node: EngineNode, message: string, peer: string | undefined, error: Error | undefined) => void
}

/** How a {@link EngineSwarm.run} slice ended. */
export type EngineSwarmRun = 'done' | 'time' | 'more' | 'aborted'

/** Up to `n` of `from`, drawn without replacement with `random`, in the order drawn (a simulated tracker's answer). */
export function draw<T> (from: readonly T[], n: number, random: () => number): T[] {
  const pool = [...from]
  const out: T[] = []
  while (out.length < n && pool.length > 0) {
    const i = Math.floor(random() * pool.length)
    out.push(pool[i] as T)
    pool[i] = pool[pool.length - 1] as T
    pool.pop()
  }
  return out
}

/** A simulated swarm run on the engine: build it, `start()`, then `run()` until it says `done` or `time`. */
export class EngineSwarm {
  readonly clock = new EventQueue()
  readonly nodes: readonly EngineNode[]
  readonly #options: EngineSwarmOptions
  readonly #byHost = new Map<string, EngineNode>()
  readonly #specs = new Map<EngineNode, EngineSwarmPeer>()
  #pendingJoins = 0
  /** Leechers neither complete nor gone. */
  #unfinished: number
  #started = false

  constructor (options: EngineSwarmOptions) {
    this.#options = options
    const env = {
      clock: this.clock,
      geometry: options.geometry,
      infoHash: options.infoHash,
      windowBytes: options.windowBytes ?? DEFAULT_WINDOW_BYTES,
      nodeAt: (host: string) => this.#byHost.get(host),
      onDone: (node: EngineNode) => { if (node.spec.role === 'leecher') this.#unfinished-- },
      onWarning: (node: EngineNode, message: string, peer: string | undefined, error: Error | undefined) => { options.onWarning?.(node, message, peer, error) },
      ...(options.digest === undefined ? {} : { digest: options.digest })
    }
    this.#unfinished = options.peers.filter((p) => p.role === 'leecher').length
    this.nodes = options.peers.map((p) => {
      const node = new EngineNode(p, env)
      wireNode(node)
      this.#byHost.set(node.host, node)
      this.#specs.set(node, p)
      return node
    })
  }

  /** Schedule every join and leave: the seeds present from the start first, then the leechers, then the later ones. */
  start (): void {
    if (this.#started) return
    this.#started = true
    const at0 = this.nodes.filter((n) => (this.#spec(n).joinAtMs ?? 0) <= 0)
    for (const n of [...at0.filter((m) => m.spec.role === 'seed'), ...at0.filter((m) => m.spec.role === 'leecher')]) this.#joinAt(n, 0)
    for (const n of this.nodes) if ((this.#spec(n).joinAtMs ?? 0) > 0) this.#joinAt(n, this.#spec(n).joinAtMs ?? 0)
    for (const n of this.nodes) {
      const leave = this.#spec(n).leaveAtMs
      if (leave !== undefined) this.clock.at(leave, () => { this.leave(n) })
    }
  }

  /** Every leecher completed or left, and none is still to join. */
  get done (): boolean {
    return this.#pendingJoins === 0 && this.#unfinished === 0
  }

  /**
   * Run up to `budget` actions, no later than `timeLimitMs`. `done` when
   * every leecher is done, `time` at the limit (the clock is then at the
   * limit), `aborted` when `aborted()` held at the end of an instant, `more`
   * when the budget ran out first.
   */
  run (timeLimitMs: number, budget: number, aborted: () => boolean = () => false): EngineSwarmRun {
    this.start()
    let why: EngineSwarmRun = 'more'
    const watched = this.nodes.filter((n) => this.#spec(n).leaveWhen !== undefined)
    let finished = this.done
    if (finished) return 'done'
    const stopped = this.clock.runUntil(timeLimitMs, budget, () => {
      if (aborted()) { why = 'aborted'; return true }
      for (const n of watched) if (n.online && this.#spec(n).leaveWhen?.() === true) this.leave(n)
      finished = this.done
      if (finished) why = 'done'
      return finished
    })
    if (stopped) return why
    if (this.clock.nextAt > timeLimitMs) {
      this.clock.advanceTo(timeLimitMs)
      return this.done ? 'done' : 'time'
    }
    return 'more'
  }

  /** Stop a peer now (or before it joins). */
  leave (node: EngineNode): void {
    node.leave()
  }

  /** Stop every peer (the end of the run). */
  stopAll (): void {
    for (const n of this.nodes) this.leave(n)
  }

  #spec (n: EngineNode): EngineSwarmPeer { return this.#specs.get(n) as EngineSwarmPeer }

  #joinAt (n: EngineNode, at: number): void {
    this.#pendingJoins++
    this.clock.at(at, () => {
      this.#pendingJoins--
      const online = this.nodes.filter((m) => m !== n && m.online)
      const known = draw(online, this.#options.trackerPeers, this.#options.trackerRandom).map((m) => m.address)
      n.join(known)
    })
  }
}
