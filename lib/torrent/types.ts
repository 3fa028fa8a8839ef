/**
 * The torrent engine's vocabulary: what happens to a torrent (inputs), what
 * it decides (effects), and what it is given (context). The engine is
 * `step(state, input, ctx) → { state, effects }` (./step.ts); the pipelines
 * turn I/O into inputs and effects into I/O.
 *
 * Bytes stay out of it: block payloads flow through the data plane
 * (assembly, hashing, writes) as async iterables; the engine hears of a
 * block by reference (`block`), of a piece once verified (`piece-verified`),
 * and answers which request to serve next (`upload-next`).
 */
import type { RxTorrentError } from '../errors.js'
import type { PeerEvent } from '../peer/peer-event.js'
import type { BlockRef } from '../pieces/geometry.js'
import type { PeerAddress } from '../transport/types.js'
import type { Message } from '../wire/types.js'

/** What the engine is given besides state and input: the time and randomness of this step. */
export interface TorrentContext {
  /** Milliseconds, from the injected scheduler. */
  readonly now: number
  /** Uniform numbers in [0, 1). */
  readonly random: () => number
}

/** BEP 10 extension events that change what the engine knows of a peer, typed. */
export type TorrentExtensionEvent =
  /** BEP 54 (lt_donthave): the peer no longer has piece `index`. */
  | { readonly type: 'dont-have', readonly index: number }
  /** BEP 21: the peer only uploads (or no longer does). */
  | { readonly type: 'upload-only', readonly uploadOnly: boolean }
  /** BEP 10: where the peer accepts connections (our dial, or its host with the `p` port). */
  | { readonly type: 'reachable', readonly address: PeerAddress }
  /** BEP 10 `reqq`: the most requests the peer accepts outstanding. */
  | { readonly type: 'request-limit', readonly reqq: number }

/** Everything that can happen to a running torrent. `peer` is the connection's key. */
export type TorrentInput =
  /** The stored data was checked; the torrent starts serving and fetching. */
  | { readonly type: 'checked' }
  /** A connection opened (before its handshake); refused by bans, duplicates or the peer filter. */
  | { readonly type: 'peer-connecting', readonly peer: string, readonly outgoing: boolean, readonly address?: PeerAddress }
  /** Its BitTorrent handshake completed: admitted, or refused (duplicate peer id, peer filter). */
  | { readonly type: 'peer-handshaken', readonly peer: string, readonly peerId: Uint8Array, readonly fast: boolean, readonly extended: boolean }
  /** The connection may now send: our bitfield (or nothing, superseeding) and allowed-fast set go out. */
  | { readonly type: 'peer-open', readonly peer: string }
  /** Opening messages sent (extended handshake included): interest, requests and an early choke round. */
  | { readonly type: 'peer-ready', readonly peer: string }
  /** What the peer's messages meant (`PeerSession.handle`), one event. */
  | { readonly type: 'peer-event', readonly peer: string, readonly event: PeerEvent }
  /** A block arrived (payload in the data plane): `accepted` says whether it is still wanted. */
  | { readonly type: 'block', readonly peer: string, readonly ref: BlockRef }
  /** The end of a batch of messages from the peer: its session's replies go out, its requests are topped up. */
  | { readonly type: 'batch-end', readonly peer: string }
  /**
   * The peer's writer is ready for a block: `serve` names the request to
   * read and send, if any. With `batch`, the step takes several requests at
   * once (`served`, oldest first): one engine step per writer pull, not per block.
   */
  | { readonly type: 'upload-next', readonly peer: string, readonly batch?: UploadBatch }
  /** A piece passed or failed its hash check (and, if good, was written). `from`: the source that completed it. */
  | { readonly type: 'piece-verified', readonly index: number, readonly ok: boolean, readonly from: string }
  /** A typed extension event from the peer. */
  | { readonly type: 'extension', readonly peer: string, readonly event: TorrentExtensionEvent }
  /** The connection closed (with the error that closed it, if any): it leaves the swarm now. */
  | { readonly type: 'peer-closed', readonly peer: string, readonly error?: Error }
  /** The data plane is done with a source (a connection or a web seed). */
  | {
    readonly type: 'peer-released'
    readonly peer: string
    /** Pieces it completed that never got through verification: fetched again. */
    readonly unfinished?: readonly number[]
    /** Whether the data plane holds a block: blocks it delivered that never got there are freed. */
    readonly held?: (index: number, begin: number) => boolean
  }
  /** A choke round: regular (every 10 s) or early (interest changed, a slot freed). */
  | { readonly type: 'choke-round', readonly early: boolean }
  /** Requests older than the timeout are given up and planned again. */
  | { readonly type: 'request-expiry' }

/** What the engine decided; the interpreter in pipelines/ carries it out in order. */
export type TorrentEffect =
  /** Send these messages to the peer. */
  | { readonly type: 'send', readonly peer: string, readonly messages: readonly Message[] }
  /** Send a BEP 10 extension message by name (skipped when the peer lacks it). */
  | { readonly type: 'send-extension', readonly peer: string, readonly name: string, readonly payload: Uint8Array }
  /** The peer has requests waiting: wake its writer. */
  | { readonly type: 'serve', readonly peer: string }
  /** Close the connection with this error. */
  | { readonly type: 'close', readonly peer: string, readonly error: RxTorrentError }
  /** This address is banned from now on (the state keeps the ledger; pipelines may drop queued dials). */
  | { readonly type: 'ban', readonly host: string }
  /** Something the user should know that does not stop the torrent. */
  | { readonly type: 'warning', readonly message: string, readonly peer?: string, readonly error?: Error }
  /** Ask for an early choke round (coalesced: at most one pending). */
  | { readonly type: 'early-choke-round' }
  /** Piece `index` is ours (verified and written). */
  | { readonly type: 'verified', readonly index: number }
  /** Every wanted piece is verified. */
  | { readonly type: 'complete' }
  /** The torrent cannot go on (a strategy failed, a local fault): stop with this error. */
  | { readonly type: 'stop', readonly error: Error }

/** The result of one step. */
export interface TorrentStep<S> {
  readonly state: S
  readonly effects: readonly TorrentEffect[]
  /** `peer-connecting`, `peer-handshaken`: why the connection is refused (absent: admitted). */
  readonly refused?: RxTorrentError
  /** `block`: the block is wanted and goes on to assembly. */
  readonly accepted?: boolean
  /** `upload-next`: the request to read and send now (the first of `served`). */
  readonly serve?: BlockRef
  /** `upload-next` with `batch`: every request taken, oldest first (absent when none). */
  readonly served?: readonly BlockRef[]
}

/**
 * How many requests one `upload-next` step may take: the first always, then
 * following ones while under both limits, and only while `ready` says their
 * piece can be sent at once (read already): the first request `ready`
 * refuses is taken too and ends the batch, so its read can start now.
 */
export interface UploadBatch {
  /** Most requests taken (at least one is). */
  readonly maxBlocks: number
  /** No request is taken once this many bytes are. */
  readonly maxBytes: number
  /** Whether piece `index` can be sent without waiting (absent: every piece can). */
  readonly ready?: (index: number) => boolean
}
