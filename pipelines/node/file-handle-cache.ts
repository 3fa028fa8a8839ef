import { mkdir, open } from 'node:fs/promises'
import { dirname } from 'node:path'

/** The calls {@link FileHandleCache} makes on an open file; node's `FileHandle` has them. */
export interface FileHandleLike {
  /** The open file's descriptor, when the handle has one (node's `FileHandle` does); lets writes be made synchronously. */
  readonly fd?: number
  read: (buffer: Uint8Array, offset: number, length: number, position: number) => Promise<{ bytesRead: number }>
  writev: (buffers: Uint8Array[], position: number) => Promise<{ bytesWritten: number }>
  sync: () => Promise<void>
  close: () => Promise<void>
}

/** The file-system calls the file storage makes; node's `fs/promises` by default. Tests inject failures here. */
export interface FileSystemLike {
  open: (path: string, flags: 'r' | 'r+' | 'wx+' | 'a') => Promise<FileHandleLike>
  mkdir: (path: string, options: { recursive: true }) => Promise<unknown>
}

/** `node:fs/promises` as a {@link FileSystemLike}. */
export const nodeFileSystem: FileSystemLike = { open, mkdir }

interface Entry {
  readonly promise: Promise<FileHandleLike>
  refs: number
  evicted: boolean
  /** Written through since opened: synced before an eviction closes it. */
  dirty: boolean
}

/**
 * A small LRU of open file handles keyed by path. A handle in use is never
 * closed under its user: eviction marks it and the last user closes it.
 * Files are opened `r+` (or `r` when read-only); with `create`, a missing
 * file gets its directories and is created with `wx+`, so existing data is
 * never truncated, even when two opens race.
 * Open failures are not cached: the next use tries again. A handle written
 * through is `fsync`ed before eviction closes it, and `syncAll` waits for
 * those closes, so a flush covers evicted files too.
 */
export class FileHandleCache {
  readonly #fs: FileSystemLike
  readonly #max: number
  readonly #readOnly: boolean
  readonly #entries = new Map<string, Entry>()
  /** Evicted handles being synced and closed; each settles to its failure, if any. */
  readonly #closing = new Set<Promise<unknown>>()

  constructor (fs: FileSystemLike, options: { maxOpenFiles: number, readOnly: boolean }) {
    if (!Number.isSafeInteger(options.maxOpenFiles) || options.maxOpenFiles < 1) throw new RangeError(`bad maxOpenFiles ${options.maxOpenFiles}`)
    this.#fs = fs
    this.#max = options.maxOpenFiles
    this.#readOnly = options.readOnly
  }

  /** Handles currently cached (open or opening). */
  get size (): number {
    return this.#entries.size
  }

  /**
   * Run `fn` with an open handle for `path`, opening (and with `create`,
   * creating) the file when it is not cached.
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
        this.#release(path, entry, true)
        // A concurrent non-creating open failed with ENOENT: retry once, creating.
        if (create && attempt === 0 && errno(e) === 'ENOENT') continue
        throw e
      }
      try {
        return await fn(handle)
      } finally {
        this.#release(path, entry, false)
      }
    }
  }

  /** `sync` every open handle written through, and wait for evicted ones to be synced and closed. Rejects with the first failure. */
  async syncAll (): Promise<void> {
    const closing = [...this.#closing]
    this.#closing.clear()
    const results = await Promise.allSettled([...this.#entries.values()].map(async e => {
      if (!e.dirty) return
      const h = await e.promise.catch(() => undefined)
      if (h !== undefined) await h.sync()
    }))
    const evicted = await Promise.all(closing)
    for (const r of results) if (r.status === 'rejected') throw r.reason
    for (const failure of evicted) if (failure !== undefined) throw failure
  }

  /** Close every handle, including evicted ones still closing. Callers wait for their own operations first. Rejects with the first failure. */
  async closeAll (): Promise<void> {
    const entries = [...this.#entries.values()]
    this.#entries.clear()
    const closing = [...this.#closing]
    this.#closing.clear()
    const results = await Promise.allSettled(entries.map(async e => {
      e.evicted = true
      const h = await e.promise.catch(() => undefined)
      if (h !== undefined) await h.close()
    }))
    const evicted = await Promise.all(closing)
    for (const r of results) if (r.status === 'rejected') throw r.reason
    for (const failure of evicted) if (failure !== undefined) throw failure
  }

  #acquire (path: string, create: boolean): Entry {
    let entry = this.#entries.get(path)
    if (entry === undefined) {
      entry = { promise: this.#open(path, create), refs: 0, evicted: false, dirty: false }
      this.#entries.set(path, entry)
      this.#evict()
    } else {
      this.#entries.delete(path)
      this.#entries.set(path, entry)
    }
    entry.refs++
    return entry
  }

  #release (path: string, entry: Entry, failed: boolean): void {
    entry.refs--
    if (failed) {
      if (this.#entries.get(path) === entry) this.#entries.delete(path)
      return
    }
    if (entry.evicted && entry.refs === 0) this.#closeEvicted(entry)
  }

  #evict (): void {
    for (const [path, entry] of this.#entries) {
      if (this.#entries.size <= this.#max) break
      this.#entries.delete(path)
      entry.evicted = true
      if (entry.refs === 0) this.#closeEvicted(entry)
    }
  }

  #closeEvicted (entry: Entry): void {
    // An open that failed was reported to its caller already.
    const p = entry.promise.then(async h => {
      try {
        if (entry.dirty) await h.sync()
      } finally {
        await h.close()
      }
    }, () => undefined)
    // A failure is kept (not thrown) until the next syncAll reports it.
    this.#closing.add(p.then(() => undefined, (e: unknown) => e ?? new Error('close failed')))
  }

  async #open (path: string, create: boolean): Promise<FileHandleLike> {
    if (this.#readOnly) return await this.#fs.open(path, 'r')
    try {
      return await this.#fs.open(path, 'r+')
    } catch (e) {
      if (!create || errno(e) !== 'ENOENT') throw e
    }
    await this.#fs.mkdir(dirname(path), { recursive: true })
    try {
      return await this.#fs.open(path, 'wx+')
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e
      return await this.#fs.open(path, 'r+')
    }
  }
}

/** The `code` of a node system error, if any. */
export function errno (e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code
  return undefined
}
