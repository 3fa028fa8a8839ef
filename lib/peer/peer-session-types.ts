import type { Bitfield } from '../pieces/bitfield.js'
import type { BlockRef, PieceGeometry } from '../pieces/geometry.js'

/** Options of a {@link PeerSession}. */
export interface PeerSessionOptions {
  /** The torrent's piece layout; every index, offset and length is checked against it. */
  readonly geometry: PieceGeometry
  /** BEP 6 Fast extension negotiated in the handshake. */
  readonly fast: boolean
  /** BEP 10 extension protocol negotiated in the handshake. */
  readonly extended: boolean
  /** Requests the peer may have queued with us; the excess is rejected (fast) or dropped. Default `LIMITS.maxIncomingRequests`. */
  readonly maxIncomingRequests?: number
  /** Requests the peer may send while we choke it before it is disconnected. Default `LIMITS.maxRequestsWhileChoked`. */
  readonly maxRequestsWhileChoked?: number
  /** Largest block length requested or sent. Default `LIMITS.maxBlockLength` (16 KiB). */
  readonly maxBlockLength?: number
  /** The pieces we have: a live reference, read whenever a request is validated. */
  readonly ourHave: Bitfield
}

/** One of our requests to the peer, with the time it was sent. */
export interface OutstandingRequest {
  readonly ref: BlockRef
  readonly sentAt: number
}
