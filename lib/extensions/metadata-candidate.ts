/**
 * One candidate metadata size during a magnet fetch: the peers that stated
 * it, and the 16 KiB pieces received for it, each attributed to the peer it
 * came from. Used by {@link MetadataCandidates}, which decides which
 * candidate is fetched and what happens when one fails its hash.
 * @see BEP 9
 */
import { METADATA_PIECE_SIZE } from './limits.js'
import { metadataPieceCount } from './ut-metadata.js'

/**
 * The pieces of one candidate size. Piece bytes are allocated only as they
 * arrive (a copy of 16 KiB each), so a candidate nobody serves costs two
 * small arrays. A piece is requested from one peer, or, once every missing
 * piece is requested, from more peers (fewest first), so one slow peer does
 * not hold a piece up; the first of them to answer fills it, and the others'
 * requests for it are forgotten. Only a peer it was requested from may fill it.
 */
export class MetadataCandidate {
  /** The stated `metadata_size`. */
  readonly size: number
  /** Number of 16 KiB pieces. */
  readonly pieceCount: number
  /** Order of creation, for stable tie-breaking. */
  readonly seq: number
  /** The peers that stated this size, in the order they did. */
  readonly supporters = new Set<string>()
  /**
   * One source at a time: set after an assembly from several peers failed
   * its hash, so the next failure names exactly one peer.
   */
  solo = false
  /** In solo mode, the peer fetching every piece. */
  soloPeer: string | undefined
  readonly #pieces: Array<Uint8Array | undefined>
  readonly #from: Array<string | undefined>
  /** Per piece: the peers it is requested from, with the time of the request. */
  readonly #requests: Array<Map<string, number> | undefined>
  #received = 0
  #requested = 0

  constructor (size: number, seq: number) {
    this.size = size
    this.seq = seq
    this.pieceCount = metadataPieceCount(size)
    this.#pieces = new Array<Uint8Array | undefined>(this.pieceCount).fill(undefined)
    this.#from = new Array<string | undefined>(this.pieceCount).fill(undefined)
    this.#requests = new Array<Map<string, number> | undefined>(this.pieceCount).fill(undefined)
  }

  /** Pieces received so far. */
  get received (): number { return this.#received }

  /** Bytes held for received pieces. */
  get bytesHeld (): number { return this.#received * METADATA_PIECE_SIZE }

  /** True once a piece was received or is requested: the candidate is being fetched. */
  get started (): boolean { return this.#received > 0 || this.#requested > 0 }

  /** True when every piece is in. */
  get complete (): boolean { return this.#received === this.pieceCount }

  /** Requests outstanding at `peer`. */
  inFlight (peer: string): number {
    let n = 0
    for (const r of this.#requests) if (r?.has(peer) === true) n++
    return n
  }

  /**
   * The piece to request from `peer` at `now`, now marked requested by it:
   * the lowest missing piece nobody was asked for, else the missing piece
   * asked of the fewest other peers; `undefined` when none is left.
   */
  take (peer: string, now: number): number | undefined {
    let best: number | undefined
    let fewest = Infinity
    for (let i = 0; i < this.pieceCount && fewest > 0; i++) {
      const r = this.#requests[i]
      if (this.#from[i] !== undefined || r?.has(peer) === true) continue
      const n = r?.size ?? 0
      if (n < fewest) { best = i; fewest = n }
    }
    if (best === undefined) return undefined
    const r = this.#requests[best] ?? new Map<string, number>()
    r.set(peer, now)
    this.#requests[best] = r
    this.#requested++
    return best
  }

  /** Give back `piece` (or every piece) requested from `peer`. */
  release (peer: string, piece?: number): void {
    for (let i = 0; i < this.pieceCount; i++) {
      if ((piece === undefined || piece === i) && this.#requests[i]?.delete(peer) === true) this.#requested--
    }
  }

  /**
   * Store `data` (copied) as `piece` from `peer`; the piece's other
   * requests are forgotten. False, and nothing stored, when the piece was
   * not requested from `peer` (unsolicited, released, or already filled by
   * another peer) or is already in.
   */
  store (peer: string, piece: number, data: Uint8Array): boolean {
    const r = this.#requests[piece]
    if (r?.has(peer) !== true || this.#from[piece] !== undefined) return false
    this.#requested -= r.size
    this.#requests[piece] = undefined
    this.#pieces[piece] = data.slice()
    this.#from[piece] = peer
    this.#received++
    return true
  }

  /** The peers whose pieces are held, in piece order. */
  contributors (): string[] {
    return [...new Set(this.#from.filter((p): p is string => p !== undefined))]
  }

  /** The whole metadata, once {@link complete}: one buffer of `size` bytes. */
  assemble (): Uint8Array {
    const out = new Uint8Array(this.size)
    this.#pieces.forEach((p, i) => { if (p !== undefined) out.set(p, i * METADATA_PIECE_SIZE) })
    return out
  }

  /** Forget every piece and request. */
  clear (): void {
    this.#pieces.fill(undefined)
    this.#from.fill(undefined)
    this.#requests.fill(undefined)
    this.#received = 0
    this.#requested = 0
  }

  /** Peers with a request outstanding since before `deadline`. */
  overdue (deadline: number): string[] {
    const late = new Set<string>()
    for (const r of this.#requests) for (const [p, at] of r ?? []) if (at <= deadline) late.add(p)
    return [...late]
  }
}
