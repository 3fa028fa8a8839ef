import { BEP3 } from '../constants.js'
import { ProtocolError, RxTorrentError } from '../errors.js'
import type { PieceGeometry } from './geometry.js'
import { blockCount, pieceLengthAt } from './geometry.js'
import type { PeerKey } from './request-planner.js'

/** Default cap on block bytes held by a {@link PieceAssembler}: 64 MiB, or two pieces when pieces are larger. */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024

/** A piece whose every block has arrived, not yet verified. */
export interface CompletePiece {
  readonly index: number
  /** The blocks in order; views of the received chunks, not copies. */
  readonly blocks: readonly Uint8Array[]
  readonly length: number
  /** Peers that sent blocks of the piece, each once, in order of first block. */
  readonly contributors: readonly PeerKey[]
}

export interface PieceAssemblerOptions {
  /** Block size the pieces were requested in; default 16 KiB. */
  readonly blockSize?: number
  /** Most block bytes held at once; default `max(DEFAULT_MAX_BUFFERED_BYTES, 2 × pieceLength)`. */
  readonly maxBufferedBytes?: number
}

interface Pending {
  readonly blocks: Array<Uint8Array | undefined>
  readonly from: Array<PeerKey | undefined>
  received: number
  bytes: number
}

/**
 * Holds received blocks until a piece is whole, then hands the piece over and
 * forgets it. Blocks are kept as the views they arrive in (no copy). Shared
 * by all peers of a torrent; memory is bounded by `maxBufferedBytes`.
 * @see BEP 3 (piece)
 */
export class PieceAssembler {
  readonly #g: PieceGeometry
  readonly #blockSize: number
  readonly #max: number
  readonly #pending = new Map<number, Pending>()
  #buffered = 0

  constructor (g: PieceGeometry, options: PieceAssemblerOptions = {}) {
    this.#g = g
    this.#blockSize = options.blockSize ?? BEP3.BLOCK_SIZE
    if (!Number.isInteger(this.#blockSize) || this.#blockSize <= 0) throw new RangeError(`bad block size ${this.#blockSize}`)
    this.#max = options.maxBufferedBytes ?? Math.max(DEFAULT_MAX_BUFFERED_BYTES, 2 * g.pieceLength)
  }

  /** Block bytes currently held. */
  get bufferedBytes (): number { return this.#buffered }

  /** Pieces with some blocks held. */
  get pendingPieces (): number { return this.#pending.size }

  /**
   * Store a block (keeps the view, no copy); returns the whole piece when its
   * last block arrives, and forgets it. A second copy of a block already held
   * is ignored (the first is kept).
   * @throws ProtocolError `bad-block` (disconnect) for a block that doesn't
   *   fit the geometry: piece out of range, offset not on the block grid,
   *   wrong length (ADVERSARIAL C38).
   * @throws RxTorrentError `buffer-full` (ignore) when holding the block would
   *   exceed `maxBufferedBytes`; the block is dropped and should be requested again.
   */
  add (peer: PeerKey, index: number, begin: number, block: Uint8Array): CompletePiece | undefined {
    const n = this.#blockNumber(index, begin, block.length)
    let p = this.#pending.get(index)
    if (p?.blocks[n] !== undefined) return undefined
    if (this.#buffered + block.length > this.#max) {
      throw new RxTorrentError('buffer-full', `assembler holds ${this.#buffered} bytes, limit ${this.#max}`, { disposition: 'ignore', details: { index, begin, limit: this.#max } })
    }
    if (p === undefined) {
      const count = blockCount(this.#g, index, this.#blockSize)
      p = { blocks: new Array<Uint8Array | undefined>(count).fill(undefined), from: new Array<PeerKey | undefined>(count).fill(undefined), received: 0, bytes: 0 }
      this.#pending.set(index, p)
    }
    p.blocks[n] = block
    p.from[n] = peer
    p.received++
    p.bytes += block.length
    this.#buffered += block.length
    if (p.received < p.blocks.length) return undefined
    this.#pending.delete(index)
    this.#buffered -= p.bytes
    return { index, blocks: p.blocks as Uint8Array[], length: p.bytes, contributors: [...new Set(p.from as PeerKey[])] }
  }

  /** True when the block starting at `begin` of piece `index` is held. */
  holds (index: number, begin: number): boolean {
    const p = this.#pending.get(index)
    if (p === undefined || begin % this.#blockSize !== 0) return false
    return p.blocks[begin / this.#blockSize] !== undefined
  }

  /** Forget the blocks held for a piece (its download was abandoned). */
  drop (index: number): void {
    const p = this.#pending.get(index)
    if (p === undefined) return
    this.#pending.delete(index)
    this.#buffered -= p.bytes
  }

  #blockNumber (index: number, begin: number, length: number): number {
    const bad = (why: string): ProtocolError =>
      new ProtocolError('bad-block', `block ${index}:${begin}+${length} ${why}`, { details: { index, begin, length } })
    if (!Number.isInteger(index) || index < 0 || index >= this.#g.pieceCount) throw bad('is for a piece out of range')
    const size = pieceLengthAt(this.#g, index)
    if (!Number.isInteger(begin) || begin < 0 || begin >= size) throw bad('starts outside the piece')
    if (begin % this.#blockSize !== 0) throw bad('is not on the block grid')
    if (length !== Math.min(this.#blockSize, size - begin)) throw bad('has the wrong length')
    return begin / this.#blockSize
  }
}
