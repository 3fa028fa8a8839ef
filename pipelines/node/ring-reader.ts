import type { Socket } from 'node:net'

/** Options of {@link RingReader}. */
export interface RingReaderOptions {
  /**
   * Size of each read buffer; default 256 KiB. A busy loopback connection
   * fills most of it per read: a quarter of the reads (and of the chunks the
   * pipeline steps through) that 64 KiB buffers take.
   */
  readonly chunkBytes?: number
  /** Chunks read ahead of the consumer before the socket is paused; default 4. */
  readonly readAhead?: number
}

/**
 * Socket reads into a small ring of reused buffers (Node's `onread`), so a
 * busy connection allocates nothing per read: at hundreds of megabytes a
 * second, a fresh 64 KiB buffer per read is what drives the garbage
 * collector. The chunks it yields are borrowed: each is valid only until the
 * consumer pulls the next one (`FrameDecoder`'s `borrowedChunks`).
 *
 * Create it before the socket, pass `onread` to `net.connect`, then `attach`
 * the socket. Backpressure: after `readAhead` unread chunks the socket is
 * paused (TCP closes the peer's window) and resumed as the consumer pulls.
 * Completion: the iteration ends at the peer's FIN; a socket error or close
 * ends it with `fail(err)`'s error.
 */
export class RingReader implements AsyncIterable<Uint8Array> {
  readonly #chunkBytes: number
  readonly #readAhead: number
  readonly #free: Uint8Array[] = []
  readonly #queue: Uint8Array[] = []
  #current: Uint8Array | undefined
  #socket: Socket | undefined
  #paused = false
  #ended = false
  #error: Error | undefined
  #closed = false
  readonly #waiting: Array<() => void> = []

  constructor (options: RingReaderOptions = {}) {
    this.#chunkBytes = options.chunkBytes ?? 256 * 1024
    this.#readAhead = Math.max(1, options.readAhead ?? 4)
  }

  /** The `onread` option for `net.connect`. */
  get onread (): { buffer: () => Uint8Array, callback: (n: number, buf: Uint8Array) => boolean } {
    return {
      buffer: () => this.#free.pop() ?? new Uint8Array(this.#chunkBytes),
      callback: (n, buf) => this.#onData(n, buf)
    }
  }

  /** Follow the socket's end and failure. */
  attach (socket: Socket): void {
    this.#socket = socket
    socket.on('end', () => { this.#ended = true; this.#signal() })
    socket.on('close', () => { this.#ended = true; this.#signal() })
  }

  /** Stop now: chunks read ahead are discarded and the next pull is done. */
  close (): void {
    this.#closed = true
    this.#queue.length = 0
    this.#signal()
  }

  /** End the iteration with an error (thrown at the consumer's next pull). */
  fail (err: Error): void {
    this.#error ??= err
    this.#signal()
  }

  #onData (n: number, buf: Uint8Array): boolean {
    // Node hands back the buffer it read into; a later read gets another one.
    this.#queue.push(buf.subarray(0, n))
    this.#signal()
    if (this.#queue.length < this.#readAhead) return true
    this.#paused = true
    return false
  }

  #signal (): void {
    for (const wake of this.#waiting.splice(0)) wake()
  }

  #recycle (): void {
    const c = this.#current
    this.#current = undefined
    if (c !== undefined && c.byteLength !== 0 && this.#free.length < this.#readAhead + 2) this.#free.push(new Uint8Array(c.buffer, 0, this.#chunkBytes))
  }

  async #next (): Promise<IteratorResult<Uint8Array>> {
    // The previous chunk is done with: its buffer can take a read again.
    this.#recycle()
    while (true) {
      if (this.#closed) return { done: true, value: undefined }
      const chunk = this.#queue.shift()
      if (chunk !== undefined) {
        this.#current = chunk
        if (this.#paused && this.#queue.length < this.#readAhead) {
          this.#paused = false
          this.#socket?.resume()
        }
        return { done: false, value: chunk }
      }
      if (this.#error !== undefined) throw this.#error
      if (this.#ended) return { done: true, value: undefined }
      await new Promise<void>((resolve) => { this.#waiting.push(resolve) })
    }
  }

  [Symbol.asyncIterator] (): AsyncIterator<Uint8Array> {
    return {
      next: async () => await this.#next(),
      return: async () => {
        this.#recycle()
        this.close()
        return { done: true, value: undefined }
      }
    }
  }
}
