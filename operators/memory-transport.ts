import { RxTorrentError } from '../lib/errors.js'
import type { Duplex, PeerAddress } from '../lib/transport/types.js'

/** Options of {@link memoryDuplexPair}. */
export interface MemoryDuplexOptions {
  /** Bytes buffered in each direction before a writer waits for the reader. Default 64 KiB. */
  readonly highWaterMark?: number
  /** Remote addresses reported by the two ends (`[a.remote, b.remote]`). */
  readonly addresses?: readonly [PeerAddress, PeerAddress]
}

/**
 * One direction of a memory connection: a bounded FIFO of chunks. The writer
 * waits while `highWaterMark` bytes are buffered (a chunk larger than that is
 * accepted when the buffer is empty); the reader waits while it is empty.
 */
class Pipe {
  readonly #highWaterMark: number
  #chunks: Uint8Array[] = []
  #bytes = 0
  #ended = false
  #error: Error | undefined
  #destroyed = false
  #readWaiter: (() => void) | undefined
  #writeWaiters: Array<() => void> = []

  constructor (highWaterMark: number) {
    this.#highWaterMark = highWaterMark
  }

  async write (chunk: Uint8Array): Promise<void> {
    while (!this.#destroyed && !this.#ended && this.#bytes > 0 && this.#bytes + chunk.length > this.#highWaterMark) {
      await new Promise<void>((resolve) => { this.#writeWaiters.push(resolve) })
    }
    if (this.#destroyed || this.#ended) throw this.#error ?? closedError()
    if (chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#bytes += chunk.length
    this.#wakeReader()
  }

  /** Graceful end: the reader drains what is buffered, then finishes. */
  end (): void {
    this.#ended = true
    this.#wakeReader()
    this.#wakeWriters()
  }

  /** Abrupt end: buffered bytes are dropped, the reader finishes, writers reject with `err`. */
  destroy (err?: Error): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#error = err
    this.#chunks = []
    this.#bytes = 0
    this.#wakeReader()
    this.#wakeWriters()
  }

  async * read (): AsyncGenerator<Uint8Array, void, undefined> {
    while (true) {
      if (this.#destroyed) return
      const chunk = this.#chunks.shift()
      if (chunk !== undefined) {
        this.#bytes -= chunk.length
        this.#wakeWriters()
        yield chunk
        continue
      }
      if (this.#ended) return
      await new Promise<void>((resolve) => { this.#readWaiter = resolve })
    }
  }

  #wakeReader (): void {
    const w = this.#readWaiter
    this.#readWaiter = undefined
    w?.()
  }

  #wakeWriters (): void {
    const ws = this.#writeWaiters
    this.#writeWaiters = []
    for (const w of ws) w()
  }
}

function closedError (): RxTorrentError {
  return new RxTorrentError('connection-closed', 'the memory connection is closed', { disposition: 'disconnect' })
}

/**
 * Two connected in-memory duplexes: bytes written to one's `sink` come out of
 * the other's `source`, chunk for chunk, in order.
 *
 * Backpressure: each direction buffers at most `highWaterMark` bytes; a
 * `sink` stops pulling its source until the other side reads.
 * Completion: when a `sink`'s source ends, the other side's `source` ends
 * after the buffered bytes. `close(err?)` on either side tears down both
 * directions at once: buffered bytes are dropped, both sources end, and
 * pending or later writes on the closing side reject with `err` (or
 * `RxTorrentError` `connection-closed`, disconnect), on the other side always
 * with `connection-closed`: a local error never crosses the connection. A `sink` whose source throws closes the
 * pair the same way and rejects with that error.
 * @throws nothing itself; see `sink` above.
 */
export function memoryDuplexPair (options: MemoryDuplexOptions = {}): [Duplex, Duplex] {
  const hwm = options.highWaterMark ?? 64 * 1024
  const aToB = new Pipe(hwm)
  const bToA = new Pipe(hwm)
  const end = (out: Pipe, incoming: Pipe, remote: PeerAddress | undefined): Duplex => {
    // The closing side's own writes fail with its error; the other side only
    // learns that the connection was closed, as it would over a socket.
    const close = (err?: Error): void => {
      out.destroy(err)
      incoming.destroy(err === undefined ? undefined : closedError())
    }
    return {
      source: incoming.read(),
      sink: async (source) => {
        try {
          for await (const chunk of source) await out.write(chunk)
        } catch (err) {
          close(err instanceof Error ? err : undefined)
          throw err
        }
        out.end()
      },
      close,
      ...(remote === undefined ? {} : { remote })
    }
  }
  return [end(aToB, bToA, options.addresses?.[0]), end(bToA, aToB, options.addresses?.[1])]
}
