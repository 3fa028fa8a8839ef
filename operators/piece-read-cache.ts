import type { PieceGeometry } from '../lib/pieces/geometry.js'
import { pieceLengthAt } from '../lib/pieces/geometry.js'
import type { Storage } from '../lib/storage/types.js'
import { LeasedBytes } from '../lib/transport/leased-bytes.js'
import type { ReadCacheBudget } from './read-cache-budget.js'

/** Options of {@link PieceReadCache}. */
export interface PieceReadCacheOptions {
  /** Most bytes of whole pieces kept (cached, and buffers waiting for reuse); default 16 MiB. Pieces larger than a quarter of it are read block by block. */
  readonly maxBytes?: number
  /**
   * A bound shared with other torrents' caches (a session's): pieces read
   * here count against it too, it may drop them for another cache's, and
   * piece buffers are reused through it (this cache then keeps none itself).
   */
  readonly budget?: ReadCacheBudget
}

/** One cached piece: its buffer, the read that fills it, and the views of it still out. */
interface Entry {
  readonly index: number
  readonly size: number
  /** The whole buffer (a pooled one may be longer than a short last piece). */
  buffer: Uint8Array
  ready: Promise<void>
  /** Leases not yet released, plus one while the read runs. */
  refs: number
  /** Out of the LRU order: the buffer goes back to the pool once `refs` reaches 0. */
  evicted: boolean
  /** A plain `read` handed out a view that is never given back: the buffer is never reused. */
  pinned: boolean
  /** The read has filled the buffer. */
  loaded: boolean
  /** Gives one lease back (one function per piece, shared by all its leases). */
  readonly unref: () => void
}

/**
 * Serves upload reads from whole pieces: the first request for a piece reads
 * all of it from storage once, later blocks of that piece are views into the
 * same buffer. Peers request pieces block after block, so this turns one
 * storage read per 16 KiB block into one per piece. Bounded by `maxBytes`,
 * least recently used pieces go first; a failed read is not cached.
 *
 * Piece buffers are reused: with a storage that has `readInto`, a piece is
 * read into a buffer given back by an evicted piece once every
 * {@link PieceReadCache.lease} of it has been released (a transport
 * releases a {@link LeasedBytes} once the kernel has the bytes). A fresh
 * buffer per piece made a 1 GiB upload allocate a gigabyte of memory the
 * garbage collector then had to find and free (a full collection every
 * ~15 MiB). Memory stays bounded: at most `maxBytes` of cached pieces, plus
 * evicted pieces whose leases are still out (bounded by what the
 * connections' send buffers hold); a lease never released only means its
 * buffer is left to the garbage collector instead of reused.
 */
export class PieceReadCache {
  readonly #storage: Storage
  readonly #g: PieceGeometry
  readonly #maxBytes: number
  readonly #budget: ReadCacheBudget | undefined
  /** Cached pieces, least recently used first. */
  readonly #pieces = new Map<number, Entry>()
  /** Buffers of `pieceLength` bytes ready for another piece. */
  readonly #free: Uint8Array[] = []
  #bytes = 0
  /** The entry last inserted or moved to the end of `#pieces`. */
  #newest: Entry | undefined

  constructor (storage: Storage, geometry: PieceGeometry, options: PieceReadCacheOptions = {}) {
    this.#storage = storage
    this.#g = geometry
    this.#maxBytes = options.maxBytes ?? 16 * 1024 * 1024
    this.#budget = options.budget
  }

  /**
   * Bytes `[begin, begin + length)` of piece `index`, as a view the caller
   * may keep for good (its piece buffer is then never reused). Rejects as the
   * storage does.
   */
  async read (index: number, begin: number, length: number): Promise<Uint8Array> {
    const size = pieceLengthAt(this.#g, index)
    if (size > this.#maxBytes / 4) return await this.#storage.read(index * this.#g.pieceLength + begin, length)
    const entry = this.#entry(index, size)
    entry.pinned = true
    await entry.ready
    return entry.buffer.subarray(begin, begin + length)
  }

  /**
   * The same bytes as {@link PieceReadCache.read}, lent: call `release()` on
   * the result once done with it (a transport does so once the bytes are
   * written), and the piece's buffer may serve another piece. Rejects as the
   * storage does.
   */
  async lease (index: number, begin: number, length: number): Promise<LeasedBytes> {
    const size = pieceLengthAt(this.#g, index)
    if (size > this.#maxBytes / 4) {
      const own = await this.#storage.read(index * this.#g.pieceLength + begin, length)
      return new LeasedBytes(own.buffer, own.byteOffset, own.length)
    }
    const entry = this.#entry(index, size)
    entry.refs++
    try {
      await entry.ready
    } catch (err) {
      this.#unref(entry)
      throw err
    }
    const buf = entry.buffer
    return new LeasedBytes(buf.buffer, buf.byteOffset + begin, length, entry.unref)
  }

  /**
   * {@link PieceReadCache.lease} when the piece is cached and its read has
   * finished: the lease at once, with no promise and no turn of the event
   * loop; otherwise `undefined` (nothing is read or reserved then).
   */
  leaseCached (index: number, begin: number, length: number): LeasedBytes | undefined {
    const entry = this.#pieces.get(index)
    if (entry === undefined || !entry.loaded) return undefined
    this.#touch(entry)
    entry.refs++
    const buf = entry.buffer
    return new LeasedBytes(buf.buffer, buf.byteOffset + begin, length, entry.unref)
  }

  /** Whether piece `index` is cached and read, so {@link PieceReadCache.leaseCached} lends its blocks at once. */
  cached (index: number): boolean {
    return this.#pieces.get(index)?.loaded === true
  }

  /** Drop a piece (after it changed in storage). */
  invalidate (index: number): void {
    const entry = this.#pieces.get(index)
    if (entry !== undefined) this.#evict(entry)
  }

  /**
   * Drop every piece (the torrent stopped): the shared budget forgets them
   * and takes their buffers back; leases still out stay valid.
   */
  clear (): void {
    for (const entry of [...this.#pieces.values()]) this.#evict(entry)
    this.#free.length = 0
  }

  /** Bytes of the pieces cached now. */
  get bytes (): number { return this.#bytes }

  /** Buffers waiting to be reused (for tests). */
  get pooled (): number { return this.#free.length }

  /** The cached entry of piece `index`, refreshed in the LRU order, or a new one whose read has started. */
  #entry (index: number, size: number): Entry {
    const cached = this.#pieces.get(index)
    if (cached !== undefined) {
      this.#touch(cached)
      return cached
    }
    // Room first, so a buffer given back by the piece evicted now can take this one.
    while (this.#bytes + size > this.#maxBytes && this.#pieces.size > 0) this.#evict(this.#pieces.values().next().value as Entry)
    const storage = this.#storage
    const reuse = storage.readInto !== undefined
    this.#budget?.makeRoom(size, this.#g.pieceLength)
    const pooled = reuse ? (this.#budget?.take(this.#g.pieceLength) ?? this.#free.pop()) : undefined
    const buffer = pooled ?? new Uint8Array(reuse ? this.#g.pieceLength : size)
    const offset = index * this.#g.pieceLength
    const entry: Entry = { index, size, buffer, ready: Promise.resolve(), refs: 1, evicted: false, pinned: !reuse, loaded: false, unref: () => { this.#unref(entry) } }
    entry.ready = reuse
      ? (storage.readInto?.(offset, buffer.subarray(0, size)) as Promise<Uint8Array>).then(() => {})
      : storage.read(offset, size).then((data) => { entry.buffer = data })
    this.#pieces.set(index, entry)
    this.#newest = entry
    this.#bytes += size
    this.#budget?.admit(entry, size, () => { this.#evict(entry) })
    // The read's own reference ends when it settles; a failed piece leaves the cache.
    entry.ready.then(() => { entry.loaded = true; this.#unref(entry) }, () => { this.#evict(entry); this.#unref(entry) })
    return entry
  }

  /**
   * Make `entry` the most recently used here and in the shared budget. The
   * piece used last already is last in `#pieces` (a batch of blocks of one
   * piece moves it once, not once per block: a Map delete and set per block
   * kept the map rehashing).
   */
  #touch (entry: Entry): void {
    this.#budget?.touch(entry)
    if (entry === this.#newest) return
    this.#newest = entry
    this.#pieces.delete(entry.index)
    this.#pieces.set(entry.index, entry)
  }

  #evict (entry: Entry): void {
    if (entry.evicted) return
    entry.evicted = true
    if (this.#newest === entry) this.#newest = undefined
    if (this.#pieces.get(entry.index) === entry) this.#pieces.delete(entry.index)
    this.#bytes -= entry.size
    this.#budget?.forget(entry)
    this.#recycle(entry)
  }

  #unref (entry: Entry): void {
    entry.refs--
    this.#recycle(entry)
  }

  /** An evicted piece whose views are all back gives its buffer to the pool, or to the shared budget (if either has room). */
  #recycle (entry: Entry): void {
    if (!entry.evicted || entry.refs > 0 || entry.pinned) return
    if (entry.buffer.length !== this.#g.pieceLength) return
    if (this.#budget !== undefined) {
      entry.pinned = true // given back once only
      this.#budget.give(entry.buffer)
      return
    }
    // Cached and pooled pieces together stay within maxBytes (and one piece).
    if (this.#bytes + this.#free.length * this.#g.pieceLength > this.#maxBytes) return
    entry.pinned = true // given back once only
    this.#free.push(entry.buffer)
  }
}
