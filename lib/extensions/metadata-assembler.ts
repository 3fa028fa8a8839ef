/**
 * Collects the 16 KiB pieces of an info dictionary from several peers and
 * verifies the whole against the info-hash.
 * @see BEP 9
 */
import { ProtocolError } from '../errors.js'
import { EXTENSION_LIMITS, METADATA_PIECE_SIZE } from './limits.js'
import { metadataPieceCount, metadataPieceLength } from './ut-metadata.js'

/** Options of {@link MetadataAssembler}. */
export interface MetadataAssemblerOptions {
  /** The info-hash the metadata must hash to. */
  readonly infoHash: Uint8Array
  /** `metadata_size` from the peer's extended handshake. */
  readonly size: number
  /** SHA-1 of one buffer, injected because `lib/` has no crypto. */
  readonly sha1: (data: Uint8Array) => Uint8Array
  /** Largest size accepted. Default `EXTENSION_LIMITS.maxMetadataSize` (16 MiB). */
  readonly maxSize?: number
}

/** What {@link MetadataAssembler.receive} returns. */
export type MetadataReceiveResult =
  | 'more'
  /** The info dictionary's bytes, verified against the info-hash. Run `parseInfoDict` on them next. */
  | { readonly done: Uint8Array }
  /** The assembled bytes did not hash to the info-hash; everything was reset. `failed`: the peers whose pieces were used. */
  | { readonly failed: readonly string[] }

/**
 * Assembles metadata pieces. Pieces are handed out one peer at a time: a
 * piece requested from one peer is not handed to another until it is
 * released (reject, timeout, disconnect). Pieces are copied into one buffer
 * allocated once, zero-filled, at the bounded size.
 */
export class MetadataAssembler {
  /** Size of the metadata in bytes. */
  readonly size: number
  /** Number of 16 KiB pieces. */
  readonly pieceCount: number
  readonly #infoHash: Uint8Array
  readonly #sha1: (data: Uint8Array) => Uint8Array
  readonly #buffer: Uint8Array
  /** Per piece: the peer it came from once received. */
  readonly #from: Array<string | undefined>
  /** Per piece: the peer it is requested from. */
  readonly #requested: Array<string | undefined>
  #received = 0
  #done: Uint8Array | undefined

  /**
   * @throws ProtocolError `bad-metadata-size` (disposition `ignore`) when `size`
   *   is not an integer in 1..maxSize; nothing is allocated then.
   */
  constructor (options: MetadataAssemblerOptions) {
    const maxSize = options.maxSize ?? EXTENSION_LIMITS.maxMetadataSize
    const size = options.size
    if (!Number.isSafeInteger(size) || size <= 0 || size > maxSize) {
      throw new ProtocolError('bad-metadata-size', `metadata size ${size} is not in 1..${maxSize}`, { disposition: 'ignore', details: { size } })
    }
    this.size = size
    this.pieceCount = metadataPieceCount(size)
    this.#infoHash = options.infoHash
    this.#sha1 = options.sha1
    this.#buffer = new Uint8Array(size)
    this.#from = new Array<string | undefined>(this.pieceCount).fill(undefined)
    this.#requested = new Array<string | undefined>(this.pieceCount).fill(undefined)
  }

  /** Fraction of pieces received, 0..1 (1 once done). */
  get progress (): number {
    return this.#done !== undefined ? 1 : this.#received / this.pieceCount
  }

  /**
   * The next piece to request from `peer`: the lowest piece neither received
   * nor requested from anyone; it is then marked requested by `peer`.
   * `undefined` when none is left (or the metadata is complete). Never throws.
   */
  nextRequest (peer: string): number | undefined {
    if (this.#done !== undefined) return undefined
    for (let i = 0; i < this.pieceCount; i++) {
      if (this.#from[i] === undefined && this.#requested[i] === undefined) {
        this.#requested[i] = peer
        return i
      }
    }
    return undefined
  }

  /**
   * Give back a piece requested from `peer` (it rejected it or timed out) so
   * another peer can be asked; without `piece`, every piece requested from
   * `peer` (it disconnected). Never throws.
   */
  release (peer: string, piece?: number): void {
    for (let i = 0; i < this.pieceCount; i++) {
      if ((piece === undefined || piece === i) && this.#requested[i] === peer) this.#requested[i] = undefined
    }
  }

  /**
   * Take piece `piece` from `peer`. The bytes are copied, so `data` may be a
   * view of a wire buffer. A piece already received is ignored (`'more'`).
   * When the last piece arrives the whole is hashed: a match returns
   * `{ done }`; a mismatch clears every piece and request and returns the
   * peers that contributed, to be penalised, and assembly starts over.
   * @throws ProtocolError (disposition `disconnect`): `metadata-size-changed`
   *   (`totalSize` differs from the size we assemble), `metadata-piece-out-of-range`,
   *   `bad-metadata-length` (not 16 KiB, or the remainder for the last piece)
   * @see BEP 9
   */
  receive (peer: string, piece: number, totalSize: number, data: Uint8Array): MetadataReceiveResult {
    if (totalSize !== this.size) {
      throw new ProtocolError('metadata-size-changed', `total_size ${totalSize} differs from ${this.size}`, { details: { peer, totalSize, size: this.size } })
    }
    if (!Number.isInteger(piece) || piece < 0 || piece >= this.pieceCount) {
      throw new ProtocolError('metadata-piece-out-of-range', `piece ${piece} is not in 0..${this.pieceCount - 1}`, { details: { peer, piece } })
    }
    const expected = metadataPieceLength(this.size, piece)
    if (data.length !== expected) {
      throw new ProtocolError('bad-metadata-length', `piece ${piece} has ${data.length} bytes, expected ${expected}`, { details: { peer, piece, length: data.length } })
    }
    if (this.#done !== undefined) return { done: this.#done }
    if (this.#from[piece] !== undefined) return 'more'

    this.#buffer.set(data, piece * METADATA_PIECE_SIZE)
    this.#from[piece] = peer
    this.#requested[piece] = undefined
    this.#received++
    if (this.#received < this.pieceCount) return 'more'

    if (equalBytes(this.#sha1(this.#buffer), this.#infoHash)) {
      this.#done = this.#buffer
      return { done: this.#buffer }
    }
    const failed = [...new Set(this.#from as string[])]
    this.#from.fill(undefined)
    this.#requested.fill(undefined)
    this.#received = 0
    this.#buffer.fill(0)
    return { failed }
  }
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
