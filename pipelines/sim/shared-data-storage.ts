import { Buffer } from 'node:buffer'
import { StorageError } from '../../lib/errors.js'
import type { Storage } from '../../lib/storage/types.js'

/** Options of {@link SharedDataStorage}. */
export interface SharedDataStorageOptions {
  /** Bytes per piece of the torrent the data belongs to. */
  readonly pieceLength: number
  /** Start with every piece present (a seed); default empty. */
  readonly full?: boolean
  /** Called after each write with the number of pieces now held. */
  readonly onWrite?: (piecesHeld: number) => void
  /**
   * Whether bytes written at torrent offset `at` are the canonical ones
   * there; default a byte-for-byte comparison (a simulation's virtual
   * payload compares tags instead).
   */
  readonly same?: (written: Uint8Array, at: number) => boolean
}

/**
 * One simulated peer's copy of a torrent, stored as the difference from one
 * canonical buffer shared by the whole swarm: a piece written with exactly
 * the canonical bytes (compared byte for byte) is a flag, anything else is
 * kept as a private copy of that piece. So a hundred peers of a 64 MiB
 * torrent hold one 64 MiB buffer between them.
 *
 * Reads of pieces held canonically return views into the shared buffer (no
 * copy): callers must not write into them, which the engine never does.
 * Other reads are fresh buffers; bytes never written read as zeros.
 * Every call settles in the turn it is made.
 */
export class SharedDataStorage implements Storage {
  readonly #data: Uint8Array
  readonly #pieceLength: number
  readonly #pieceCount: number
  /** Per piece: 0 absent, 1 canonical. */
  readonly #canonical: Uint8Array
  /** Pieces held as private copies (written partly or with other bytes). */
  readonly #own = new Map<number, Uint8Array>()
  readonly #onWrite: ((n: number) => void) | undefined
  readonly #same: (written: Uint8Array, at: number) => boolean
  #held = 0
  #closed = false

  /**
   * @param data the canonical bytes of the whole torrent, shared, never written
   * @throws RangeError for a piece length that is not a positive integer
   */
  constructor (data: Uint8Array, options: SharedDataStorageOptions) {
    if (!Number.isSafeInteger(options.pieceLength) || options.pieceLength <= 0) throw new RangeError(`bad piece length ${options.pieceLength}`)
    this.#data = data
    this.#pieceLength = options.pieceLength
    this.#pieceCount = Math.ceil(data.length / options.pieceLength)
    this.#canonical = new Uint8Array(this.#pieceCount).fill(options.full === true ? 1 : 0)
    this.#held = options.full === true ? this.#pieceCount : 0
    this.#onWrite = options.onWrite
    this.#same = options.same ?? ((p, at) => Buffer.from(p.buffer, p.byteOffset, p.length).equals(Buffer.from(data.buffer, data.byteOffset + at, p.length)))
  }

  /** Pieces holding data (canonical or not). */
  get piecesHeld (): number { return this.#held }

  /** Whether piece `index` holds data. */
  holds (index: number): boolean {
    return this.#canonical[index] === 1 || this.#own.has(index)
  }

  #pieceEnd (index: number): number {
    return Math.min((index + 1) * this.#pieceLength, this.#data.length)
  }

  #check (offset: number, length: number): void {
    if (this.#closed) throw new StorageError('closed', 'the storage is closed')
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.#data.length) {
      throw new StorageError('out-of-range', `${length} bytes at ${offset} are outside the torrent (${this.#data.length} bytes)`)
    }
  }

  /** Reads `length` bytes at `offset`: a view of the shared data when every piece it spans is canonical. Rejects with StorageError `out-of-range` or `closed`. */
  read (offset: number, length: number): Promise<Uint8Array> {
    try {
      this.#check(offset, length)
      const first = Math.floor(offset / this.#pieceLength)
      const last = length === 0 ? first : Math.floor((offset + length - 1) / this.#pieceLength)
      let allCanonical = true
      for (let i = first; i <= last && allCanonical; i++) allCanonical = this.#canonical[i] === 1
      if (allCanonical) return Promise.resolve(this.#data.subarray(offset, offset + length))
      const out = new Uint8Array(length)
      for (let i = first; i <= last; i++) {
        const start = Math.max(offset, i * this.#pieceLength)
        const end = Math.min(offset + length, this.#pieceEnd(i))
        const own = this.#own.get(i)
        if (own !== undefined) out.set(own.subarray(start - i * this.#pieceLength, end - i * this.#pieceLength), start - offset)
        else if (this.#canonical[i] === 1) out.set(this.#data.subarray(start, end), start - offset)
      }
      return Promise.resolve(out)
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /** Writes `chunks` at `offset`, piece by piece; rejects with StorageError `out-of-range` or `closed`. */
  write (offset: number, chunks: readonly Uint8Array[]): Promise<void> {
    try {
      let length = 0
      for (const c of chunks) length += c.length
      this.#check(offset, length)
      // Each piece's part of the write, as views of the caller's chunks.
      let at = offset
      let index = -1
      let parts: Uint8Array[] = []
      let partsAt = offset
      for (const chunk of chunks) {
        let from = 0
        while (from < chunk.length) {
          const i = Math.floor(at / this.#pieceLength)
          if (i !== index) {
            if (parts.length > 0) this.#writeInPiece(index, partsAt, parts)
            index = i
            parts = []
            partsAt = at
          }
          const n = Math.min(chunk.length - from, this.#pieceEnd(i) - at)
          parts.push(chunk.subarray(from, from + n))
          from += n
          at += n
        }
      }
      if (parts.length > 0) this.#writeInPiece(index, partsAt, parts)
      this.#onWrite?.(this.#held)
      return Promise.resolve()
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /** Writes `parts`, contiguous from `at`, all inside piece `index`. */
  #writeInPiece (index: number, at: number, parts: readonly Uint8Array[]): void {
    const start = index * this.#pieceLength
    const end = this.#pieceEnd(index)
    const wasHeld = this.holds(index)
    let length = 0
    let same = true
    for (const p of parts) {
      same &&= this.#same(p, at + length)
      length += p.length
    }
    if (at === start && length === end - start && same) {
      this.#own.delete(index)
      this.#canonical[index] = 1
    } else {
      let own = this.#own.get(index)
      if (own === undefined) {
        own = new Uint8Array(end - start)
        if (this.#canonical[index] === 1) own.set(this.#data.subarray(start, end))
        this.#own.set(index, own)
        this.#canonical[index] = 0
      }
      let pos = at - start
      for (const p of parts) { own.set(p, pos); pos += p.length }
    }
    if (!wasHeld) this.#held++
  }

  /** Nothing to flush. */
  async flush (): Promise<void> {}

  /** True while no piece is held, so a re-check reads nothing. */
  async isEmpty (): Promise<boolean> {
    return this.#held === 0
  }

  /** Further calls reject with StorageError `closed`. */
  async close (): Promise<void> {
    this.#closed = true
  }
}
