/** A handle the budget may close to make room: open and with no user. */
export interface Evictable {
  /** Close the handle (after its `fsync` when it was written through); settles once the descriptor is closed. */
  evict: () => Promise<unknown>
}

/** Default {@link OpenFileBudget} size: well under the usual limit of 1,024 descriptors, and under 256 with room for sockets. */
export const DEFAULT_MAX_OPEN_FILES = 128

/**
 * A bound on the file descriptors that one or more file-handle caches hold
 * at once: handles being opened, open (in use or idle), and being closed,
 * all count. One budget can cover several caches (a storage's buffered and
 * `O_DIRECT` caches, several storages of one session).
 *
 * A cache takes a slot before it opens a file. When none is free the budget
 * closes the least recently used idle handle (across every cache it covers)
 * and the slot goes to the first waiter once that handle is closed; when
 * every handle is in use the waiter waits for one to be released. A handle in
 * use is never closed under its user. Waiting cannot deadlock as long as
 * each user holds one handle at a time and releases it.
 *
 * When an open fails with `EMFILE` or `ENFILE` (the process or the system
 * allows fewer descriptors than the budget), {@link OpenFileBudget.shrink}
 * lowers the bound to what is held now, so the caller can wait for a handle
 * to be closed and retry instead of failing.
 */
export class OpenFileBudget {
  #max: number
  /** Slots taken: files opening, open, or closing. */
  #held = 0
  /** Closes this budget started that have not yet given their slot back. */
  #evicting = 0
  /** Idle handles, least recently used first (a Set keeps insertion order). */
  readonly #idle = new Set<Evictable>()
  readonly #waiters: Array<() => void> = []

  /** @throws RangeError when `max` is not a positive safe integer. */
  constructor (max: number = DEFAULT_MAX_OPEN_FILES) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`bad maxOpenFiles ${max}`)
    this.#max = max
  }

  /** The bound now (lowered by {@link OpenFileBudget.shrink}). */
  get max (): number { return this.#max }
  /** Descriptors held now: opening, open or closing. */
  get held (): number { return this.#held }
  /** Opens waiting for a slot. */
  get waiting (): number { return this.#waiters.length }
  /** Open handles with no user, which the budget may close. */
  get idle (): number { return this.#idle.size }

  /**
   * Take a slot for one descriptor. Resolves at once when one is free;
   * otherwise closes the least recently used idle handle and resolves when a
   * slot is given back (first come, first served). Never rejects.
   */
  async acquire (): Promise<void> {
    if (this.#held < this.#max && this.#waiters.length === 0) {
      this.#held++
      return
    }
    const granted = new Promise<void>(resolve => { this.#waiters.push(resolve) })
    this.#makeRoom()
    await granted
  }

  /** Give back a slot: its descriptor is closed, or its open failed. */
  release (): void {
    this.#held--
    this.#grant()
  }

  /** `handle` (holding a slot) has no user now: it may be closed to make room, least recently used first. */
  idleHandle (handle: Evictable): void {
    this.#idle.delete(handle)
    this.#idle.add(handle)
    this.#makeRoom()
  }

  /** `handle` is in use again, or being closed by its cache: the budget must not close it. */
  busyHandle (handle: Evictable): void {
    this.#idle.delete(handle)
  }

  /**
   * An open failed for want of descriptors (`EMFILE`, `ENFILE`) while its
   * caller held a slot. When other slots are held, lower the bound to them,
   * give the caller's slot back and return true: the caller should
   * {@link OpenFileBudget.acquire} again and retry once a handle is closed.
   * When the caller's was the only slot, return false (nothing of ours to
   * close: the caller keeps its slot, gives it back and reports the error).
   */
  shrink (): boolean {
    if (this.#held <= 1) return false
    this.#max = Math.max(1, this.#held - 1)
    this.release()
    return true
  }

  #grant (): void {
    while (this.#waiters.length > 0 && this.#held < this.#max) {
      this.#held++
      ;(this.#waiters.shift() as () => void)()
    }
    this.#makeRoom()
  }

  /** Close idle handles, least recently used first, for every waiter (and every slot over the bound) no close in flight will serve. */
  #makeRoom (): void {
    const needed = (): number => this.#waiters.length + Math.max(0, this.#held - this.#max)
    while (needed() > this.#evicting && this.#idle.size > 0) {
      const oldest = this.#idle.values().next().value as Evictable
      this.#idle.delete(oldest)
      this.#evicting++
      const done = (): void => {
        this.#evicting--
        this.release()
      }
      oldest.evict().then(done, done)
    }
  }
}

/** Whether `code` says the process or the system has no descriptor left. */
export function isOutOfDescriptors (code: string | undefined): boolean {
  return code === 'EMFILE' || code === 'ENFILE'
}
