/**
 * How simulated peers find and keep each other: dials from each node's
 * connect queue (lib/swarm/connect-queue: limits, half-open budget,
 * backoff, BEP 40 order), the responder's admission (the engine's
 * `peer-connecting` and `peer-handshaken`, then the connection limit with
 * BEP 40 replacement, lib/swarm/connection-limit) and closes (the engine
 * told, the dial outcome reported to the queue, the peer told once what was
 * in flight has reached it).
 *
 * Timing: a dial connects after one round trip (SYN, SYN-ACK), the
 * responder decides when the handshake reaches it (one way later), and the
 * dialer opens when the answer reaches it (one more way); a refusal reaches
 * the dialer as a hang-up at that time.
 */
import { RxTorrentError } from '../errors.js'
import { connectionLimitDecision, connectionLimitError, replacedByPriorityError } from '../swarm/connection-limit.js'
import { closeHold, closeReason, dialVetoed } from '../swarm/dial-rules.js'
import { isConnectedAt } from '../swarm/swarm-selectors.js'
import { formatAddress, type PeerAddress } from '../transport/types.js'
import type { EngineNode } from './engine-node.js'
import { SimConn } from './sim-endpoint.js'


const oneWay = (a: EngineNode, b: EngineNode): number => a.link.latencyMs + b.link.latencyMs

/** Connect a node's hooks: closes and learnt addresses go through this module. */
export function wireNode (node: EngineNode): void {
  node.closeConn = (conn, error) => { closeConn(node, conn, error) }
  node.onNewPeers = () => { pumpDials(node) }
}

/** Dial what the node's queue says is due, and arm a timer for the next address that will be. */
export function pumpDials (node: EngineNode): void {
  if (!node.online || node.state.stopped !== undefined) return
  const clock = node.env.clock
  const now = clock.now
  const blocked = (key: string): boolean => dialVetoed(key, {
    isBanned: (k) => node.state.bans.has(k),
    listen: node.address,
    isConnectedAt: (k) => isConnectedAt(node.state.swarm, k)
  })
  for (const a of node.queue.due(now, blocked, node.priority)) dial(node, a)
  const next = node.queue.nextRetryAt()
  if (next !== undefined && next > now && next < node.dialTimerAt) {
    node.dialTimerAt = next
    clock.at(next, () => {
      if (node.dialTimerAt === next) node.dialTimerAt = Infinity
      pumpDials(node)
    })
  }
}

function dial (node: EngineNode, address: PeerAddress): void {
  const clock = node.env.clock
  const target = node.env.nodeAt(address.host)
  const rtt = 2 * (node.link.latencyMs + (target?.link.latencyMs ?? 0))
  clock.after(rtt, () => {
    if (!node.online) return
    if (target === undefined || !target.listening || target.port !== address.port) {
      node.env.onWarning(node, `cannot connect to ${formatAddress(address)}: connection refused`, formatAddress(address), undefined)
      node.queue.failed(address, clock.now)
      pumpDials(node)
      return
    }
    node.queue.connected(address)
    const key = formatAddress(address)
    const conn = new SimConn(node, key, target, address, address, address, node.state.have.count)
    const refused = node.input({ type: 'peer-connecting', peer: key, outgoing: true, address }).refused
    if (refused !== undefined) { outcome(node, conn, refused); return }
    conn.admitted = true
    node.conns.set(key, conn)
    const port = node.nextPort++
    clock.after(oneWay(node, target), () => { accept(target, node, conn, port) })
  })
}

/** The handshake of `from`'s connection `iConn` reached `node`: admit, refuse, or replace a peer for it. */
function accept (node: EngineNode, from: EngineNode, iConn: SimConn, port: number): void {
  const clock = node.env.clock
  const hangUp = (): void => {
    clock.after(oneWay(node, from), () => {
      closeConn(from, iConn, new RxTorrentError('truncated-handshake', 'connection ended during the handshake', { disposition: 'ignore' }))
    })
  }
  if (iConn.closed) return
  if (!node.listening) { hangUp(); return }
  const address = { host: from.host, port }
  const key = formatAddress(address)
  if (node.conns.has(key)) { hangUp(); return }
  const refused = node.input({ type: 'peer-connecting', peer: key, outgoing: false, address }).refused
  if (refused !== undefined) { hangUp(); return }
  const conn = new SimConn(node, key, from, address, from.address, undefined, node.state.have.count)
  conn.admitted = true
  node.conns.set(key, conn)
  if (!node.handshaken(conn, from) || !admit(node, conn, address)) {
    if (!conn.closed) closeConn(node, conn, connectionLimitError(node.maxConnections))
    hangUp()
    return
  }
  conn.remote = iConn
  iConn.remote = conn
  // Our handshake reaches the dialer one way later: it opens then, before anything we send now arrives.
  clock.after(oneWay(node, from), () => {
    if (iConn.closed) return
    if (from.handshaken(iConn, node)) from.open(iConn, node)
  })
  node.open(conn, from)
}

/** The connection limit for an incoming connection, replacing a peer of lower BEP 40 priority when full. */
function admit (node: EngineNode, conn: SimConn, newcomer: PeerAddress): boolean {
  const used = node.queue.connectedCount + node.queue.dialing
  if (used >= node.maxConnections) {
    const now = node.env.clock.now
    const peers = [...node.conns.values()].filter((c) => c !== conn && !c.closed && c.open).map((c) => {
      const p = node.state.peers.get(c.key)
      return { key: c.key, address: c.remoteAddress, downloadRate: p?.downRate.rate(now) ?? 0, seed: p?.session?.peerHas.complete === true || node.state.swarm.peers.get(c.key)?.uploadOnly === true }
    })
    const d = connectionLimitDecision({ self: node.address, newcomer, peers, used, limit: node.maxConnections, seeding: node.state.completed, priority: node.priority })
    if (d === 'refuse' || d === 'accept') return d === 'accept'
    const victim = node.conns.get(d.replace)
    if (victim === undefined) return false
    // Counted first: the slot the victim frees is the newcomer's, not a dial's.
    node.queue.incoming()
    conn.countedIncoming = true
    victim.replaced = true
    closeConn(node, victim, replacedByPriorityError(newcomer))
    return true
  }
  node.queue.incoming()
  conn.countedIncoming = true
  return true
}

/**
 * Close `conn` at `node`: the engine hears `peer-closed` and `peer-released`
 * (nothing is unfinished: a completed piece is verified at once), the
 * connect queue the outcome, and the peer the close once what we sent has
 * reached it.
 */
export function closeConn (node: EngineNode, conn: SimConn, error?: Error): void {
  if (conn.closed) return
  conn.closed = true
  if (node.conns.get(conn.key) === conn) node.conns.delete(conn.key)
  node.detach(conn)
  const quiet = node.leaving
  if (conn.admitted) {
    node.input({ type: 'peer-closed', peer: conn.key, ...(error === undefined || quiet ? {} : { error }) })
    node.input({ type: 'peer-released', peer: conn.key, unfinished: [], held: (i, b) => node.held(i, b) })
  }
  outcome(node, conn, error)
  const remote = conn.remote
  if (remote !== undefined && !remote.closed) {
    const peer = conn.peer as EngineNode
    const clock = node.env.clock
    clock.at(Math.max(clock.now + oneWay(node, peer), conn.lastArrival), () => { closeConn(peer, remote) })
  }
  if (!quiet) pumpDials(node)
}

/** Report how a connection ended to the connect queue (as the pipelines' dialer does). */
function outcome (node: EngineNode, conn: SimConn, error: Error | undefined): void {
  const now = node.env.clock.now
  if (conn.dialed === undefined) {
    if (conn.countedIncoming) { conn.countedIncoming = false; node.queue.incomingClosed() }
    return
  }
  const hold = closeHold(closeReason(error), conn.replaced)
  const banned = node.state.bans.has(conn.key) || node.state.bans.has(conn.peer.host)
  node.queue.closed(conn.dialed, now, { useful: node.state.have.count > conn.haveAtStart, retry: !banned && !node.state.completed, ...(hold === undefined ? {} : { hold }) })
}
