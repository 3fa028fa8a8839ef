/**
 * The strategies a torrent runs with, as values: how interest is decided,
 * how deep requests go, how a complete torrent seeds, and which peers are
 * kept. The piece picker (lib/pieces) and the choker (lib/choke) are the
 * other two. Each has a default here; a user passes their own.
 */
import { LIMITS } from '../constants.js'
import { SuperSeeder, type SuperSeederOptions } from '../choke/super-seeder.js'
import type { Bitfield } from '../pieces/bitfield.js'
import { requestDepth } from '../peer/request-depth.js'
import type { PeerAddress } from '../transport/types.js'

/** What an interest policy sees of a peer. */
export interface InterestInput {
  /** The peer has a piece we want and lack (the planner's answer). */
  readonly hasWanted: boolean
  /** The peer's pieces. */
  readonly peerHas: Bitfield
  /** Every wanted piece is verified. */
  readonly complete: boolean
}

/** When we are interested in a peer (BEP 3). */
export interface InterestPolicy {
  readonly name: string
  /** True to be interested in the peer now. */
  interested: (input: InterestInput) => boolean
}

/** Interested exactly when the peer has a piece we want and lack. */
export const wantedPiecesInterest: InterestPolicy = {
  name: 'wanted-pieces',
  interested: (input) => input.hasWanted
}

/** What a request-depth policy sees of a peer. */
export interface DepthInput {
  /** The peer's payload rate to us, bytes per second. */
  readonly rate: number
  /** The peer's own limit from its extended handshake (`reqq`), if sent. */
  readonly reqq?: number | undefined
  /** The torrent's ceiling (`requestQueueDepth`). */
  readonly max: number
}

/** How many requests to keep outstanding to a peer. */
export interface RequestDepthPolicy {
  readonly name: string
  /** A whole number ≥ 1; the engine caps it at `max`. */
  depth: (input: DepthInput) => number
}

/** Three seconds of the peer's measured rate, at least 16, at most `max` and the peer's `reqq` (lib/peer/request-depth). */
export const rateRequestDepth: RequestDepthPolicy = {
  name: 'rate',
  depth: (input) => requestDepth({ rate: input.rate, queueSeconds: LIMITS.requestQueueSeconds, min: LIMITS.minRequestQueueDepth, max: input.max, reqq: input.reqq })
}

/** A fixed depth (at most `max` and the peer's `reqq`). */
export function fixedRequestDepth (depth: number): RequestDepthPolicy {
  return { name: `fixed-${depth}`, depth: (input) => Math.min(depth, input.reqq ?? depth) }
}

/** A piece offered to a peer as a `have` (superseeding). */
export interface SeedingOffer {
  readonly peer: string
  readonly index: number
}

/** One run of a seeding mode: created when a complete torrent starts serving. */
export interface SeedingRun {
  /** New peers are told of no pieces (they get offers instead); default: our bitfield. */
  readonly hidesPieces: boolean
  /** A peer joined with these pieces: offers to send. */
  joined: (peer: string, has: Bitfield) => SeedingOffer[]
  /** A peer announced a piece: offers to send (to it or others). */
  peerHas: (peer: string, index: number) => SeedingOffer[]
  /** A peer's bitfield: offers to send. */
  peerBitfield: (peer: string, has: Bitfield) => SeedingOffer[]
  /** The peer left. */
  left: (peer: string) => void
  /** A request for piece `index` from `peer` is served (else rejected). */
  mayServe: (peer: string, index: number) => boolean
}

/** How a complete torrent seeds. */
export interface SeedingMode {
  readonly name: string
  /** Start seeding `pieceCount` pieces. */
  start: (input: { readonly pieceCount: number, readonly random: () => number }) => SeedingRun
}

/** Ordinary seeding: every peer sees every piece and may fetch any. */
export const normalSeeding: SeedingMode = {
  name: 'normal',
  start: () => ({ hidesPieces: false, joined: () => [], peerHas: () => [], peerBitfield: () => [], left: () => {}, mayServe: () => true })
}

/**
 * BEP 16 superseeding: we look empty and offer each peer one piece at a
 * time (the rarest), the next once another peer has it (lib/choke/super-seeder).
 * @see BEP 16
 */
export function superseeding (options: Pick<SuperSeederOptions, 'perPeer'> = {}): SeedingMode {
  return {
    name: 'superseed',
    start: ({ pieceCount, random }) => {
      const s = new SuperSeeder({ pieceCount, random, ...options })
      return {
        hidesPieces: true,
        joined: (peer, has) => s.peerJoined(peer, has),
        peerHas: (peer, index) => s.peerHas(peer, index),
        peerBitfield: (peer, has) => s.peerBitfield(peer, has),
        left: (peer) => { s.peerLeft(peer) },
        mayServe: (peer, index) => s.allowed(peer, index)
      }
    }
  }
}

/** What a peer filter sees; more is known at each stage. */
export interface FilteredPeer {
  /** `connecting`: only the address; `handshaken`: the peer id and client; `round`: its behaviour so far (every choke round). */
  readonly stage: 'connecting' | 'handshaken' | 'round'
  readonly key: string
  readonly address?: PeerAddress
  readonly outgoing: boolean
  /** Lowercase hex, from `handshaken` on. */
  readonly peerId?: string
  /** The client named by the peer id (BEP 20), from `handshaken` on. */
  readonly client?: string
  /** Payload bytes so far, at `round`. */
  readonly downloaded?: number
  readonly uploaded?: number
  /** Milliseconds since the handshake, at `round`. */
  readonly connectedMs?: number
  /** The peer has every piece. */
  readonly seed?: boolean
}

/** Keep the peer, drop its connection, or drop and ban its address. */
export type PeerVerdict = 'keep' | 'drop' | 'ban'

/** Which peers to refuse or drop, by address, client or behaviour. */
export interface PeerFilter {
  readonly name: string
  /** The verdict on `peer` at one stage; throwing stops the torrent (`strategy-failed`). */
  judge: (peer: FilteredPeer) => PeerVerdict
}

/** Every peer is kept. */
export const keepAllPeers: PeerFilter = { name: 'keep-all', judge: () => 'keep' }
