import type { SchedulerLike, Subscription } from 'rxjs'
import { UsageError } from '../lib/errors.js'
import type { Duplex } from '../lib/transport/types.js'

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
}

const DEFAULT_WINDOW = 256 * 1024

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

interface InFlight {
  readonly chunk: Uint8Array
  /** Exact time the chunk reaches the receiver's link, then the time it is received. */
  at: number
}

/**
 * One direction of a paced connection. `pump` pulls the writer's chunks
 * through the sender's upload queue (one chunk at a time per connection, so
 * connections share the link in turn), `deliveries` yields them to the
 * receiving pipe once latency and the receiver's download queue have passed.
 */
class PacedDirection {
  readonly #from: AccessLink
  readonly #to: AccessLink
  readonly #scheduler: SchedulerLike
  readonly #resolution: number
  readonly #window: number
  /** Sent, not yet through the receiver's download queue (ordered by arrival). */
  readonly #arriving: InFlight[] = []
  /** Through the download queue, waiting for their receive time (ordered). */
  readonly #received: InFlight[] = []
  #inFlight = 0
  #ended = false
  #stopped = false
  #error: Error | undefined
  #arrivalTimer: Subscription | undefined
  #arrivalAt = Infinity
  readonly #timers = new Set<Subscription>()
  #wakeConsumer: (() => void) | undefined
  #wakeProducer: (() => void) | undefined

  constructor (from: AccessLink, to: AccessLink, options: PacingOptions) {
    this.#from = from
    this.#to = to
    this.#scheduler = options.scheduler
    this.#resolution = options.resolutionMs ?? 1
    this.#window = options.windowBytes ?? DEFAULT_WINDOW
  }

  /** The first tick of the timer grid at or after `t`. */
  #tick (t: number): number {
    const r = this.#resolution
    return r <= 0 ? t : Math.ceil(t / r - 1e-9) * r
  }

  /** Resolves at the tick of `t` (at once when that is now or past). */
  async #until (t: number): Promise<void> {
    const due = this.#tick(t) - this.#scheduler.now()
    if (due <= 0 || this.#stopped) return
    await new Promise<void>((resolve) => {
      const sub = this.#scheduler.schedule(() => { this.#timers.delete(sub); resolve() }, due)
      this.#timers.add(sub)
      // stop() resolves the waiter: a stopped direction has nobody left to wake.
      sub.add(() => { resolve() })
    })
  }

  /** Pulls `source` through the sender's upload queue; settles when it ends or the direction stops. */
  async pump (source: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of source) {
        if (this.#stopped) break
        if (chunk.length === 0) continue
        while (!this.#stopped && this.#inFlight > 0 && this.#inFlight + chunk.length > this.#window) {
          await new Promise<void>((resolve) => { this.#wakeProducer = resolve })
        }
        if (this.#stopped) break
        const sent = this.#from.send(chunk.length, this.#scheduler.now())
        this.#inFlight += chunk.length
        this.#arriving.push({ chunk, at: sent + this.#from.latencyMs + this.#to.latencyMs })
        this.#armArrival()
        await this.#until(sent)
      }
    } catch (err) {
      this.#error = err instanceof Error ? err : new Error(String(err))
    }
    this.#ended = true
    this.#wake()
  }

  /** Schedules the processing of the earliest arrival, if not already due sooner. */
  #armArrival (): void {
    const head = this.#arriving[0]
    if (head === undefined || this.#stopped) return
    const at = this.#tick(head.at)
    if (this.#arrivalTimer !== undefined && this.#arrivalAt <= at) return
    this.#arrivalTimer?.unsubscribe()
    this.#arrivalAt = at
    const sub = this.#scheduler.schedule(() => {
      this.#timers.delete(sub)
      this.#arrivalTimer = undefined
      this.#arrivalAt = Infinity
      this.#arrive()
    }, Math.max(0, at - this.#scheduler.now()))
    this.#arrivalTimer = sub
    this.#timers.add(sub)
  }

  /** Moves every chunk that has arrived by now through the receiver's download queue. */
  #arrive (): void {
    const now = this.#scheduler.now()
    while (this.#arriving.length > 0 && this.#tick((this.#arriving[0] as InFlight).at) <= now) {
      const f = this.#arriving.shift() as InFlight
      f.at = this.#to.receive(f.chunk.length, f.at)
      this.#received.push(f)
    }
    this.#armArrival()
    this.#wake()
  }

  #wake (): void {
    const w = this.#wakeConsumer
    this.#wakeConsumer = undefined
    w?.()
  }

  /** The chunks as the receiver gets them, in order; ends after the writer's source ended and every chunk was delivered. */
  async * deliveries (): AsyncGenerator<Uint8Array, void, undefined> {
    while (!this.#stopped) {
      const head = this.#received[0]
      if (head !== undefined) {
        if (this.#tick(head.at) > this.#scheduler.now()) {
          await this.#until(head.at)
          continue
        }
        this.#received.shift()
        this.#inFlight -= head.chunk.length
        const w = this.#wakeProducer
        this.#wakeProducer = undefined
        w?.()
        yield head.chunk
        continue
      }
      if (this.#ended && this.#arriving.length === 0) {
        if (this.#error !== undefined) throw this.#error
        return
      }
      await new Promise<void>((resolve) => { this.#wakeConsumer = resolve })
    }
  }

  /** Drops what is in flight, cancels its timers and releases both loops. */
  stop (): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#arriving.length = 0
    this.#received.length = 0
    for (const t of [...this.#timers]) t.unsubscribe()
    this.#timers.clear()
    this.#wake()
    const w = this.#wakeProducer
    this.#wakeProducer = undefined
    w?.()
  }
}

/** One end of a paced pair: `inner` with its writes going through `out` and its close stopping both directions. */
function pacedEnd (inner: Duplex, out: PacedDirection, back: PacedDirection): Duplex {
  const stopBoth = (): void => { out.stop(); back.stop() }
  return {
    source: inner.source,
    sink: async (source) => {
      const pumping = out.pump(source)
      try {
        await inner.sink(out.deliveries())
      } finally {
        out.stop()
        await pumping
      }
    },
    close: (err) => { stopBoth(); inner.close(err) },
    ...(inner.remote === undefined ? {} : { remote: inner.remote }),
    ...(inner.borrowedChunks === undefined ? {} : { borrowedChunks: inner.borrowedChunks })
  }
}

/**
 * Paces a connected pair of duplexes (e.g. from `memoryDuplexPair`) on the
 * scheduler's clock: bytes written by `a` leave through `aLink`'s upload
 * queue, travel both links' latency, pass `bLink`'s download queue and only
 * then come out of `b.source`; the other direction likewise. Links are
 * shared: give every connection of one host the same `AccessLink`.
 *
 * Backpressure: a writer has at most one chunk in its upload queue and at
 * most `windowBytes` undelivered; the underlying pair's own bound applies
 * after delivery. Completion and errors are the pair's: a writer's source
 * that ends ends the other side's source once its bytes are delivered; an
 * error from it closes the pair. `close()` on either end drops what is in
 * flight and cancels its timers. No global timer is used.
 * @throws nothing itself; see `memoryDuplexPair` for the pair's errors
 */
export function pacedDuplexPair (pair: readonly [Duplex, Duplex], aLink: AccessLink, bLink: AccessLink, options: PacingOptions): [Duplex, Duplex] {
  const aToB = new PacedDirection(aLink, bLink, options)
  const bToA = new PacedDirection(bLink, aLink, options)
  return [pacedEnd(pair[0], aToB, bToA), pacedEnd(pair[1], bToA, aToB)]
}
