/** Options of {@link BufferPool}. */
export interface BufferPoolOptions {
  /** Makes a new buffer of `length` bytes; default a zero-filled `Uint8Array`. */
  readonly allocate?: (length: number) => Uint8Array
  /** Free buffers kept for reuse at most (all lengths together); default 32. */
  readonly maxFree?: number
  /** Bytes of free buffers kept at most (all lengths together); default 64 MiB, so large pieces keep fewer. */
  readonly maxFreeBytes?: number
}

/**
 * Reusable piece buffers. A download gathers every piece into a buffer of the
 * piece's length, and at hundreds of megabytes a second fresh buffers would
 * pile up faster than the garbage collector frees them (shared memory above
 * all); released buffers are handed out again instead. A buffer must be
 * released only once nothing reads or writes it any more.
 *
 * Reused buffers are not cleared: every byte of a piece buffer is written by
 * its blocks before the piece is used.
 */
export class BufferPool {
  readonly #allocate: (length: number) => Uint8Array
  readonly #maxFree: number
  readonly #maxFreeBytes: number
  #freeBytes = 0
  readonly #free = new Map<number, Uint8Array[]>()
  readonly #owned = new WeakSet<Uint8Array>()
  #freeCount = 0
  #allocated = 0

  constructor (options: BufferPoolOptions = {}) {
    this.#allocate = options.allocate ?? ((n) => new Uint8Array(n))
    this.#maxFree = Math.max(0, options.maxFree ?? 32)
    this.#maxFreeBytes = Math.max(0, options.maxFreeBytes ?? 64 * 1024 * 1024)
  }

  /** Buffers made so far (not counting reuse). */
  get allocated (): number { return this.#allocated }
  /** Buffers waiting for reuse. */
  get free (): number { return this.#freeCount }
  /** Bytes of the buffers waiting for reuse. */
  get freeBytes (): number { return this.#freeBytes }

  /** A buffer of exactly `length` bytes: a released one if any, else a new one. */
  acquire (length: number): Uint8Array {
    const list = this.#free.get(length)
    const reused = list?.pop()
    if (reused !== undefined) {
      this.#freeCount--
      this.#freeBytes -= reused.length
      return reused
    }
    this.#allocated++
    const buffer = this.#allocate(length)
    this.#owned.add(buffer)
    return buffer
  }

  /**
   * Give a buffer back for reuse; one this pool did not make is ignored, and
   * so is a second release. `adopt` takes a buffer the pool did not make
   * (one of its own that came back as a new object, after a transfer to
   * another thread and back).
   */
  release (buffer: Uint8Array, options: { adopt?: boolean } = {}): void {
    if (options.adopt === true && buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) this.#owned.add(buffer)
    if (!this.#owned.has(buffer)) return
    if (this.#freeCount >= this.#maxFree || this.#freeBytes + buffer.length > this.#maxFreeBytes) return
    const list = this.#free.get(buffer.length)
    if (list === undefined) this.#free.set(buffer.length, [buffer])
    else if (!list.includes(buffer)) list.push(buffer)
    else return
    this.#freeCount++
    this.#freeBytes += buffer.length
  }
}
