/**
 * One peer of a simulated swarm, run by the torrent engine itself
 * (`step`, lib/torrent) with no I/O: its inputs come from the simulated
 * links and timers, its effects become messages on them. What the
 * pipelines do around the engine is done here in the simplest way that
 * keeps the engine's view the same: a connection's messages go through its
 * `PeerSession` and the engine as a batch, blocks are assembled by
 * reference, a completed piece is verified at once (the data is not
 * simulated, only its arrival), early choke rounds are spaced as the
 * runtime spaces them, and dials and admission use the same connect queue
 * and BEP 40 rules (./sim-connect.ts).
 */
import { BEP3, LIMITS } from '../constants.js'
import { pexPeers } from '../swarm/swarm-selectors.js'
import { ConnectQueue } from '../swarm/connect-queue.js'
import { priorityOrLowest } from '../swarm/connection-limit.js'
import { blockCount, type PieceGeometry } from '../pieces/geometry.js'
import type { PiecePicker } from '../pieces/piece-picker.js'
import { EarlyRoundPacer } from '../torrent/early-rounds.js'
import { createTorrentState, type TorrentState, type TorrentStrategies } from '../torrent/state.js'
import { step } from '../torrent/step.js'
import type { TorrentEffect, TorrentInput, TorrentStep } from '../torrent/types.js'
import { decodeUploadOnly } from '../extensions/upload-only.js'
import { PEX_LIMITS, type PexMessage } from '../extensions/ut-pex.js'
import type { PeerAddress } from '../transport/types.js'
import type { EventQueue } from './event-queue.js'
import { SimConn, SimEndpoint, type SimLinkSpec } from './sim-endpoint.js'
import { EXTENDED_HANDSHAKE_BYTES, HANDSHAKE_BYTES, type SimItem } from './sim-items.js'

/** Regular choke rounds, request expiry checks, PEX looks: the pipelines' periods. */
const CHOKE_ROUND_MS = 10_000
const EXPIRY_MS = 5000
const PEX_FIRST_MS = 2000
const PEX_LOOK_MS = 5000

/** One simulated peer as the swarm builds it. */
export interface EngineNodeSpec {
  readonly name: string
  readonly role: 'seed' | 'leecher'
  readonly host: string
  readonly port: number
  readonly peerId: Uint8Array
  /** The engine's randomness (optimistic unchokes, seeding modes). */
  readonly random: () => number
  /** Default rarest-first on the engine's randomness. */
  readonly picker?: PiecePicker
  readonly strategies: Partial<TorrentStrategies>
  readonly uploadSlots?: number
  readonly requestQueueDepth?: number
  readonly link: SimLinkSpec
  /** BEP 11 peer exchange. */
  readonly pex: boolean
  /** Connections at most (default 50). */
  readonly maxConnections?: number
}

/** What a node needs from its swarm. */
export interface EngineNodeEnv {
  readonly clock: EventQueue
  readonly geometry: PieceGeometry
  readonly infoHash: Uint8Array
  /** SHA-1, for the BEP 6 allowed-fast set. */
  readonly digest?: (data: Uint8Array) => Uint8Array
  readonly windowBytes: number
  /** The node listening at `host`, if any. */
  readonly nodeAt: (host: string) => EngineNode | undefined
  /** A warning of the node's engine. */
  readonly onWarning: (node: EngineNode, message: string, peer: string | undefined, error: Error | undefined) => void
  /** The node completed or left (called once, at the first of the two). */
  readonly onDone?: (node: EngineNode) => void
}

/**
 * The bytes of a `ut_pex` message (BEP 11) of IPv4 peers: 6 per peer added
 * and a flag byte each, 6 per peer dropped, and the dictionary's keys.
 */
function pexBytes (m: PexMessage): number {
  return 40 + 7 * m.added.length + 6 * m.dropped.length
}

/** A piece being gathered: which of its blocks arrived. */
interface Gathering { readonly blocks: Uint8Array, count: number }

/** A peer of the simulated swarm, running the engine. */
export class EngineNode extends SimEndpoint {
  readonly state: TorrentState
  readonly queue: ConnectQueue
  readonly maxConnections: number
  joinedAt: number | undefined
  completedAt: number | undefined
  leftAt: number | undefined
  listening = false
  error: Error | undefined
  /** The next ephemeral port of its outgoing connections. */
  nextPort = 40_000
  /** Set while closing everything at leave: nothing is blamed or reported. */
  leaving = false
  /** When the dial timer fires next (`Infinity`: none armed). */
  dialTimerAt = Infinity
  /** BEP 40 priorities against our address, by address object (the queue and connections keep theirs). */
  readonly #priorities = new WeakMap<PeerAddress, number>()
  /** The BEP 40 priority of `a` against our address. */
  readonly priority = (a: PeerAddress): number => {
    let p = this.#priorities.get(a)
    if (p === undefined) { p = priorityOrLowest(this.address, a); this.#priorities.set(a, p) }
    return p
  }
  #depth = 0
  /** Early choke rounds, paced as the runtime paces them. */
  readonly #early = new EarlyRoundPacer({
    now: () => this.clock.now,
    later: (ms, fn) => { this.clock.after(ms, fn) },
    run: () => { if (this.online) this.input({ type: 'choke-round', early: true }) }
  })
  #cancelled = false
  #settled = false
  readonly #gathering = new Map<number, Gathering>()
  #verify: Array<{ index: number, from: string }> = []
  readonly #blocks = new Map<number, Uint8Array>()

  constructor (readonly spec: EngineNodeSpec, readonly env: EngineNodeEnv) {
    super(spec.host, spec.port, spec.link, env.clock, env.windowBytes)
    this.address = { host: spec.host, port: spec.port }
    this.state = createTorrentState({
      geometry: env.geometry,
      infoHash: env.infoHash,
      peerId: spec.peerId,
      random: spec.random,
      strategies: spec.strategies,
      ...(spec.picker === undefined ? {} : { picker: spec.picker }),
      ...(spec.uploadSlots === undefined ? {} : { uploadSlots: spec.uploadSlots }),
      ...(spec.requestQueueDepth === undefined ? {} : { requestQueueDepth: spec.requestQueueDepth }),
      ...(env.digest === undefined ? {} : { digest: env.digest })
    })
    this.maxConnections = spec.maxConnections ?? 50
    this.queue = new ConnectQueue({ maxConnections: this.maxConnections })
  }

  get name (): string { return this.spec.name }
  get online (): boolean { return this.joinedAt !== undefined && this.leftAt === undefined }
  /** Where it listens. */
  readonly address: PeerAddress

  /** Step the engine with one input and carry out its effects; an early round asked for runs after it. */
  input (input: TorrentInput): TorrentStep<TorrentState> {
    this.#depth++
    let r: TorrentStep<TorrentState>
    try {
      r = step(this.state, input, { now: this.clock.now, random: this.spec.random })
      for (const e of r.effects) this.#effect(e)
    } finally {
      this.#depth--
    }
    if (this.#depth === 0) this.#early.settle()
    return r
  }

  /** Join at the current time: the data is checked (a seed has it all), timers start, `known` is dialed. */
  join (known: readonly PeerAddress[]): void {
    const now = this.clock.now
    if (this.#cancelled) { this.leftAt = now; this.#done(); return }
    this.joinedAt = now
    this.listening = true
    if (this.spec.role === 'seed') {
      for (let i = 0; i < this.env.geometry.pieceCount; i++) this.state.planner.pieceVerified(i)
      this.completedAt = now
      this.#done()
    }
    this.input({ type: 'checked' })
    this.#every(0, CHOKE_ROUND_MS, () => { this.input({ type: 'choke-round', early: false }) })
    this.#every(EXPIRY_MS, EXPIRY_MS, () => { this.input({ type: 'request-expiry' }) })
    for (const a of known) this.queue.add(a, 'tracker', now)
    this.onNewPeers()
  }

  /** Leave now: every connection closes; a peer yet to join never will. */
  leave (): void {
    if (this.joinedAt === undefined) { this.#cancelled = true; return }
    if (this.leftAt !== undefined) return
    this.leftAt = this.clock.now
    this.#done()
    this.listening = false
    this.leaving = true
    for (const c of [...this.conns.values()]) this.closeConn(c)
  }

  /** Hook set by the swarm: how a connection is closed (engine inputs, connect queue, the peer told). */
  closeConn: (conn: SimConn, error?: Error) => void = () => {}

  /**
   * The handshake with `other` is done: the engine admits the connection or
   * refuses it (duplicate peer id, peer filter), then closed.
   */
  handshaken (conn: SimConn, other: EngineNode): boolean {
    const r = this.input({ type: 'peer-handshaken', peer: conn.key, peerId: other.spec.peerId, fast: true, extended: true })
    if (r.refused === undefined) return true
    this.closeConn(conn, r.refused)
    return false
  }

  /** The connection opens: our opening messages go, the peer's extended handshake is taken, PEX starts. */
  open (conn: SimConn, other: EngineNode): void {
    conn.open = true
    this.activate(conn)
    const sent = HANDSHAKE_BYTES + EXTENDED_HANDSHAKE_BYTES
    this.wireUploaded += sent
    other.wireDownloaded += sent
    this.input({ type: 'peer-open', peer: conn.key })
    this.input({ type: 'extension', peer: conn.key, event: { type: 'reachable', address: conn.reachable } })
    this.input({ type: 'extension', peer: conn.key, event: { type: 'request-limit', reqq: LIMITS.maxIncomingRequests } })
    // Its extended handshake says upload_only when it is complete (BEP 21).
    if (other.state.completed) this.input({ type: 'extension', peer: conn.key, event: { type: 'upload-only', uploadOnly: true } })
    if (conn.closed) return
    this.input({ type: 'peer-ready', peer: conn.key })
    if (this.spec.pex && !conn.closed) this.#pexTicks(conn)
  }

  protected pull (conn: SimConn): SimItem | undefined {
    const ref = this.input({ type: 'upload-next', peer: conn.key }).serve
    if (ref === undefined) return undefined
    return { type: 'piece', index: ref.index, begin: ref.begin, block: this.#block(ref.length) }
  }

  protected receive (conn: SimConn, items: readonly SimItem[]): void {
    const session = this.state.peers.get(conn.key)?.session
    if (session === undefined) return
    const now = this.clock.now
    try {
      for (const m of items) {
        if (conn.closed) return
        if (m.type === 'sim-pex') { this.#pexIn(conn, m.message); continue }
        if (m.type === 'sim-upload-only') { this.input({ type: 'extension', peer: conn.key, event: { type: 'upload-only', uploadOnly: m.uploadOnly } }); continue }
        for (const ev of session.handle(m, now)) {
          if (ev.type !== 'block') { this.input({ type: 'peer-event', peer: conn.key, event: ev }); continue }
          const ref = { index: ev.index, begin: ev.begin, length: ev.block.length }
          if (this.input({ type: 'block', peer: conn.key, ref }).accepted === true) this.#gather(ev.index, ev.begin, conn.key)
          else this.input({ type: 'peer-event', peer: conn.key, event: { type: 'unwanted-block', ...ref } })
        }
      }
    } catch (err) {
      this.closeConn(conn, err instanceof Error ? err : new Error(String(err)))
      return
    }
    if (conn.closed) return
    this.input({ type: 'batch-end', peer: conn.key })
    const done = this.#verify
    this.#verify = []
    for (const v of done) this.input({ type: 'piece-verified', index: v.index, ok: true, from: v.from })
  }

  /** Whether a block of an unfinished piece is held (the engine's `peer-released`). */
  held (index: number, begin: number): boolean {
    return this.#gathering.get(index)?.blocks[begin / BEP3.BLOCK_SIZE] === 1
  }

  #gather (index: number, begin: number, from: string): void {
    let g = this.#gathering.get(index)
    if (g === undefined) {
      g = { blocks: new Uint8Array(blockCount(this.env.geometry, index)), count: 0 }
      this.#gathering.set(index, g)
    }
    const b = begin / BEP3.BLOCK_SIZE
    if (g.blocks[b] === 1) return
    g.blocks[b] = 1
    if (++g.count < g.blocks.length) return
    this.#gathering.delete(index)
    this.#verify.push({ index, from })
  }

  /** A block's stand-in: its length is all the session checks. */
  #block (length: number): Uint8Array {
    let b = this.#blocks.get(length)
    if (b === undefined) { b = new Uint8Array(length); this.#blocks.set(length, b) }
    return b
  }

  #effect (e: TorrentEffect): void {
    switch (e.type) {
      case 'send': { const c = this.conns.get(e.peer); if (c !== undefined) this.send(c, e.messages); return }
      case 'send-extension': {
        const c = this.conns.get(e.peer)
        if (c !== undefined && e.name === 'upload_only') this.send(c, [{ type: 'sim-upload-only', uploadOnly: decodeUploadOnly(e.payload) }])
        return
      }
      case 'serve': { const c = this.conns.get(e.peer); if (c !== undefined) this.serve(c); return }
      case 'close': { const c = this.conns.get(e.peer); if (c !== undefined) this.closeConn(c, e.error); return }
      case 'ban': return
      case 'warning': this.env.onWarning(this, e.message, e.peer, e.error); return
      case 'early-choke-round': this.#early.ask(); return
      case 'verified': return
      case 'complete': this.completedAt ??= this.clock.now; this.#done(); return
      case 'stop': this.error ??= e.error; this.leave()
    }
  }

  #done (): void {
    if (this.#settled) return
    this.#settled = true
    this.env.onDone?.(this)
  }

  /** Run `fn` after `first` ms and then every `period` ms while the node is online. */
  #every (first: number, period: number, fn: () => void): void {
    const tick = (): void => {
      if (!this.online || this.state.stopped !== undefined) return
      fn()
      this.clock.after(period, tick)
    }
    if (first === 0) tick()
    else this.clock.after(first, tick)
  }

  /** BEP 11: look every few seconds; the PEX state sends at most once a minute, the first time at once. */
  #pexTicks (conn: SimConn): void {
    let sentAt = -Infinity
    const tick = (): void => {
      if (conn.closed || !this.online) return
      const now = this.clock.now
      // The PEX state sends at most once per interval: no need to list the peers before.
      if (now - sentAt >= PEX_LIMITS.intervalMs) {
        const itself = conn.reachable
        const current = pexPeers(this.state.swarm).filter((p) => p.host !== itself.host || p.port !== itself.port)
        const message = conn.pexOut.diff(current, now)
        if (message !== undefined) {
          sentAt = now
          this.send(conn, [{ type: 'sim-pex', message, bytes: pexBytes(message) }])
        }
      }
      this.clock.after(PEX_LOOK_MS, tick)
    }
    this.clock.after(PEX_FIRST_MS, tick)
  }

  /** Peers a connection told us of: dialed as PEX peers. */
  #pexIn (conn: SimConn, message: PexMessage): void {
    const now = this.clock.now
    let fresh = false
    for (const p of conn.pexIn.accept(now, message, [this.address])) fresh = this.queue.add({ host: p.host, port: p.port }, 'pex', now) || fresh
    if (fresh) this.onNewPeers()
  }

  /** Hook set by the swarm: addresses were learnt (they are dialed when due). */
  onNewPeers: () => void = () => {}
}
