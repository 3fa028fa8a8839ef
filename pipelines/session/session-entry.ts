import type { Observable, Subscription } from 'rxjs'
import type { Torrent } from '../../lib/metainfo/types.js'
import type { Progress, TorrentWarning } from '../progress-types.js'

/** One torrent of a session. */
export interface SessionTorrent {
  /** The info-hash, lowercase hex. */
  readonly id: string
  readonly torrent: Torrent
  /** The latest progress, once there is one. */
  readonly progress: Progress | undefined
  /** Paused: no connection, no announce, until resumed. */
  readonly paused: boolean
  /** Settles when the torrent stops by itself (complete without `seed`) or fails; never while it seeds. */
  readonly done: Promise<Progress | undefined>
}

/**
 * A session's torrent as the session keeps it: its run (the engine's
 * progress observable, made afresh by `run` at each start), paused or not,
 * and its latest progress.
 */
export class SessionEntry implements SessionTorrent {
  readonly id: string
  readonly torrent: Torrent
  readonly out: string
  progress: Progress | undefined
  paused = false
  readonly done: Promise<Progress | undefined>
  readonly #run: () => Observable<Progress>
  readonly #changed: () => void
  readonly #warn: (w: TorrentWarning) => void
  #settle!: (p: Progress | undefined) => void
  #sub: Subscription | undefined
  #ended = false

  readonly #stopping: () => Promise<void>

  constructor (torrent: Torrent, out: string, run: () => Observable<Progress>, hooks: { changed: () => void, warn: (w: TorrentWarning) => void, stopping?: () => Promise<void> }) {
    this.id = torrent.infoHashHex
    this.torrent = torrent
    this.out = out
    this.#run = run
    this.#changed = hooks.changed
    this.#warn = hooks.warn
    this.#stopping = hooks.stopping ?? (async () => {})
    this.done = new Promise((resolve) => { this.#settle = resolve })
  }

  /** Start the run unless it runs, is paused or has ended. */
  start (): void {
    if (this.#sub !== undefined || this.paused || this.#ended) return
    this.#sub = this.#run().subscribe({
      next: (p) => { this.progress = p; this.#changed() },
      complete: () => { this.#end() },
      error: (err: unknown) => {
        this.#warn({ type: 'warning', message: `torrent ${this.torrent.name} stopped: ${err instanceof Error ? err.message : String(err)}`, ...(err instanceof Error ? { error: err } : {}) })
        this.#end()
      }
    })
  }

  /** Stop the run (trackers hear `stopped`), keeping the torrent; settles once its state is saved. */
  async pause (): Promise<void> {
    this.paused = true
    const saved = this.#stopping()
    this.#sub?.unsubscribe()
    this.#sub = undefined
    this.#changed()
    await saved
  }

  /** Start again after `pause` (the data is checked again). */
  resume (): void {
    this.paused = false
    this.start()
    this.#changed()
  }

  /** Stop for good; settles once its state is saved. */
  async stop (): Promise<void> {
    const saved = this.#stopping()
    this.#sub?.unsubscribe()
    this.#sub = undefined
    this.#end()
    await saved
  }

  #end (): void {
    if (this.#ended) return
    this.#ended = true
    this.#sub = undefined
    this.#settle(this.progress)
  }
}
