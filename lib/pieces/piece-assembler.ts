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
  /** The blocks in order (views of the received chunks), or one buffer holding the whole piece when the assembler gathers. */
  readonly blocks: readonly Uint8Array[]
  readonly length: number
  /** Peers that sent blocks of the piece, each once, in order of first block. */
  readonly contributors: readonly PeerKey[]
}

/** Options of {@link PieceAssembler}. */
export interface PieceAssemblerOptions {
  /** Block size the pieces were requested in; default 16 KiB. */
  readonly blockSize?: number
  /** Most block bytes held at once; default `max(DEFAULT_MAX_BUFFERED_BYTES, 2 × pieceLength)`. */
  readonly maxBufferedBytes?: number
  /**
   * Gather each piece into one buffer from this allocator (called with the
   * piece's length when its first block arrives) instead of keeping the
   * blocks' views. Costs one copy per byte; in return the received chunks can
   * be freed at once, the piece is hashed and written as one buffer, and the
   * buffer may be shared memory another thread hashes. The whole piece's
   * length then counts against `maxBufferedBytes` from its first block on.
   */
  readonly allocate?: (length: number) => Uint8Array
  /** Receives the buffer of a gathered piece that is dropped unfinished (`drop`), e.g. to pool it. */
  readonly free?: (buffer: Uint8Array) => void
}

interface Pending {
  /** The piece's buffer when gathering (`allocate`), else undefined. */
  readonly buffer: Uint8Array | undefined
  /** Each block's view, or (when gathering) the piece's buffer for a block held; undefined while missing. */
  readonly blocks: Array<Uint8Array | undefined>
  readonly from: Array<PeerKey | undefined>
  received: number
  bytes: number
}

/**
 * Holds received blocks until a piece is whole, then hands the piece over and
 * forgets it. Blocks are kept as the views they arrive in (no copy), or, with
 * `allocate`, copied into one buffer per piece. Shared
 * by all peers of a torrent; memory is bounded by `maxBufferedBytes`.
 * @see BEP 3 (piece)
 */
export class PieceAssembler {
  readonly #g: PieceGeometry
  readonly #blockSize: number
  readonly #max: number
  readonly #allocate: ((length: number) => Uint8Array) | undefined
  readonly #free: ((buffer: Uint8Array) => void) | undefined
  readonly #pending = new Map<number, Pending>()
  #buffered = 0

  constructor (g: PieceGeometry, options: PieceAssemblerOptions = {}) {
    this.#g = g
    this.#blockSize = options.blockSize ?? BEP3.BLOCK_SIZE
    if (!Number.isInteger(this.#blockSize) || this.#blockSize <= 0) throw new RangeError(`bad block size ${this.#blockSize}`)
    this.#max = options.maxBufferedBytes ?? Math.max(DEFAULT_MAX_BUFFERED_BYTES, 2 * g.pieceLength)
    this.#allocate = options.allocate
    this.#free = options.free
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
    const gather = this.#allocate
    // Gathering reserves the whole piece at its first block; otherwise each block counts.
    const cost = gather === undefined ? block.length : p === undefined ? pieceLengthAt(this.#g, index) : 0
    if (this.#buffered + cost > this.#max) {
      throw new RxTorrentError('buffer-full', `assembler holds ${this.#buffered} bytes, limit ${this.#max}`, { disposition: 'ignore', details: { index, begin, limit: this.#max } })
    }
    if (p === undefined) {
      const count = blockCount(this.#g, index, this.#blockSize)
      const buffer = gather === undefined ? undefined : gather(pieceLengthAt(this.#g, index))
      p = { buffer, blocks: new Array<Uint8Array | undefined>(count).fill(undefined), from: new Array<PeerKey | undefined>(count).fill(undefined), received: 0, bytes: 0 }
      this.#pending.set(index, p)
    }
    if (p.buffer === undefined) {
      p.blocks[n] = block
    } else {
      p.buffer.set(block, begin)
      // The piece's buffer marks the block as held (no view per block: one
      // fewer object per 16 KiB on the hot path); the piece leaves as that buffer.
      p.blocks[n] = p.buffer
    }
    p.from[n] = peer
    p.received++
    p.bytes += block.length
    this.#buffered += cost
    if (p.received < p.blocks.length) return undefined
    this.#pending.delete(index)
    this.#buffered -= p.buffer === undefined ? p.bytes : p.buffer.length
    const blocks = p.buffer === undefined ? p.blocks as Uint8Array[] : [p.buffer]
    return { index, blocks, length: p.bytes, contributors: [...new Set(p.from as PeerKey[])] }
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
    this.#buffered -= p.buffer === undefined ? p.bytes : p.buffer.length
    if (p.buffer !== undefined) this.#free?.(p.buffer)
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
