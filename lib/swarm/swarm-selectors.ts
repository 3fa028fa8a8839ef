/**
 * Pure readers of a {@link SwarmState}: what the choker, PEX and duplicate
 * detection see of the swarm. Each is a function of the state (plus, for the
 * choker, the current time and the live rates a connection measures).
 */
import type { ChokePeer } from '../choke/types.js'
import { formatAddress } from '../transport/types.js'
import type { SwarmPeer, SwarmState } from './swarm-state.js'

/** A peer stays "snubbed" after this long without a block while we wait on requests. */
export const SNUB_AFTER_MS = 60_000

/** What a connection measures itself, beside the reduced state: rates and whether requests are outstanding. */
export interface PeerMeasures {
  /** Bytes per second from / to the peer. */
  readonly downloadRate: number
  readonly uploadRate: number
  /** Some of our requests to the peer are unanswered. */
  readonly awaitingBlocks: boolean
}

/**
 * Connections past the handshake, in the order they were opened.
 * @throws nothing
 */
export function admittedPeers (state: SwarmState): SwarmPeer[] {
  const out: SwarmPeer[] = []
  for (const p of state.peers.values()) if (p.handshake) out.push(p)
  return out
}

/**
 * The choker's snapshot (lib/choke `ChokePeer`) of every admitted peer.
 * Snubbed: we are interested, wait on requests, and got no block for
 * {@link SNUB_AFTER_MS}. A peer `measures` knows nothing of is left out.
 * @throws nothing (whatever `measures` throws)
 * @see BEP 3 (choking)
 */
export function chokePeers (state: SwarmState, now: number, measures: (key: string) => PeerMeasures | undefined): ChokePeer[] {
  const out: ChokePeer[] = []
  for (const p of state.peers.values()) {
    if (!p.handshake) continue
    const m = measures(p.key)
    if (m === undefined) continue
    out.push({
      id: p.key,
      interested: p.peerInterested,
      choked: p.amChoking,
      downloadRate: m.downloadRate,
      uploadRate: m.uploadRate,
      snubbed: p.amInterested && m.awaitingBlocks && now - p.lastBlockAt > SNUB_AFTER_MS,
      connectedAt: p.connectedAt,
      ...(p.lastUnchokedAt === undefined ? {} : { lastUnchokedAt: p.lastUnchokedAt })
    })
  }
  return out
}

/** A peer as BEP 11 describes it. */
export interface SwarmPexPeer {
  readonly host: string
  readonly port: number
  /** BEP 11 flags: 0x02 seed or upload-only, 0x10 we dialed it (reachable). */
  readonly flags: number
}

/**
 * Admitted peers with a reachable address, as BEP 11 describes them.
 * @throws nothing
 * @see BEP 11
 */
export function pexPeers (state: SwarmState): SwarmPexPeer[] {
  const out: SwarmPexPeer[] = []
  for (const p of state.peers.values()) {
    const a = p.reachable
    if (!p.handshake || a === undefined) continue
    out.push({ host: a.host, port: a.port, flags: (p.seed || p.uploadOnly ? 0x02 : 0) | (p.outgoing ? 0x10 : 0) })
  }
  return out
}

/**
 * True when an admitted connection other than `exceptKey` already has this
 * peer id (lowercase hex): a second connection to the same peer.
 * @throws nothing
 * @see BEP 3 (peer id)
 */
export function isDuplicate (state: SwarmState, peerIdHex: string, exceptKey?: string): boolean {
  for (const p of state.peers.values()) {
    if (p.handshake && p.peerId === peerIdHex && p.key !== exceptKey) return true
  }
  return false
}

/**
 * True when a live connection reaches `key` (`host:port`): one we dialed
 * there, or an incoming one whose extended handshake (BEP 10 `p`) says it
 * listens there. Such an address is not dialed again: the peer that dialed
 * us, then found by a tracker or PEX, would otherwise be dialed back and the
 * second connection dropped as a duplicate.
 */
export function isConnectedAt (state: SwarmState, key: string): boolean {
  if (state.peers.has(key)) return true
  for (const p of state.peers.values()) {
    if (p.reachable !== undefined && formatAddress(p.reachable) === key) return true
  }
  return false
}

/** What {@link resolveDuplicate} decided for a new connection. */
export type DuplicateDecision =
  /** No other connection to that peer id: admit the new one. */
  | { readonly kind: 'unique' }
  /** Refuse the new connection; the existing one stays. `sameHost`: both come from one host (a crossed dial, not an impostor). */
  | { readonly kind: 'refuse-new', readonly sameHost: boolean }
  /** Admit the new connection and close the existing one, `close`. */
  | { readonly kind: 'replace', readonly close: string }

/**
 * A new connection `newKey` has completed its handshake with peer id
 * `peerIdHex`: is it a second connection to a peer we already have, and if
 * so which one to keep? Two connections from the same host are one peer
 * that dialed us while we dialed it: both ends keep the same one, as
 * libtorrent decides ({@link keepsNewDuplicate}). From another host the
 * peer id is not trusted to close a live connection: the new one is refused.
 */
export function resolveDuplicate (state: SwarmState, ourIdHex: string, newKey: string, peerIdHex: string): DuplicateDecision {
  let other: SwarmPeer | undefined
  for (const p of state.peers.values()) {
    if (p.handshake && p.peerId === peerIdHex && p.key !== newKey) { other = p; break }
  }
  if (other === undefined) return { kind: 'unique' }
  const mine = state.peers.get(newKey)
  const sameHost = mine?.address !== undefined && other.address !== undefined && mine.address.host === other.address.host
  if (!sameHost || !keepsNewDuplicate(ourIdHex, peerIdHex, mine.outgoing)) return { kind: 'refuse-new', sameHost }
  return { kind: 'replace', close: other.key }
}

/**
 * Two connections to one peer (each side dialed the other): which to keep,
 * so that both ends keep the same one. As libtorrent decides: the peer with
 * the greater peer id is the one whose dial is kept. True to keep the new
 * connection (and close the older one), false to refuse the new one.
 * Peer ids are compared as lowercase hex of equal length (byte order).
 */
export function keepsNewDuplicate (ourIdHex: string, theirIdHex: string, newIsOutgoing: boolean): boolean {
  return newIsOutgoing === (ourIdHex > theirIdHex)
}
