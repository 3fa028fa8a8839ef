import type { PieceGeometry } from '../lib/pieces/geometry.js'
import { pieceLengthAt } from '../lib/pieces/geometry.js'
import type { Storage } from '../lib/storage/types.js'

/** Options of {@link PieceReadCache}. */
export interface PieceReadCacheOptions {
  /** Most bytes of whole pieces kept; default 32 MiB. Pieces larger than a quarter of it are read block by block. */
  readonly maxBytes?: number
}

/**
 * Serves upload reads from whole pieces: the first request for a piece reads
 * all of it from storage once, later blocks of that piece are views into the
 * same buffer. Peers request pieces block after block, so this turns one
 * storage read per 16 KiB block into one per piece. Bounded by `maxBytes`,
 * least recently used pieces go first; a failed read is not cached.
 */
export class PieceReadCache {
  readonly #storage: Storage
  readonly #g: PieceGeometry
  readonly #maxBytes: number
  readonly #pieces = new Map<number, Promise<Uint8Array>>()
  #bytes = 0

  constructor (storage: Storage, geometry: PieceGeometry, options: PieceReadCacheOptions = {}) {
    this.#storage = storage
    this.#g = geometry
    this.#maxBytes = options.maxBytes ?? 32 * 1024 * 1024
  }

  /** Bytes `[begin, begin + length)` of piece `index`. Rejects as the storage does. */
  async read (index: number, begin: number, length: number): Promise<Uint8Array> {
    const size = pieceLengthAt(this.#g, index)
    if (size > this.#maxBytes / 4) return await this.#storage.read(index * this.#g.pieceLength + begin, length)
    let piece = this.#pieces.get(index)
    if (piece === undefined) {
      piece = this.#storage.read(index * this.#g.pieceLength, size)
      this.#pieces.set(index, piece)
      this.#bytes += size
      piece.catch(() => { this.#forget(index, size) })
      while (this.#bytes > this.#maxBytes) {
        const oldest = this.#pieces.keys().next().value as number
        this.#forget(oldest, pieceLengthAt(this.#g, oldest))
      }
    } else {
      // Refresh its place in the LRU order.
      this.#pieces.delete(index)
      this.#pieces.set(index, piece)
    }
    const data = await piece
    return data.subarray(begin, begin + length)
  }

  /** Drop a piece (after it changed in storage). */
  invalidate (index: number): void {
    if (this.#pieces.has(index)) this.#forget(index, pieceLengthAt(this.#g, index))
  }

  get bytes (): number { return this.#bytes }

  #forget (index: number, size: number): void {
    if (this.#pieces.delete(index)) this.#bytes -= size
  }
}
