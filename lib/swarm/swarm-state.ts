/**
 * The swarm as one immutable value: every connection's facts (address,
 * peer id, choke and interest in both directions, piece count, byte
 * counters, times) plus swarm-level counters, changed only by
 * {@link reduceSwarm} over {@link SwarmEvent}s. Time arrives inside the
 * events; nothing here reads a clock.
 *
 * Per-block facts never pass through the reducer one by one: a connection
 * adds its bytes up and reports them as one `transfer` event at a time of
 * its choosing (per verified piece, before each read of the state).
 *
 * @example
 * let s = emptySwarm()
 * s = reduceSwarm(s, { type: 'peer-connected', key: '10.0.0.1:6881', outgoing: true, address: { host: '10.0.0.1', port: 6881 }, at: 0 })
 * s = reduceSwarm(s, { type: 'handshake', key: '10.0.0.1:6881', peerId: 'ab…', client: 'rxtorrent 0.1.0', at: 12 })
 * s.peers.get('10.0.0.1:6881')?.handshake // true
 */
import type { PeerAddress } from '../transport/types.js'
import { LayeredMap } from './layered-map.js'

/** Default number of closed connections kept in {@link SwarmState.recentlyClosed}. */
export const SWARM_CLOSED_HISTORY = 32

/** What the swarm knows of one open connection. */
export interface SwarmPeer {
  /** The connection's key (its address as `host:port`, or a generated name). */
  readonly key: string
  /** The remote end of the connection, when the transport knows it. */
  readonly address?: PeerAddress
  /** Where the peer accepts connections: the dialed address, or for an incoming peer its host with the BEP 10 `p` port. */
  readonly reachable?: PeerAddress
  /** We dialed this peer. */
  readonly outgoing: boolean
  /** When the connection was opened (before the handshake). */
  readonly openedAt: number
  /** The BitTorrent handshake completed and the peer was admitted. */
  readonly handshake: boolean
  /** The remote peer id as lowercase hex, once the handshake is done. */
  readonly peerId?: string
  /** The remote client's name and version (BEP 20), `'unknown'` before the handshake. */
  readonly client: string
  /** When the handshake completed (`openedAt` until then). */
  readonly connectedAt: number
  /** We choke the peer / are interested in it; the peer chokes us / is interested in us. */
  readonly amChoking: boolean
  readonly amInterested: boolean
  readonly peerChoking: boolean
  readonly peerInterested: boolean
  /** Pieces the peer announced. */
  readonly pieces: number
  /** The peer has every piece (have-all or a complete bitfield). */
  readonly seed: boolean
  /** The peer said it only uploads (BEP 21). */
  readonly uploadOnly: boolean
  /** Time of our last choked → unchoked transition for this peer. */
  readonly lastUnchokedAt?: number
  /** Time of the last block received (`connectedAt` until the first). */
  readonly lastBlockAt: number
  /** Payload bytes received from / sent to the peer, as reported so far. */
  readonly downloaded: number
  readonly uploaded: number
}

/** A connection that ended, kept for inspection. */
export interface ClosedPeer {
  readonly key: string
  readonly peerId?: string
  readonly client: string
  /** Why it ended: an error code, or `'closed'` for a normal end. */
  readonly reason: string
  readonly at: number
  readonly downloaded: number
  readonly uploaded: number
}

/** The whole swarm of one torrent. Never mutated: every change is a new value. */
export interface SwarmState {
  /** Open connections by key, in the order they were opened. */
  readonly peers: ReadonlyMap<string, SwarmPeer>
  /** Connections opened and closed since the start (`peers.size === opened - closed`). */
  readonly opened: number
  readonly closed: number
  /** Payload bytes reported by every connection, closed ones included. */
  readonly downloaded: number
  readonly uploaded: number
  /** The last closed connections, oldest first, at most `maxClosed`. */
  readonly recentlyClosed: readonly ClosedPeer[]
  /** Bound on `recentlyClosed`. */
  readonly maxClosed: number
}

/** Which side of a connection a choke or interest change is about. */
export type SwarmSide = 'am' | 'peer'

/**
 * Everything that changes the swarm state. Events about a key that is not
 * open are ignored (a late event of a closed connection changes nothing).
 */
export type SwarmEvent =
  /** A connection was opened; ignored when `key` is already open. */
  | { readonly type: 'peer-connected', readonly key: string, readonly outgoing: boolean, readonly address?: PeerAddress, readonly at: number }
  /** The handshake completed: the remote peer id (hex) and client name. */
  | { readonly type: 'handshake', readonly key: string, readonly peerId: string, readonly client: string, readonly at: number }
  /** The connection ended; the record moves to `recentlyClosed`. */
  | { readonly type: 'peer-closed', readonly key: string, readonly reason: string, readonly at: number }
  /** We (`am`) or the peer (`peer`) started or stopped choking; our unchoke sets `lastUnchokedAt`. */
  | { readonly type: 'choke-changed', readonly key: string, readonly side: SwarmSide, readonly choking: boolean, readonly at: number }
  /** We (`am`) or the peer (`peer`) became interested or not. */
  | { readonly type: 'interest-changed', readonly key: string, readonly side: SwarmSide, readonly interested: boolean }
  /** Summary of the peer's bitfield after a bitfield, have, have-all or don't-have. */
  | { readonly type: 'have-count', readonly key: string, readonly count: number, readonly seed: boolean }
  /** BEP 21 upload-only from the peer. */
  | { readonly type: 'upload-only', readonly key: string, readonly uploadOnly: boolean }
  /** The peer's reachable address became known (BEP 10 `p`). */
  | { readonly type: 'reachable', readonly key: string, readonly address: PeerAddress }
  /** Payload bytes moved since the last report; `at` is the time of the last block received when `down > 0`. */
  | { readonly type: 'transfer', readonly key: string, readonly down: number, readonly up: number, readonly at: number }

/**
 * An empty swarm.
 * @param options.maxClosed closed connections kept (default {@link SWARM_CLOSED_HISTORY}; negative or NaN counts as 0)
 * @throws nothing
 */
export function emptySwarm (options: { readonly maxClosed?: number } = {}): SwarmState {
  const max = options.maxClosed ?? SWARM_CLOSED_HISTORY
  return Object.freeze({
    peers: LayeredMap.empty<string, SwarmPeer>(),
    opened: 0,
    closed: 0,
    downloaded: 0,
    uploaded: 0,
    recentlyClosed: Object.freeze([]),
    maxClosed: max > 0 ? Math.floor(max) : 0
  })
}

/**
 * The state after `event`. Never mutates `state`: when something changes,
 * the result is a new state with a new peer map and a new record for the one
 * peer concerned (every other record is shared; the map shares its storage
 * with the previous one through lib/swarm/layered-map, so a change costs
 * far less than a copy of the map); when nothing changes
 * (unknown key, same value) `state` itself is returned, so `next === state`
 * means "no change". Counters never go negative: negative or NaN byte and
 * piece counts count as 0.
 * @throws nothing
 */
export function reduceSwarm (state: SwarmState, event: SwarmEvent): SwarmState {
  if (event.type === 'peer-connected') {
    if (state.peers.has(event.key)) return state
    const peer: SwarmPeer = {
      key: event.key,
      ...(event.address === undefined ? {} : { address: event.address }),
      ...(event.outgoing && event.address !== undefined ? { reachable: event.address } : {}),
      outgoing: event.outgoing,
      openedAt: event.at,
      handshake: false,
      client: 'unknown',
      connectedAt: event.at,
      amChoking: true,
      amInterested: false,
      peerChoking: true,
      peerInterested: false,
      pieces: 0,
      seed: false,
      uploadOnly: false,
      lastBlockAt: event.at,
      downloaded: 0,
      uploaded: 0
    }
    const peers = layered(state.peers).with(event.key, Object.freeze(peer))
    return Object.freeze({ ...state, peers, opened: state.opened + 1 })
  }
  const peer = state.peers.get(event.key)
  if (peer === undefined) return state
  if (event.type === 'peer-closed') return closePeer(state, peer, event.reason, event.at)
  if (event.type === 'transfer') {
    const down = count(event.down)
    const up = count(event.up)
    if (down === 0 && up === 0) return state
    const next = withPeer(state, peer, {
      downloaded: peer.downloaded + down,
      uploaded: peer.uploaded + up,
      ...(down > 0 && event.at > peer.lastBlockAt ? { lastBlockAt: event.at } : {})
    })
    return Object.freeze({ ...next, downloaded: state.downloaded + down, uploaded: state.uploaded + up })
  }
  return withPeer(state, peer, changes(peer, event))
}

/** The fields `event` changes in `peer` (possibly none). */
function changes (peer: SwarmPeer, event: SwarmEvent): Partial<SwarmPeer> {
  switch (event.type) {
    case 'handshake':
      return { handshake: true, peerId: event.peerId, client: event.client, connectedAt: event.at, lastBlockAt: event.at }
    case 'choke-changed':
      if (event.side === 'peer') return { peerChoking: event.choking }
      if (event.choking || !peer.amChoking) return { amChoking: event.choking }
      return { amChoking: false, lastUnchokedAt: event.at }
    case 'interest-changed':
      return event.side === 'am' ? { amInterested: event.interested } : { peerInterested: event.interested }
    case 'have-count':
      return { pieces: count(event.count), seed: event.seed }
    case 'upload-only':
      return { uploadOnly: event.uploadOnly }
    case 'reachable':
      return peer.reachable?.host === event.address.host && peer.reachable.port === event.address.port ? {} : { reachable: event.address }
    default:
      return {}
  }
}

/** `state` with `peer` replaced by `peer` plus `fields`; `state` itself when no field changes. */
function withPeer (state: SwarmState, peer: SwarmPeer, fields: Partial<SwarmPeer>): SwarmState {
  let changed = false
  for (const k in fields) {
    if (peer[k as keyof SwarmPeer] !== fields[k as keyof SwarmPeer]) { changed = true; break }
  }
  if (!changed) return state
  const peers = layered(state.peers).with(peer.key, Object.freeze({ ...peer, ...fields }))
  return Object.freeze({ ...state, peers })
}

function closePeer (state: SwarmState, peer: SwarmPeer, reason: string, at: number): SwarmState {
  const peers = layered(state.peers).without(peer.key)
  const entry: ClosedPeer = Object.freeze({
    key: peer.key,
    ...(peer.peerId === undefined ? {} : { peerId: peer.peerId }),
    client: peer.client,
    reason,
    at,
    downloaded: peer.downloaded,
    uploaded: peer.uploaded
  })
  const history = state.recentlyClosed
  const kept = history.length >= state.maxClosed ? history.slice(history.length - state.maxClosed + 1) : history
  const recentlyClosed = state.maxClosed === 0 ? history : Object.freeze([...kept, entry])
  return Object.freeze({ ...state, peers, closed: state.closed + 1, recentlyClosed })
}

/** The peer map as a {@link LayeredMap} (a state built by hand may hold a plain Map). */
function layered (peers: ReadonlyMap<string, SwarmPeer>): LayeredMap<string, SwarmPeer> {
  return peers instanceof LayeredMap ? peers as LayeredMap<string, SwarmPeer> : LayeredMap.of(peers)
}

function count (n: number): number {
  return n > 0 ? n : 0
}
