/**
 * How many torrents read and hash their data at once, across a session
 * (libtorrent's `active_checking`): a torrent takes a slot before its check
 * reads anything and gives it back when the check ends; the others wait
 * their turn, first come first served. A check costs a few pieces of memory
 * and a share of the disk, so a session that starts a thousand torrents at
 * once checks them a few at a time instead of all together.
 *
 * @example
 * const slots = new CheckSlots(2)
 * const release = await slots.acquire(signal)
 * try { await check() } finally { release() }
 */
export class CheckSlots {
  /** Checks allowed at once. */
  readonly limit: number
  #running = 0
  readonly #waiting: Array<() => void> = []

  /** @throws RangeError when `limit` is not a positive integer */
  constructor (limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`the number of checks at once must be a positive integer, got ${limit}`)
    this.limit = limit
  }

  /** Checks running now. */
  get running (): number { return this.#running }
  /** Checks waiting for a slot. */
  get waiting (): number { return this.#waiting.length }

  /**
   * Resolves with the function that gives the slot back (call it once)
   * when a slot is free. Rejects with the signal's reason when `signal`
   * aborts first (the torrent stopped while it waited; it holds no slot).
   */
  async acquire (signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted()
    if (this.#running < this.limit && this.#waiting.length === 0) {
      this.#running++
      return this.#release()
    }
    return await new Promise<() => void>((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort)
        resolve(this.#release())
      }
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(grant)
        if (at >= 0) this.#waiting.splice(at, 1)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(grant)
    })
  }

  #release (): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#waiting.shift()
      // The slot passes straight to the next waiter.
      if (next !== undefined) next()
      else this.#running--
    }
  }
}
