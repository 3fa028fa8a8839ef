import { Bitfield } from '../pieces/bitfield.js'
import type { BlockRef } from '../pieces/geometry.js'
import type { PeerSession } from './peer-session.js'

/** Where blocks to request come from: the shape of `RequestPlanner`'s `next`. */
export interface BlockPlanner {
  /** Up to `max` blocks the peer has, marked requested by it. */
  next: (peer: string, peerHas: Bitfield, max: number) => BlockRef[]
}

/** Options of {@link planRequests}. */
export interface PlanRequestsOptions {
  /** The planner's key for this peer. */
  readonly peer: string
  /** Requests to keep outstanding to this peer. */
  readonly depth: number
  /**
   * Request nothing until at least this many slots are free (capped at
   * `depth`), so requests leave in batches rather than one write per block
   * received. Default 1.
   */
  readonly minBatch?: number
}

/**
 * Which blocks to request from the peer now so that `depth` requests are
 * outstanding: none while we are not interested, and while the peer chokes
 * us only blocks of its BEP 6 allowed-fast pieces. The returned blocks are
 * marked requested in the planner; pass them to `session.request`.
 * @throws nothing
 * @see BEP 3 (request pipelining), BEP 6 (allowed fast)
 */
export function planRequests (session: PeerSession, planner: BlockPlanner, options: PlanRequestsOptions): BlockRef[] {
  if (!session.amInterested) return []
  const room = options.depth - session.outstanding.size
  if (room <= 0 || room < Math.min(options.minBatch ?? 1, options.depth)) return []
  if (!session.peerChoking) return planner.next(options.peer, session.peerHas, room)
  if (session.allowedFast.size === 0) return []
  return planner.next(options.peer, allowedFastHas(session), room)
}

/** The peer's pieces restricted to the ones it allows us to fetch while choked. */
function allowedFastHas (session: PeerSession): Bitfield {
  // Built from the allowed set (a handful of pieces), not by clearing every other piece the peer has.
  const peerHas = session.peerHas
  const has = new Bitfield(peerHas.length)
  for (const i of session.allowedFast) if (peerHas.has(i)) has.set(i)
  return has
}

/** The result of one {@link requestStep}. */
export interface RequestStep {
  /** Our requests that timed out; the caller frees them in its planner. */
  readonly expired: BlockRef[]
  /** Requests implicitly cancelled by a choke without BEP 6; to be freed likewise. */
  readonly dropped: BlockRef[]
  /** The request messages to send, already tracked as outstanding in the session. */
  readonly requests: ReturnType<PeerSession['request']>
}

/** Options of {@link requestStep}. */
export interface RequestStepOptions extends PlanRequestsOptions {
  /** Expire requests at least this old; omit to skip expiry. */
  readonly timeoutMs?: number
  /** Frees a dropped or expired request in the planner, before new requests are planned. */
  readonly release?: (ref: BlockRef) => void
}

/**
 * One round of request management at time `now`: collect dropped requests,
 * expire those older than `timeoutMs` (when given), release both through
 * `release` (so they can be planned again at once), then top the pipeline
 * back up to `depth` with {@link planRequests}.
 * @throws whatever `release` or the planner throws; nothing on peer input
 * @see BEP 3
 */
export function requestStep (session: PeerSession, planner: BlockPlanner, options: RequestStepOptions, now: number): RequestStep {
  const dropped = session.takeDropped()
  const expired = options.timeoutMs === undefined ? [] : session.expire(now, options.timeoutMs)
  if (options.release !== undefined) {
    for (const ref of dropped) options.release(ref)
    for (const ref of expired) options.release(ref)
  }
  const refs = planRequests(session, planner, options)
  return { expired, dropped, requests: session.request(refs, now) }
}
