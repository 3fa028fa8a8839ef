/**
 * Who gets a connection slot when the connection limit is reached: BEP 40
 * canonical peer priority decides between an incoming newcomer and the
 * connections we hold, and the order in which known addresses are dialed.
 * Pure and synchronous; the pipeline closes and accepts what it says.
 * @see BEP 40
 */
import { RxTorrentError } from '../errors.js'
import { normalizeIp } from '../tracker/ip-address.js'
import { formatAddress, type PeerAddress } from '../transport/types.js'
import { canonicalPeerPriority } from './peer-priority.js'

/** Default number of our fastest sources kept whatever their priority while downloading. */
export const DEFAULT_PROTECT_FASTEST = 4

/** An established connection, as the limit policy sees it. */
export interface LimitPeer {
  /** How the caller names the connection; returned in `{ replace }`. */
  readonly key: string
  /** The peer's address as we see it (the connection's remote end). */
  readonly address: PeerAddress
  /** Payload we receive from it now, bytes per second (default 0). */
  readonly downloadRate?: number
  /** It has every piece, or said it only uploads (BEP 21). */
  readonly seed?: boolean
}

/** Input of {@link connectionLimitDecision}. */
export interface ConnectionLimitInput {
  /** Our address as peers see it ({@link selfAddress}); without it nothing is replaced. */
  readonly self: PeerAddress | undefined
  /** The incoming connection's remote address. */
  readonly newcomer: PeerAddress
  /** Established connections that may be replaced (closing ones left out). */
  readonly peers: readonly LimitPeer[]
  /** Slots in use: connections of every kind, handshakes and dials included. */
  readonly used: number
  /** The connection limit. */
  readonly limit: number
  /** We have everything we want (seeding). */
  readonly seeding?: boolean
  /** While downloading, this many of our fastest sources are never replaced; default {@link DEFAULT_PROTECT_FASTEST}. */
  readonly protectFastest?: number
  /** `priorityOrLowest(self, address)`, when the caller keeps them (a cache); default computed here. */
  readonly priority?: (address: PeerAddress) => number
}

/** Accept the newcomer, accept it after closing connection `replace`, or refuse it. */
export type ConnectionLimitDecision = 'accept' | { readonly replace: string } | 'refuse'

/**
 * What to do with an incoming connection, given the connection limit:
 *
 * - below the limit: `'accept'`;
 * - at the limit, without our own address, or when the newcomer's priority
 *   cannot be computed (its host is not an IP address): `'refuse'`;
 * - while seeding, a connected peer that is itself a seed can give us
 *   nothing and wants nothing: the lowest-priority such peer is replaced
 *   first, whatever the newcomer's priority;
 * - otherwise the established connection with the lowest BEP 40 priority
 *   (ours with it) is replaced when the newcomer's priority is strictly
 *   higher, else `'refuse'`.
 *
 * Protected, never replaced: while downloading, the `protectFastest`
 * peers delivering the most payload (those with a rate above 0), since
 * dropping a working source for a hash would slow the download; and any
 * peer whose priority cannot be computed. Seeds are not protected while we
 * seed. Ties in priority keep the connection we hold.
 * @throws nothing: addresses that are not IP addresses only make a peer
 *   ineligible.
 * @see BEP 40
 */
export function connectionLimitDecision (input: ConnectionLimitInput): ConnectionLimitDecision {
  if (input.used < input.limit) return 'accept'
  const self = input.self
  if (self === undefined || !isIpAddress(self)) return 'refuse'
  const priority = input.priority ?? ((a: PeerAddress) => priorityOrLowest(self, a))
  const newcomer = priority(input.newcomer)
  if (newcomer < 0) return 'refuse'
  const ranked = input.peers.map((p) => ({ peer: p, priority: priority(p.address) }))
  if (input.seeding === true) {
    const useless = lowest(ranked.filter((r) => r.peer.seed === true && r.priority >= 0))
    if (useless !== undefined) return { replace: useless.peer.key }
  }
  const protectedKeys = input.seeding === true ? new Set<string>() : fastest(input.peers, input.protectFastest ?? DEFAULT_PROTECT_FASTEST)
  const victim = lowest(ranked.filter((r) => r.priority >= 0 && !protectedKeys.has(r.peer.key)))
  return victim !== undefined && newcomer > victim.priority ? { replace: victim.peer.key } : 'refuse'
}

/**
 * Our address as peers see it, for BEP 40: the external IP a tracker
 * reported (BEP 24) with our listen port, else the listen address when it
 * is a specific IP (not `0.0.0.0` or `::`); undefined when neither is known.
 * @throws nothing
 * @see BEP 40
 */
export function selfAddress (listen: PeerAddress | undefined, externalIp?: string): PeerAddress | undefined {
  if (listen === undefined) return undefined
  if (externalIp !== undefined && normalizeIp(externalIp) !== undefined) return { host: externalIp, port: listen.port }
  const ip = normalizeIp(listen.host)
  if (ip === undefined || ip.bytes.every((b) => b === 0)) return undefined
  return listen
}

/**
 * BEP 40 priority of the connection between `self` and `peer`, or -1 when
 * it cannot be computed (a host that is not an IP address, a bad port):
 * higher first is the dial order when there are more candidates than slots.
 * @throws nothing
 * @see BEP 40
 */
export function priorityOrLowest (self: PeerAddress, peer: PeerAddress): number {
  if (!isIpAddress(self) || !isIpAddress(peer)) return -1
  return canonicalPeerPriority(self, peer)
}

function isIpAddress (a: PeerAddress): boolean {
  return normalizeIp(a.host) !== undefined && Number.isInteger(a.port) && a.port >= 0 && a.port <= 0xffff
}

/** The entry with the lowest priority; the first of equals. */
function lowest<T extends { priority: number }> (ranked: readonly T[]): T | undefined {
  let best: T | undefined
  for (const r of ranked) if (best === undefined || r.priority < best.priority) best = r
  return best
}

/** Keys of the `n` peers with the highest download rate above 0. */
function fastest (peers: readonly LimitPeer[], n: number): Set<string> {
  const sources = peers.filter((p) => (p.downloadRate ?? 0) > 0)
  sources.sort((a, b) => (b.downloadRate ?? 0) - (a.downloadRate ?? 0))
  return new Set(sources.slice(0, Math.max(0, n)).map((p) => p.key))
}

/**
 * The error that closes a connection refused at the connection limit
 * (disposition `ignore`): `limit`, or the session's when `sessionFull`.
 * @throws nothing
 */
export function connectionLimitError (limit: number, sessionFull = false): RxTorrentError {
  return new RxTorrentError('connection-limit', `refused at the connection limit (${sessionFull ? 'the session' : String(limit)})`, { disposition: 'ignore', details: { limit, sessionFull } })
}

/**
 * The error that closes a connection replaced at the limit by `newcomer`,
 * of higher BEP 40 priority (disposition `ignore`).
 * @throws nothing
 * @see BEP 40
 */
export function replacedByPriorityError (newcomer: PeerAddress): RxTorrentError {
  return new RxTorrentError('replaced-by-priority', `replaced by ${formatAddress(newcomer)}, of higher BEP 40 priority, at the connection limit`, { disposition: 'ignore', details: { by: formatAddress(newcomer) } })
}
