import { StorageError } from '../errors.js'
import type { Storage } from './types.js'

/** Options of {@link MemoryStorage}. */
export interface MemoryStorageOptions {
  /** Bytes per lazily allocated page; default 64 KiB. */
  readonly pageSize?: number
}

const DEFAULT_PAGE_SIZE = 64 * 1024

/**
 * Torrent data held in memory, for tests and the swarm simulator. Pages are
 * allocated on first write (zero-filled), so a large, mostly empty torrent
 * costs memory only for what was written; unwritten bytes read as zeros.
 * Every call completes in the same turn it is made (a settled promise).
 * Writes copy the caller's chunks, so callers may reuse their buffers.
 * @see BEP 3
 */
export class MemoryStorage implements Storage {
  readonly length: number
  readonly #pageSize: number
  readonly #pages = new Map<number, Uint8Array>()
  #closed = false

  /**
   * @param length total bytes of the torrent
   * @throws RangeError when `length` or `pageSize` is not a non-negative safe integer
   */
  constructor (length: number, options: MemoryStorageOptions = {}) {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`bad storage length ${length}`)
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE
    if (!Number.isSafeInteger(pageSize) || pageSize <= 0) throw new RangeError(`bad page size ${pageSize}`)
    this.length = length
    this.#pageSize = pageSize
  }

  /**
   * Read `length` bytes at `offset` into a new zero-filled buffer.
   * Rejects with StorageError `out-of-range` or `closed`, or the signal's reason when aborted.
   */
  read (offset: number, length: number, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    try {
      this.#check(offset, length, options.signal)
      const out = new Uint8Array(length)
      this.#eachPage(offset, length, (page, pageOffset, bufferOffset, n) => {
        const p = this.#pages.get(page)
        if (p !== undefined) out.set(p.subarray(pageOffset, pageOffset + n), bufferOffset)
      })
      return Promise.resolve(out)
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /**
   * Copy `chunks`, in order, to `offset`.
   * Rejects with StorageError `out-of-range` or `closed`, or the signal's reason when aborted.
   */
  write (offset: number, chunks: readonly Uint8Array[], options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      let length = 0
      for (const c of chunks) length += c.length
      this.#check(offset, length, options.signal)
      let pos = offset
      for (const chunk of chunks) {
        this.#eachPage(pos, chunk.length, (page, pageOffset, bufferOffset, n) => {
          let p = this.#pages.get(page)
          if (p === undefined) {
            p = new Uint8Array(Math.min(this.#pageSize, this.length - page * this.#pageSize))
            this.#pages.set(page, p)
          }
          p.set(chunk.subarray(bufferOffset, bufferOffset + n), pageOffset)
        })
        pos += chunk.length
      }
      return Promise.resolve()
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /** Nothing to flush; rejects with StorageError `closed` after `close`. */
  flush (): Promise<void> {
    return this.#closed ? Promise.reject(closedError()) : Promise.resolve()
  }

  /** Drop the data; later calls reject with StorageError `closed`. Idempotent. */
  close (): Promise<void> {
    this.#closed = true
    this.#pages.clear()
    return Promise.resolve()
  }

  #check (offset: number, length: number, signal: AbortSignal | undefined): void {
    signal?.throwIfAborted()
    if (this.#closed) throw closedError()
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.length) {
      throw new StorageError('out-of-range', `range ${offset}+${length} is outside the storage (${this.length} bytes)`, {
        details: { offset, length, total: this.length }
      })
    }
  }

  #eachPage (offset: number, length: number, fn: (page: number, pageOffset: number, bufferOffset: number, n: number) => void): void {
    let pos = offset
    const end = offset + length
    while (pos < end) {
      const page = Math.floor(pos / this.#pageSize)
      const pageOffset = pos - page * this.#pageSize
      const n = Math.min(this.#pageSize - pageOffset, end - pos)
      fn(page, pageOffset, pos - offset, n)
      pos += n
    }
  }
}

function closedError (): StorageError {
  return new StorageError('closed', 'storage is closed')
}
