import type { SchedulerLike, Subscription } from 'rxjs'
import { UsageError } from '../lib/errors.js'
import { RxTorrentError } from '../lib/errors.js'
import { Fifo, join, type InFlight } from './paced-fifo.js'
import type { Duplex, PeerAddress } from '../lib/transport/types.js'

/** The capacity of one host's access link, as {@link pacedDuplexPair} models it. */
export interface LinkRates {
  /** Bytes per second the host can send, shared by all its connections; absent or 0: unlimited. */
  readonly uploadRate?: number
  /** Bytes per second the host can receive, shared by all its connections; absent or 0: unlimited. */
  readonly downloadRate?: number
  /** One-way delay of the host's link in ms; bytes from A to B take A's plus B's. Default 0. */
  readonly latencyMs?: number
}

/** Options of {@link AccessLink} and {@link pacedDuplexPair}. */
export interface PacingOptions {
  /** Clock and timers; a `VirtualClock` in a simulation. */
  readonly scheduler: SchedulerLike
  /**
   * Timer granularity in ms (default 1): a chunk is handed on at the first
   * multiple of this at or after its exact time. Rates stay exact (the link
   * keeps fractional time); only wake-ups are grouped, so a simulation runs
   * fewer distinct instants.
   */
  readonly resolutionMs?: number
  /**
   * Bytes one direction of a connection may have sent but not yet delivered
   * (default 256 KiB), as a TCP window: the writer waits beyond it, so a slow
   * receiver slows its sender instead of buffering without bound.
   */
  readonly windowBytes?: number
  /**
   * Most bytes one read of a connection returns (default 64 KiB): chunks
   * received by the same instant are joined up to this, as a socket read
   * returns what has arrived whatever the writes were.
   */
  readonly maxReadBytes?: number
  /**
   * Join chunks into two buffers reused in turn and mark the duplexes
   * `borrowedChunks`: each chunk read is valid only until the next read, as
   * from a socket reading into a ring of buffers. Saves an allocation per
   * read; the consumer copies what it keeps. Default false.
   */
  readonly borrowedReads?: boolean
  /**
   * A simulation's hollow payload: how many leading bytes of `chunk` the
   * link copies into the reader's buffer (default all). The rest of its
   * length is still charged to the links and the window and delivered in
   * place, as whatever the reused read buffer held. Implies `borrowedReads`;
   * a read of one chunk not carried whole is joined into a read buffer too.
   */
  readonly carried?: (chunk: Uint8Array) => number
}

/** Options of {@link pacedDuplexPair} beyond the pacing. */
export interface PacedPairOptions extends PacingOptions {
  /** Remote addresses reported by the two ends (`[a.remote, b.remote]`). */
  readonly addresses?: readonly [PeerAddress, PeerAddress]
  /** Sees every chunk as it is delivered, a to b and b to a (e.g. to count bytes). */
  readonly observe?: readonly [((chunk: Uint8Array) => void) | undefined, ((chunk: Uint8Array) => void) | undefined]
}

const DEFAULT_WINDOW = 256 * 1024
const DEFAULT_MAX_READ = 64 * 1024

function checkRate (name: string, value: number | undefined): number {
  if (value === undefined) return 0
  if (!Number.isFinite(value) || value < 0) throw new UsageError('bad-link', `${name} must be a non-negative number of bytes per second, got ${value}`)
  return value
}

/**
 * One host's access link: an upload and a download serialiser shared by all
 * its connections, each a FIFO that transmits `rate` bytes per second. Time
 * is the scheduler's; nothing is scheduled here (see {@link pacedDuplexPair}).
 * @throws UsageError `bad-link` for a negative or non-finite rate or latency
 */
export class AccessLink {
  readonly uploadRate: number
  readonly downloadRate: number
  readonly latencyMs: number
  #upFreeAt = -Infinity
  #downFreeAt = -Infinity

  constructor (rates: LinkRates = {}) {
    this.uploadRate = checkRate('uploadRate', rates.uploadRate)
    this.downloadRate = checkRate('downloadRate', rates.downloadRate)
    const latency = rates.latencyMs ?? 0
    if (!Number.isFinite(latency) || latency < 0) throw new UsageError('bad-link', `latencyMs must be a non-negative number, got ${latency}`)
    this.latencyMs = latency
  }

  /** Whether the link changes nothing: no rate limit and no delay. */
  get transparent (): boolean {
    return this.uploadRate === 0 && this.downloadRate === 0 && this.latencyMs === 0
  }

  /** Queues `bytes` for upload at `now`; returns when their last byte has left. */
  send (bytes: number, now: number): number {
    if (this.uploadRate === 0) return now
    this.#upFreeAt = Math.max(now, this.#upFreeAt) + bytes * 1000 / this.uploadRate
    return this.#upFreeAt
  }

  /** Queues `bytes` arriving at `at` for download; returns when their last byte is received. */
  receive (bytes: number, at: number): number {
    if (this.downloadRate === 0) return at
    this.#downFreeAt = Math.max(at, this.#downFreeAt) + bytes * 1000 / this.downloadRate
    return this.#downFreeAt
  }
}

/** A pending wait on the scheduler: its timer and the promise's resolver. */
interface Wait {
  readonly timer: Subscription
  readonly resolve: () => void
}

function closedError (): RxTorrentError {
  return new RxTorrentError('connection-closed', 'the memory connection is closed', { disposition: 'disconnect' })
}


/**
 * One direction of a paced connection. `pump` pulls the writer's chunks
 * through the sender's upload queue (one chunk at a time per connection, so
 * connections share the link in turn); `deliveries` is the reader's source,
 * yielding them once latency and the receiver's download queue have passed.
 */
class PacedDirection {
  readonly #from: AccessLink
  readonly #to: AccessLink
  readonly #scheduler: SchedulerLike
  readonly #resolution: number
  readonly #window: number
  readonly #maxRead: number
  readonly #observe: ((chunk: Uint8Array) => void) | undefined
  readonly #carried: ((chunk: Uint8Array) => number) | undefined
  /** With `borrowedReads`: the two buffers reads are joined into, in turn (made on first use). */
  readonly #borrowed: boolean
  readonly #readBuffers: Array<Uint8Array | undefined> = [undefined, undefined]
  #readTurn = 0
  /** Sent, not yet through the receiver's download queue (ordered by arrival). */
  readonly #arriving = new Fifo()
  /** Through the download queue, waiting for their receive time (ordered). */
  readonly #received = new Fifo()
  #inFlight = 0
  #ended = false
  #destroyed = false
  /** What the writer's pending and later writes reject with once destroyed. */
  #writerError: Error | undefined
  #arrivalTimer: Subscription | undefined
  #arrivalAt = Infinity
  /** The writer's and the reader's pending waits, one each at most. */
  #pumpWait: Wait | undefined
  #readWait: Wait | undefined
  #wakeConsumer: (() => void) | undefined
  #wakeProducer: (() => void) | undefined

  constructor (from: AccessLink, to: AccessLink, options: PacingOptions, observe: ((chunk: Uint8Array) => void) | undefined) {
    this.#from = from
    this.#to = to
    this.#scheduler = options.scheduler
    this.#resolution = options.resolutionMs ?? 1
    this.#window = options.windowBytes ?? DEFAULT_WINDOW
    this.#maxRead = options.maxReadBytes ?? DEFAULT_MAX_READ
    this.#observe = observe
    this.#carried = options.carried
    this.#borrowed = options.borrowedReads === true || options.carried !== undefined
  }

  /** The first tick of the timer grid at or after `t`. */
  #tick (t: number): number {
    const r = this.#resolution
    return r <= 0 ? t : Math.ceil(t / r - 1e-9) * r
  }

  /**
   * A promise of the tick of `t`, settled early when destroyed; `undefined`
   * when that tick is now or past (no promise, no turn: this runs once per
   * chunk). `reader` says whose wait it is.
   */
  #until (t: number, reader: boolean): Promise<void> | undefined {
    const due = this.#tick(t) - this.#scheduler.now()
    if (due <= 0 || this.#destroyed) return undefined
    return new Promise<void>((resolve) => {
      const timer = this.#scheduler.schedule(() => {
        if (reader) this.#readWait = undefined
        else this.#pumpWait = undefined
        resolve()
      }, due)
      if (reader) this.#readWait = { timer, resolve }
      else this.#pumpWait = { timer, resolve }
    })
  }

  /**
   * Pulls `source` through the sender's upload queue. Resolves once every
   * chunk is sent (the reader's source then ends after the last delivery);
   * rejects when the connection is closed first, or with the source's error.
   */
  async pump (source: AsyncIterable<Uint8Array>, onSourceError: (err: Error) => void): Promise<void> {
    if (this.#destroyed) throw this.#writerError ?? closedError()
    try {
      for await (const chunk of source) {
        if (this.#destroyed) break
        if (chunk.length === 0) continue
        while (!this.#destroyed && this.#inFlight > 0 && this.#inFlight + chunk.length > this.#window) {
          await new Promise<void>((resolve) => { this.#wakeProducer = resolve })
        }
        if (this.#destroyed) break
        const sent = this.#from.send(chunk.length, this.#scheduler.now())
        this.#inFlight += chunk.length
        this.#arriving.push({ chunk, at: sent + this.#from.latencyMs + this.#to.latencyMs })
        this.#armArrival()
        const leaving = this.#until(sent, false)
        if (leaving !== undefined) await leaving
      }
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err))
      onSourceError(e)
      throw e
    }
    if (this.#destroyed) throw this.#writerError ?? closedError()
    this.#ended = true
    this.#wake()
  }

  /** Schedules the processing of the earliest arrival, unless already due as soon. */
  #armArrival (): void {
    if (this.#arriving.size === 0 || this.#destroyed) return
    const head = this.#arriving.at(0)
    const at = this.#tick(head.at)
    if (this.#arrivalTimer !== undefined && this.#arrivalAt <= at) return
    this.#arrivalTimer?.unsubscribe()
    this.#arrivalAt = at
    this.#arrivalTimer = this.#scheduler.schedule(() => {
      this.#arrivalTimer = undefined
      this.#arrivalAt = Infinity
      this.#arrive()
    }, Math.max(0, at - this.#scheduler.now()))
  }

  /** Moves every chunk that has arrived by now through the receiver's download queue. */
  #arrive (): void {
    const now = this.#scheduler.now()
    const a = this.#arriving
    let n = 0
    while (n < a.size && this.#tick(a.at(n).at) <= now) {
      const f = a.at(n++)
      f.at = this.#to.receive(f.chunk.length, f.at)
      this.#received.push(f)
    }
    a.drop(n)
    this.#armArrival()
    this.#wake()
  }

  #wake (): void {
    const w = this.#wakeConsumer
    this.#wakeConsumer = undefined
    w?.()
  }

  /** Takes the chunks received by now, joined up to `maxReadBytes` (the first one whole). */
  #take (): Uint8Array | undefined {
    const now = this.#scheduler.now()
    const r = this.#received
    let count = 0
    let bytes = 0
    while (count < r.size && this.#tick(r.at(count).at) <= now) {
      const len = r.at(count).chunk.length
      if (count > 0 && bytes + len > this.#maxRead) break
      bytes += len
      count++
    }
    if (count === 0) return undefined
    let chunk = r.at(0).chunk
    // One chunk goes as it is, unless part of it is not to be carried.
    if (count > 1 || (this.#carried !== undefined && this.#carried(chunk) < chunk.length)) {
      this.#readTurn ^= 1
      const buffer = this.#borrowed ? (this.#readBuffers[this.#readTurn] ??= new Uint8Array(this.#maxRead)) : undefined
      chunk = join(r, count, bytes, buffer, this.#carried)
    }
    r.drop(count)
    this.#inFlight -= bytes
    const w = this.#wakeProducer
    this.#wakeProducer = undefined
    w?.()
    this.#observe?.(chunk)
    return chunk
  }

  /** The reader's source: chunks in order as they are received; ends after the writer's end, or at once when destroyed. */
  async * deliveries (): AsyncGenerator<Uint8Array, void, undefined> {
    while (!this.#destroyed) {
      const chunk = this.#take()
      if (chunk !== undefined) {
        yield chunk
        continue
      }
      if (this.#received.size > 0) {
        const head = this.#received.at(0)
        const arriving = this.#until(head.at, true)
        if (arriving !== undefined) await arriving
        continue
      }
      if (this.#ended && this.#arriving.size === 0) return
      await new Promise<void>((resolve) => { this.#wakeConsumer = resolve })
    }
  }

  /** Drops what is in flight, cancels its timers, ends the reader and fails the writer with `err` (default `connection-closed`). */
  destroy (err?: Error): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#writerError = err
    this.#arriving.clear()
    this.#received.clear()
    this.#arrivalTimer?.unsubscribe()
    this.#arrivalTimer = undefined
    for (const w of [this.#pumpWait, this.#readWait]) {
      w?.timer.unsubscribe()
      w?.resolve()
    }
    this.#pumpWait = undefined
    this.#readWait = undefined
    this.#wake()
    const w = this.#wakeProducer
    this.#wakeProducer = undefined
    w?.()
  }
}

/**
 * Two connected in-memory duplexes paced on the scheduler's clock: bytes
 * written by `a` leave through `aLink`'s upload queue, travel both links'
 * latency, pass `bLink`'s download queue and only then come out of
 * `b.source`; the other direction likewise. Links are shared: give every
 * connection of one host the same `AccessLink`. A read returns every chunk
 * received by then, joined up to `maxReadBytes`.
 *
 * Backpressure: a writer has at most one chunk in its upload queue and at
 * most `windowBytes` sent but not yet read. Completion: when a `sink`'s
 * source ends, the other side's `source` ends after the bytes in flight.
 * `close(err?)` on either side drops what is in flight, cancels its timers,
 * ends both sources, and rejects the closing side's pending and later writes
 * with `err` (default `RxTorrentError` `connection-closed`), the other
 * side's with `connection-closed`; a `sink` whose source throws closes the
 * pair the same way and rejects with that error. No global timer is used.
 * @throws nothing itself; see `sink` above
 */
export function pacedDuplexPair (aLink: AccessLink, bLink: AccessLink, options: PacedPairOptions): [Duplex, Duplex] {
  const aToB = new PacedDirection(aLink, bLink, options, options.observe?.[0])
  const bToA = new PacedDirection(bLink, aLink, options, options.observe?.[1])
  const end = (out: PacedDirection, incoming: PacedDirection, remote: PeerAddress | undefined): Duplex => {
    const close = (err?: Error): void => {
      out.destroy(err)
      incoming.destroy()
    }
    return {
      source: incoming.deliveries(),
      sink: async (source) => { await out.pump(source, close) },
      close,
      ...(remote === undefined ? {} : { remote }),
      ...(options.borrowedReads === true || options.carried !== undefined ? { borrowedChunks: true } : {})
    }
  }
  return [end(aToB, bToA, options.addresses?.[0]), end(bToA, aToB, options.addresses?.[1])]
}
