/** Options of {@link ReadCacheBudget}. */
export interface ReadCacheBudgetOptions {
  /** Bytes of cached pieces and buffers kept for reuse, all caches together, at most. */
  readonly maxBytes: number
}

/** One piece a cache holds under the budget. */
interface Held {
  readonly size: number
  readonly drop: () => void
}

/**
 * One bound on the upload read caches of many torrents (a session's), and
 * the buffers they share: each `PieceReadCache` keeps its own bound, and
 * this one caps them all together. Before a cache reads a piece it asks
 * for room (`makeRoom`): buffers kept for reuse at other lengths go first,
 * then the least recently used pieces of any cache, whose buffers come
 * back here (`give`) for the new piece to take (`take`). Without it, a
 * thousand small torrents each keep every piece they served; with a drop
 * that freed nothing, every new piece would be a fresh buffer and every
 * dropped one garbage, and memory would follow the garbage collector.
 *
 * Synchronous and pure (no clock, no I/O); `drop` callbacks run inside
 * `makeRoom` and `admit`.
 *
 * @example
 * const budget = new ReadCacheBudget({ maxBytes: 64 * 1024 * 1024 })
 * const a = new PieceReadCache(storageA, geometryA, { budget })
 * const b = new PieceReadCache(storageB, geometryB, { budget })
 */
export class ReadCacheBudget {
  /** The bound, in bytes. */
  readonly maxBytes: number
  /** Held pieces, least recently used first. */
  readonly #held = new Map<object, Held>()
  /** Buffers kept for reuse, by length, oldest first. */
  readonly #kept = new Map<number, Uint8Array[]>()
  #bytes = 0
  #pooled = 0

  /** @throws RangeError when `maxBytes` is not a non-negative integer */
  constructor (options: ReadCacheBudgetOptions) {
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative integer, got ${options.maxBytes}`)
    this.maxBytes = options.maxBytes
  }

  /** Bytes of the pieces held now, all caches together. */
  get bytes (): number { return this.#bytes }

  /** Pieces held now, all caches together. */
  get pieces (): number { return this.#held.size }

  /** Bytes of the buffers kept for reuse. */
  get pooled (): number { return this.#pooled }

  /**
   * Make room for a piece of `size` bytes to be read into a buffer of
   * `length` bytes: drop kept buffers of other lengths, then the least
   * recently used pieces, until it fits or a kept buffer of `length` can
   * take it.
   */
  makeRoom (size: number, length: number): void {
    while (this.#bytes + this.#pooled + size > this.maxBytes) {
      if ((this.#kept.get(length)?.length ?? 0) > 0) {
        // Taking that buffer turns kept bytes into held ones: room enough when it is as large as the piece.
        if (length >= size) return
      }
      if (this.#dropKept(length)) continue
      const oldest = this.#held.entries().next()
      if (oldest.done === true) return
      const [token, held] = oldest.value
      held.drop()
      this.forget(token)
    }
  }

  /** A kept buffer of exactly `length` bytes, now the caller's; undefined when there is none. */
  take (length: number): Uint8Array | undefined {
    const buffer = this.#kept.get(length)?.shift()
    if (buffer !== undefined) this.#pooled -= buffer.length
    return buffer
  }

  /**
   * Keep `buffer` (no longer read or lent by its cache) for any cache to
   * take: true when pieces and kept buffers together stay within
   * `maxBytes`; false: the garbage collector has it.
   */
  give (buffer: Uint8Array): boolean {
    if (this.#bytes + this.#pooled + buffer.length > this.maxBytes) return false
    const list = this.#kept.get(buffer.length)
    if (list === undefined) this.#kept.set(buffer.length, [buffer])
    else if (list.includes(buffer)) return false
    else list.push(buffer)
    this.#pooled += buffer.length
    return true
  }

  /**
   * Count a piece of `size` bytes under `token` (last in the order). Should
   * the total still be over the bound (no `makeRoom` first), the least
   * recently used others are dropped, never `token`. `drop` must end with
   * `forget(token)`; a drop that does not is forgotten here anyway.
   */
  admit (token: object, size: number, drop: () => void): void {
    this.forget(token)
    this.#held.set(token, { size, drop })
    this.#bytes += size
    for (const [other, held] of this.#held) {
      if (this.#bytes + this.#pooled <= this.maxBytes) break
      if (other === token) continue
      held.drop()
      this.forget(other)
    }
    while (this.#bytes + this.#pooled > this.maxBytes && this.#dropKept(-1)) { /* kept buffers go last */ }
  }

  /** The piece of `token` was used: it goes last in the order. */
  touch (token: object): void {
    const held = this.#held.get(token)
    if (held === undefined) return
    this.#held.delete(token)
    this.#held.set(token, held)
  }

  /** The piece of `token` left its cache (nothing when it is not held). */
  forget (token: object): void {
    const held = this.#held.get(token)
    if (held === undefined) return
    this.#held.delete(token)
    this.#bytes -= held.size
  }

  /** Let the oldest kept buffer whose length is not `spare` go; false when there is none. */
  #dropKept (spare: number): boolean {
    for (const [length, list] of this.#kept) {
      if (length === spare || list.length === 0) continue
      list.shift()
      this.#pooled -= length
      return true
    }
    return false
  }
}
