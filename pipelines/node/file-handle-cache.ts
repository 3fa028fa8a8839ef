import { mkdir, open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { DEFAULT_MAX_OPEN_FILES, OpenFileBudget, isOutOfDescriptors, type Evictable } from './open-file-budget.js'

/** The calls {@link FileHandleCache} makes on an open file; node's `FileHandle` has them. */
export interface FileHandleLike {
  /** The open file's descriptor, when the handle has one (node's `FileHandle` does); lets writes be made synchronously. */
  readonly fd?: number
  /** Read into `buffer` as `FileHandle.read` does. */
  read: (buffer: Uint8Array, offset: number, length: number, position: number) => Promise<{ bytesRead: number }>
  /** Write `buffers` at `position` as `FileHandle.writev` does. */
  writev: (buffers: Uint8Array[], position: number) => Promise<{ bytesWritten: number }>
  /** Flush to the disk (`fsync`). */
  sync: () => Promise<void>
  /** Close the file. */
  close: () => Promise<void>
}

/** The file-system calls the file storage makes; node's `fs/promises` by default. Tests inject failures here. */
export interface FileSystemLike {
  /** Open a file as `fs.promises.open` does, with one of the flags the storage uses. */
  open: (path: string, flags: 'r' | 'r+' | 'wx+' | 'a') => Promise<FileHandleLike>
  /** Make a directory and its parents, as `fs.promises.mkdir` does. */
  mkdir: (path: string, options: { recursive: true }) => Promise<unknown>
}

/** Evicted files `syncAll` reopens and syncs at once. */
const SYNC_BATCH = 16

/** `node:fs/promises` as a {@link FileSystemLike}. */
export const nodeFileSystem: FileSystemLike = { open, mkdir }

interface Entry extends Evictable {
  readonly path: string
  readonly promise: Promise<FileHandleLike>
  refs: number
  evicted: boolean
  /** Written through since opened: synced before an eviction closes it. */
  dirty: boolean
}

/**
 * Open file handles keyed by path, within an {@link OpenFileBudget} of
 * descriptors that may be shared with other caches (by default a budget of
 * its own of `maxOpenFiles`, {@link DEFAULT_MAX_OPEN_FILES}). Every handle
 * opening, open or closing holds a slot of the budget; when the budget is
 * full, the least recently used idle handle of any cache sharing it is
 * closed, and an open waits for its slot. A handle in use is never closed
 * under its user. When the system has fewer descriptors than the budget
 * (`EMFILE`, `ENFILE`), the budget shrinks and the open waits and retries.
 *
 * Files are opened `r+` (or `r` when read-only); with `create`, a missing
 * file gets its directories and is created with `wx+`, so existing data is
 * never truncated, even when two opens race.
 * Open failures are not cached: the next use tries again. Eviction closes a
 * handle without `fsync` (as libtorrent's file pool does); `syncAll` reopens
 * the files written through evicted handles and syncs them, so a flush covers
 * them too.
 */
export class FileHandleCache {
  readonly #fs: FileSystemLike
  readonly #budget: OpenFileBudget
  readonly #readOnly: boolean
  readonly #entries = new Map<string, Entry>()
  /** Evicted handles being synced and closed (never rejects). */
  readonly #closing = new Set<Promise<void>>()
  /** Files opened for writing before (opened `r+` first next time; others are created first). */
  readonly #opened = new Set<string>()
  /** Folders made (or being made) by this cache. */
  readonly #folders = new Map<string, Promise<void>>()
  /** Files written through a handle since evicted, which the next `syncAll` reopens to `fsync`. */
  readonly #unsynced = new Set<string>()
  /** Failed closes of evicted handles, kept until `syncAll` or `closeAll` reports them. */
  readonly #evictionFailures: unknown[] = []

  /** @throws RangeError for a `maxOpenFiles` that is not a positive integer. */
  constructor (fs: FileSystemLike, options: { maxOpenFiles?: number, budget?: OpenFileBudget, readOnly: boolean }) {
    this.#fs = fs
    this.#budget = options.budget ?? new OpenFileBudget(options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES)
    this.#readOnly = options.readOnly
  }

  /** Handles currently cached (opening, or open and not evicted). */
  get size (): number {
    return this.#entries.size
  }

  /**
   * Run `fn` with an open handle for `path`, opening (and with `create`,
   * creating) the file when it is not cached; waits for a slot of the budget
   * when every one is taken.
   * Rejects with the file system's error (e.g. `ENOENT` without `create`) or `fn`'s.
   */
  async use<T> (path: string, create: boolean, fn: (h: FileHandleLike) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const entry = this.#acquire(path, create)
      if (create) entry.dirty = true
      let handle: FileHandleLike
      try {
        handle = await entry.promise
      } catch (e) {
        this.#release(entry, true)
        // A concurrent non-creating open failed with ENOENT: retry once, creating.
        if (create && attempt === 0 && errno(e) === 'ENOENT') continue
        throw e
      }
      try {
        return await fn(handle)
      } finally {
        this.#release(entry, false)
      }
    }
  }

  /**
   * `sync` every file written through since the last `syncAll`: the open
   * handles, and the evicted ones, reopened one batch at a time within the
   * budget (an eviction closes without `fsync`, so a download of 100,000
   * small files does not wait for 100,000 of them). Waits for evictions in
   * flight first. Rejects with the first failure.
   */
  async syncAll (): Promise<void> {
    await this.#settleEvicted()
    const results = await Promise.allSettled([...this.#entries.values()].map(async e => {
      if (!e.dirty) return
      const h = await e.promise.catch(() => undefined)
      if (h !== undefined) await h.sync()
    }))
    const evicted = [...this.#unsynced]
    this.#unsynced.clear()
    let failure: unknown
    for (let i = 0; i < evicted.length; i += SYNC_BATCH) {
      const batch = await Promise.allSettled(evicted.slice(i, i + SYNC_BATCH).map(async path => {
        if (this.#entries.get(path)?.dirty === true) return // synced above
        await this.use(path, false, async h => { await h.sync() })
      }))
      for (const r of batch) if (r.status === 'rejected') failure ??= r.reason
    }
    for (const r of results) if (r.status === 'rejected') throw r.reason
    if (failure !== undefined) throw failure
    this.#throwEvictionFailure()
  }

  /** Close every handle, including evicted ones still closing. Callers wait for their own operations first. Rejects with the first failure. */
  async closeAll (): Promise<void> {
    const entries = [...this.#entries.values()]
    this.#entries.clear()
    this.#unsynced.clear()
    const results = await Promise.allSettled(entries.map(async e => {
      e.evicted = true
      this.#budget.busyHandle(e)
      const h = await e.promise.catch(() => undefined)
      if (h === undefined) return
      try {
        await h.close()
      } finally {
        this.#budget.release()
      }
    }))
    await this.#settleEvicted()
    for (const r of results) if (r.status === 'rejected') throw r.reason
    this.#throwEvictionFailure()
  }

  /** Wait for the evicted handles being closed now. */
  async #settleEvicted (): Promise<void> {
    await Promise.all([...this.#closing])
  }

  /** Throw (and forget) the first failure of an eviction's sync or close since the last report. */
  #throwEvictionFailure (): void {
    const failures = this.#evictionFailures.splice(0)
    if (failures.length > 0) throw failures[0]
  }

  #acquire (path: string, create: boolean): Entry {
    let entry = this.#entries.get(path)
    if (entry === undefined) {
      const created: Entry = {
        path,
        promise: this.#open(path, create),
        refs: 0,
        evicted: false,
        dirty: false,
        evict: async () => { await this.#evict(created) }
      }
      entry = created
      this.#entries.set(path, entry)
    }
    if (entry.refs++ === 0) this.#budget.busyHandle(entry)
    return entry
  }

  #release (entry: Entry, failed: boolean): void {
    entry.refs--
    if (failed) {
      if (this.#entries.get(entry.path) === entry) this.#entries.delete(entry.path)
      return
    }
    if (entry.refs === 0 && !entry.evicted) this.#budget.idleHandle(entry)
  }

  /** Called by the budget on an idle handle: forget it, then sync (when written) and close it. */
  async #evict (entry: Entry): Promise<void> {
    entry.evicted = true
    if (this.#entries.get(entry.path) === entry) this.#entries.delete(entry.path)
    const closed = entry.promise.then(async h => {
      try {
        await h.close()
      } finally {
        if (entry.dirty) this.#unsynced.add(entry.path)
      }
    })
    // A failure is kept (not thrown) until the next syncAll reports it.
    const settled = closed.then(() => {}, (e: unknown) => { this.#evictionFailures.push(e ?? new Error('close failed')) })
    this.#closing.add(settled)
    await settled
    this.#closing.delete(settled)
  }

  /** Take a slot of the budget, then open; out of descriptors, shrink the budget, wait and retry. The slot is given back when the open fails. */
  async #open (path: string, create: boolean): Promise<FileHandleLike> {
    for (;;) {
      await this.#budget.acquire()
      try {
        return await this.#openFile(path, create)
      } catch (e) {
        if (isOutOfDescriptors(errno(e)) && this.#budget.shrink()) continue
        this.#budget.release()
        throw e
      }
    }
  }

  /**
   * Open `path`. With `create`, a file this cache has not opened before is
   * created first (`wx+`, after making its folder once) and opened `r+` only
   * when it exists: a download of 100,000 new files then makes no error per
   * file (each `ENOENT` was an Error with a stack, kept across a thread-pool
   * round trip).
   */
  async #openFile (path: string, create: boolean): Promise<FileHandleLike> {
    if (this.#readOnly) return await this.#fs.open(path, 'r')
    if (!create || this.#opened.has(path)) {
      try {
        return await this.#fs.open(path, 'r+')
      } catch (e) {
        if (!create || errno(e) !== 'ENOENT') throw e
      }
    }
    const h = await this.#create(path)
    this.#opened.add(path)
    return h
  }

  /** Make `folder` (once per cache, one `mkdir` however many opens wait for it; `again` after it was removed). */
  async #makeFolder (folder: string, again: boolean): Promise<void> {
    let made = again ? undefined : this.#folders.get(folder)
    if (made === undefined) {
      made = this.#fs.mkdir(folder, { recursive: true }).then(() => {})
      this.#folders.set(folder, made)
      made.catch(() => { if (this.#folders.get(folder) === made) this.#folders.delete(folder) })
    }
    await made
  }

  /** Open `path` for writing, creating it (and its folder) when missing; never truncates. */
  async #create (path: string): Promise<FileHandleLike> {
    const parent = dirname(path)
    for (let attempt = 0; ; attempt++) {
      await this.#makeFolder(parent, attempt > 0)
      try {
        return await this.#fs.open(path, 'wx+')
      } catch (e) {
        const code = errno(e)
        // The folder went away since we made it: make it again, once.
        if (code === 'ENOENT' && attempt === 0) continue
        if (code !== 'EEXIST') throw e
      }
      return await this.#fs.open(path, 'r+')
    }
  }
}

/** The `code` of a node system error, if any. */
export function errno (e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code
  return undefined
}
