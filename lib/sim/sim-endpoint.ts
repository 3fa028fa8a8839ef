/**
 * A simulated peer's access link and the connections on it. The uplink
 * sends one connection's queued messages at a time, round robin over the
 * connections with something to send and room in their window, each
 * burst taking its bytes over the upload rate; it arrives after both
 * ends' latency and then waits its turn on the receiver's downlink (one
 * FIFO at the download rate). A connection's window bounds its bytes in
 * flight, as TCP's does, so a slow receiver holds its senders back.
 * Blocks are pulled from the engine when the uplink gets to a connection
 * whose peer has requests waiting (`serve`), as a socket writer pulls.
 */
import { PexInbox, PexState } from '../extensions/pex-state.js'
import type { PeerAddress } from '../transport/types.js'
import type { EventQueue } from './event-queue.js'
import { itemBytes, type SimItem } from './sim-items.js'

/** Default bytes a connection may have in flight each way. */
export const DEFAULT_WINDOW_BYTES = 256 * 1024
/** The uplink takes what is ready until it is busy this many bytes' time ahead. */
const QUANTUM_BYTES = 16 * 1024

/** One end of a connection, as one peer holds it. */
export class SimConn {
  /** Messages waiting for the uplink, in order. */
  queue: SimItem[] = []
  /** The engine has requests of the peer to serve: the uplink pulls a block when it gets here. */
  serve = false
  /** Bytes sent and not yet delivered. */
  inFlight = 0
  /** When the last message sent is delivered: a close reaches the peer after it. */
  lastArrival = 0
  /** The other end, once the peer accepted the connection. */
  remote: SimConn | undefined
  /** The engine admitted it (`peer-connecting`). */
  admitted = false
  /** Handshake done and `peer-open` stepped: messages flow. */
  open = false
  closed = false
  /** Counted as an incoming connection by the connect queue. */
  countedIncoming = false
  /** Closed by us for a newcomer of higher BEP 40 priority. */
  replaced = false
  /** In its owner's uplink round now. */
  listed = false
  /** BEP 11: what the peer was told, and what we accept from it. */
  readonly pexOut = new PexState()
  readonly pexIn = new PexInbox()

  /**
   * @param owner the peer holding this end
   * @param key the engine's key (`host:port` of the remote end)
   * @param peer the peer at the other end
   * @param remoteAddress the connection's remote end (`key` as an address)
   * @param reachable where the peer listens (dialed, or its extended handshake's `p`)
   * @param dialed the address we dialed, for an outgoing connection
   * @param haveAtStart pieces we held when it was made (whether it was useful)
   */
  constructor (readonly owner: SimEndpoint, readonly key: string, readonly peer: SimEndpoint, readonly remoteAddress: PeerAddress, readonly reachable: PeerAddress, readonly dialed: PeerAddress | undefined, readonly haveAtStart: number) {}
}

/** A link's figures: bytes per second (`Infinity`: unlimited) and one-way latency. */
export interface SimLinkSpec {
  readonly uploadRate: number
  readonly downloadRate: number
  readonly latencyMs: number
}

/** A peer on the simulated network: its link, its connections and its byte counts. */
export abstract class SimEndpoint {
  /** Live connections by key. */
  readonly conns = new Map<string, SimConn>()
  /** Block bytes other peers received from it, and it received (duplicates included). */
  uploaded = 0
  downloaded = 0
  /** Every byte sent and received. */
  wireUploaded = 0
  wireDownloaded = 0
  /** Connections with something to send, in turn (each at most once: `SimConn.listed`). */
  #ready: SimConn[] = []
  #readyAt = 0
  #upBusy = 0
  #upWaiting = false
  #downFree = 0

  constructor (readonly host: string, readonly port: number, readonly link: SimLinkSpec, protected readonly clock: EventQueue, readonly windowBytes: number) {}

  /** The next block for `conn` (a `piece` message), or undefined when the engine has none to serve. */
  protected abstract pull (conn: SimConn): SimItem | undefined
  /** Messages from the peer of `conn`, in order. */
  protected abstract receive (conn: SimConn, items: readonly SimItem[]): void

  /** A connection's messages may flow from now on (it joins the uplink's round). */
  protected activate (conn: SimConn): void { this.#list(conn) }

  /** A closed connection leaves the uplink's round (at its turn); what it had queued is dropped. */
  detach (conn: SimConn): void {
    conn.queue = []
    conn.serve = false
  }

  /** Queue messages on `conn` and wake the uplink. */
  send (conn: SimConn, items: readonly SimItem[]): void {
    if (conn.closed) return
    for (const m of items) conn.queue.push(m)
    this.#list(conn)
    this.pumpUp()
  }

  /** The peer of `conn` has requests waiting: the uplink pulls blocks for it in its turn. */
  serve (conn: SimConn): void {
    if (conn.closed) return
    conn.serve = true
    this.#list(conn)
    this.pumpUp()
  }

  /** Put `conn` in the uplink's round when it has something to send and room in its window. */
  #list (conn: SimConn): void {
    if (conn.listed || conn.closed || !conn.open || conn.inFlight >= this.windowBytes || (conn.queue.length === 0 && !conn.serve)) return
    conn.listed = true
    this.#ready.push(conn)
  }

  /**
   * Send what is ready, round robin, until the uplink is busy for a
   * quantum (the time 16 KiB takes) past now, as a socket buffer would take
   * it; then wait for the uplink to drain. Each burst's delivery time is
   * fixed when it leaves: after both latencies, then the receiver's
   * downlink, which serves bursts in the order they were sent.
   */
  pumpUp (): void {
    if (this.#upWaiting) return
    const clock = this.clock
    const now = clock.now
    const rate = this.link.uploadRate
    let t = this.#upBusy > now ? this.#upBusy : now
    const until = now + (rate === Infinity ? 0 : QUANTUM_BYTES * 1000 / rate)
    while (t <= until) {
      const conn = this.#nextReady()
      if (conn === undefined) break
      const items = this.#burst(conn)
      if (items.length === 0) continue
      let bytes = 0
      for (const m of items) bytes += itemBytes(m)
      this.wireUploaded += bytes
      if (rate !== Infinity) t += bytes * 1000 / rate
      const peer = conn.peer
      const at = peer.#downlink(t + this.link.latencyMs + peer.link.latencyMs, bytes)
      conn.inFlight += bytes
      if (at > conn.lastArrival) conn.lastArrival = at
      const remote = conn.remote
      clock.at(at, () => { peer.#deliver(remote, conn, items, bytes) })
      this.#list(conn)
    }
    this.#upBusy = t
    if (t > now) {
      this.#upWaiting = true
      clock.at(t, () => { this.#upWaiting = false; this.pumpUp() })
    }
  }

  /** When `bytes` arriving at `at` have crossed our downlink (FIFO in the order sent). */
  #downlink (at: number, bytes: number): number {
    const rate = this.link.downloadRate
    if (rate === Infinity) return at
    const start = this.#downFree > at ? this.#downFree : at
    this.#downFree = start + bytes * 1000 / rate
    return this.#downFree
  }

  /** What `conn` sends now: everything queued, and one block if its peer waits for one. */
  #burst (conn: SimConn): SimItem[] {
    let items = conn.queue
    conn.queue = []
    if (!conn.serve) return items
    const block = this.pull(conn)
    if (block === undefined) conn.serve = false
    // Pulling may queue messages (rejects) ahead of the block.
    if (conn.queue.length > 0) { items = items.concat(conn.queue); conn.queue = [] }
    if (block !== undefined) items.push(block)
    return items
  }

  /** The next connection in turn; it goes to the back of the round if it still has work after its burst. */
  #nextReady (): SimConn | undefined {
    const r = this.#ready
    while (this.#readyAt < r.length) {
      const c = r[this.#readyAt++] as SimConn
      c.listed = false
      if (!c.closed && (c.queue.length > 0 || c.serve) && c.inFlight < this.windowBytes) {
        // A busy uplink never empties its round: drop the turns taken once they are most of it.
        if (this.#readyAt > 1024 && this.#readyAt * 2 > r.length) {
          this.#ready = r.slice(this.#readyAt)
          this.#readyAt = 0
        }
        return c
      }
    }
    this.#ready = []
    this.#readyAt = 0
    return undefined
  }

  #deliver (to: SimConn | undefined, from: SimConn, items: readonly SimItem[], bytes: number): void {
    from.inFlight -= bytes
    this.wireDownloaded += bytes
    for (const m of items) {
      if (m.type !== 'piece') continue
      this.downloaded += m.block.length
      from.owner.uploaded += m.block.length
    }
    if (to !== undefined && to.open && !to.closed) this.receive(to, items)
    // Room in the sender's window.
    from.owner.#list(from)
    from.owner.pumpUp()
  }
}
