/**
 * Which metadata to fetch during a magnet fetch when peers disagree on its
 * size. Every `metadata_size` stated is a candidate; each peer is asked only
 * for pieces of the size it stated; assembled bytes are checked against the
 * info-hash, and only the peers whose data failed are dropped. One peer that
 * states a huge size first (then stays silent or sends garbage) never blocks
 * the peers that state the real one.
 * @see BEP 9
 */
import { ProtocolError } from '../errors.js'
import { MetadataCandidate } from './metadata-candidate.js'
import { EXTENSION_LIMITS } from './limits.js'
import { metadataPieceLength } from './ut-metadata.js'

/** Options of {@link MetadataCandidates}. */
export interface MetadataCandidatesOptions {
  /** The info-hash the metadata must hash to. */
  readonly infoHash: Uint8Array
  /** SHA-1 of one buffer, injected because `lib/` has no crypto. */
  readonly sha1: (data: Uint8Array) => Uint8Array
  /** Largest size accepted. Default `EXTENSION_LIMITS.maxMetadataSize` (16 MiB). */
  readonly maxSize?: number
  /** Distinct sizes tracked at once. Default `EXTENSION_LIMITS.maxMetadataCandidates` (8). */
  readonly maxCandidates?: number
  /**
   * Sum of the sizes of the candidates fetched at once (at least `maxSize`).
   * Default twice `maxSize`.
   */
  readonly maxFetchingBytes?: number
  /** Requests outstanding per peer. Default 2. */
  readonly requestsPerPeer?: number
  /** A request unanswered this long makes its peer {@link MetadataCandidates.overdue}. Default 15 s. */
  readonly requestTimeoutMs?: number
}

/** What {@link MetadataCandidates.receive} returns. */
export type MetadataCandidateResult =
  | 'more'
  /** The info dictionary's bytes, verified against the info-hash; `from`: the peers whose pieces they are. */
  | { readonly done: Uint8Array, readonly from: readonly string[] }
  /**
   * A candidate of `size` bytes was complete and did not hash to the
   * info-hash; its pieces were discarded. `failed`: the peers proven bad (the
   * sole source of the bytes), now banned: close them. `suspects`: several
   * peers contributed, so none is blamed yet; the candidate is fetched again
   * from one peer at a time.
   */
  | { readonly failed: readonly string[], readonly suspects: readonly string[], readonly size: number }

/** A summary of one candidate, for progress and diagnostics. */
export interface MetadataCandidateSummary {
  readonly size: number
  readonly peers: readonly string[]
  readonly received: number
  readonly pieceCount: number
  readonly fetching: boolean
}

/**
 * Candidate metadata sizes per peer, and which pieces to request from whom.
 *
 * - A peer states a size ({@link state}); peers stating the same size share a
 *   candidate. At most `maxCandidates` sizes are tracked; a candidate whose
 *   peers have all left is forgotten with its pieces.
 * - Candidates are fetched at once as far as `maxFetchingBytes` allows:
 *   those already started first, then by peers stating them (more first),
 *   then smaller first, then older first; the first one always.
 * - A peer is only asked for pieces of its own size, `requestsPerPeer` at a
 *   time; each piece is attributed to the peer that sent it.
 * - When a candidate's bytes fail the hash: a single source is banned; several
 *   sources are not blamed, but the candidate is then fetched from one peer
 *   at a time until it verifies or every supporter was proven bad.
 *
 * Pure: time is an argument, nothing here does I/O.
 */
export class MetadataCandidates {
  readonly #infoHash: Uint8Array
  readonly #sha1: (data: Uint8Array) => Uint8Array
  readonly #maxSize: number
  readonly #maxCandidates: number
  readonly #maxFetchingBytes: number
  readonly #requestsPerPeer: number
  readonly #requestTimeoutMs: number
  readonly #bySize = new Map<number, MetadataCandidate>()
  readonly #sizeOf = new Map<string, number>()
  readonly #banned = new Set<string>()
  #seq = 0
  #done: { readonly done: Uint8Array, readonly from: readonly string[] } | undefined

  constructor (options: MetadataCandidatesOptions) {
    this.#infoHash = options.infoHash
    this.#sha1 = options.sha1
    this.#maxSize = options.maxSize ?? EXTENSION_LIMITS.maxMetadataSize
    this.#maxCandidates = Math.max(1, options.maxCandidates ?? EXTENSION_LIMITS.maxMetadataCandidates)
    this.#maxFetchingBytes = Math.max(this.#maxSize, options.maxFetchingBytes ?? 2 * this.#maxSize)
    this.#requestsPerPeer = Math.max(1, options.requestsPerPeer ?? 2)
    this.#requestTimeoutMs = options.requestTimeoutMs ?? EXTENSION_LIMITS.metadataRequestTimeoutMs
  }

  /** The verified metadata once one candidate passed its hash. */
  get done (): Uint8Array | undefined { return this.#done?.done }

  /** True for a peer proven to have sent bad metadata. */
  isBanned (peer: string): boolean { return this.#banned.has(peer) }

  /** The candidates, in the order they are preferred. */
  get candidates (): readonly MetadataCandidateSummary[] {
    const fetching = this.#fetching()
    return this.#ordered().map((c) => ({ size: c.size, peers: [...c.supporters], received: c.received, pieceCount: c.pieceCount, fetching: fetching.has(c) }))
  }

  /**
   * `peer` states `size` (its extended handshake's `metadata_size`). Stating
   * another size later moves it (its outstanding requests are released).
   * @throws ProtocolError `metadata-peer-banned` (disposition `ban`) for a
   *   peer proven bad; `bad-metadata-size` (`disconnect`) when `size` is not
   *   an integer in 1..maxSize; `too-many-metadata-sizes` (`disconnect`) when
   *   `maxCandidates` other sizes are already tracked. Nothing changes then.
   */
  state (peer: string, size: number): void {
    if (this.#banned.has(peer)) throw new ProtocolError('metadata-peer-banned', `${peer} sent metadata that failed its hash`, { disposition: 'ban', details: { peer } })
    if (!Number.isSafeInteger(size) || size <= 0 || size > this.#maxSize) {
      throw new ProtocolError('bad-metadata-size', `metadata size ${size} is not in 1..${this.#maxSize}`, { details: { peer, size } })
    }
    if (this.#sizeOf.get(peer) === size) return
    let candidate = this.#bySize.get(size)
    if (candidate === undefined && this.#bySize.size - (this.#onlySupporter(peer) ? 1 : 0) >= this.#maxCandidates) {
      throw new ProtocolError('too-many-metadata-sizes', `${this.#bySize.size} metadata sizes are already tracked`, { details: { peer, size } })
    }
    this.removePeer(peer)
    if (candidate === undefined) {
      candidate = new MetadataCandidate(size, this.#seq++)
      this.#bySize.set(size, candidate)
    }
    candidate.supporters.add(peer)
    this.#sizeOf.set(peer, size)
  }

  /**
   * `peer` left (closed, timed out, banned): its requests are released and it
   * no longer supports its size. Its pieces stay, attributed to it, unless
   * it was the one source of a candidate fetched one peer at a time; a
   * candidate with no supporter left is forgotten. Never throws.
   */
  removePeer (peer: string): void {
    const size = this.#sizeOf.get(peer)
    if (size === undefined) return
    this.#sizeOf.delete(peer)
    const c = this.#bySize.get(size)
    if (c === undefined) return
    c.release(peer)
    c.supporters.delete(peer)
    if (c.solo && c.soloPeer === peer) { c.clear(); c.soloPeer = undefined }
    if (c.supporters.size === 0) this.#bySize.delete(size)
  }

  /**
   * The next piece to request from `peer` at `now`, marked requested by it;
   * `undefined` when it has `requestsPerPeer` outstanding, its candidate is
   * not being fetched (over the budget, or another peer's turn in solo
   * mode), nothing is left to request, or the metadata is done. Never throws.
   */
  nextRequest (peer: string, now: number): number | undefined {
    if (this.#done !== undefined) return undefined
    const size = this.#sizeOf.get(peer)
    const c = size === undefined ? undefined : this.#bySize.get(size)
    if (c === undefined || c.inFlight(peer) >= this.#requestsPerPeer || !this.#fetching().has(c)) return undefined
    if (c.solo) {
      c.soloPeer ??= peer
      if (c.soloPeer !== peer) return undefined
    }
    return c.take(peer, now)
  }

  /** Give back `piece` requested from `peer` (it rejected it) so another supporter can be asked. Never throws. */
  release (peer: string, piece: number): void {
    const size = this.#sizeOf.get(peer)
    if (size !== undefined) this.#bySize.get(size)?.release(peer, piece)
  }

  /** Peers with a request unanswered for `requestTimeoutMs` at `now`: close them, then {@link removePeer}. */
  overdue (now: number): string[] {
    return [...this.#bySize.values()].flatMap((c) => c.overdue(now - this.#requestTimeoutMs))
  }

  /**
   * Piece `piece` of the metadata from `peer`, stating `totalSize`. A piece
   * not requested from `peer` is ignored (`'more'`); bytes are copied. When
   * the last piece of a candidate arrives the whole is hashed (see
   * {@link MetadataCandidateResult}).
   * @throws ProtocolError (disposition `disconnect`): `metadata-size-changed`
   *   (`totalSize` is not the size `peer` stated, or it stated none),
   *   `metadata-piece-out-of-range`, `bad-metadata-length` (not 16 KiB, or
   *   the remainder for the last piece)
   * @see BEP 9
   */
  receive (peer: string, piece: number, totalSize: number, data: Uint8Array): MetadataCandidateResult {
    const size = this.#sizeOf.get(peer)
    if (totalSize !== size) {
      throw new ProtocolError('metadata-size-changed', `total_size ${totalSize} differs from the ${size ?? 'no'} size ${peer} stated`, { details: { peer, totalSize, size } })
    }
    const c = this.#bySize.get(size)
    if (c === undefined) return 'more'
    if (!Number.isInteger(piece) || piece < 0 || piece >= c.pieceCount) {
      throw new ProtocolError('metadata-piece-out-of-range', `piece ${piece} is not in 0..${c.pieceCount - 1}`, { details: { peer, piece } })
    }
    const expected = metadataPieceLength(size, piece)
    if (data.length !== expected) {
      throw new ProtocolError('bad-metadata-length', `piece ${piece} has ${data.length} bytes, expected ${expected}`, { details: { peer, piece, length: data.length } })
    }
    if (this.#done !== undefined) return this.#done
    if (!c.store(peer, piece, data) || !c.complete) return 'more'
    return this.#verify(c)
  }

  #verify (c: MetadataCandidate): MetadataCandidateResult {
    const bytes = c.assemble()
    const from = c.contributors()
    if (equalBytes(this.#sha1(bytes), this.#infoHash)) {
      this.#done = { done: bytes, from }
      return this.#done
    }
    c.clear()
    c.soloPeer = undefined
    if (from.length > 1) {
      c.solo = true
      return { failed: [], suspects: from, size: c.size }
    }
    for (const p of from) { this.#banned.add(p); this.removePeer(p) }
    return { failed: from, suspects: [], size: c.size }
  }

  /** True when `peer` is the only supporter of its candidate (moving it frees a slot). */
  #onlySupporter (peer: string): boolean {
    const size = this.#sizeOf.get(peer)
    return size !== undefined && this.#bySize.get(size)?.supporters.size === 1
  }

  /** Candidates by preference: more supporters, then smaller, then older. */
  #ordered (): MetadataCandidate[] {
    return [...this.#bySize.values()].sort((a, b) => b.supporters.size - a.supporters.size || a.size - b.size || a.seq - b.seq)
  }

  /** The candidates fetched now: started ones, then the preferred ones, within the byte budget. */
  #fetching (): Set<MetadataCandidate> {
    const ordered = this.#ordered()
    const chosen = new Set<MetadataCandidate>()
    let bytes = 0
    for (const c of [...ordered.filter((c) => c.started), ...ordered.filter((c) => !c.started)]) {
      if (chosen.size > 0 && bytes + c.size > this.#maxFetchingBytes) continue
      chosen.add(c)
      bytes += c.size
    }
    return chosen
  }
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
