import { statSync } from 'node:fs'
import { StorageError } from '../../lib/errors.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { mapRange, type FileSegment } from '../../lib/storage/file-layout.js'
import type { Storage } from '../../lib/storage/types.js'
import { AlignedAllocator, DIRECT_IO_ALIGNMENT } from './aligned-memory.js'
import { FileHandleCache, errno, nodeFileSystem, type FileSystemLike } from './file-handle-cache.js'
import { defaultMaxOpenFiles } from './fd-limit.js'
import { DEFAULT_MAX_OPEN_FILES, OpenFileBudget } from './open-file-budget.js'
import { resolveInside, torrentFilePath } from './resolve-inside.js'
import { readFully, settleAll, sliceChunks, writeFully, writeInline } from './positional-io.js'
import { toStorageError } from './storage-errors.js'
import { ensureFiles } from './ensure-files.js'
import { DIRECT_REFUSALS, O_DIRECT, directFileSystem, directSpan } from './direct-io.js'

export { ensureFiles }
export { INLINE_WRITE_BYTES } from './positional-io.js'

/** Options of {@link FileStorage}. */
export interface FileStorageOptions {
  /** Open files `r` and reject writes with StorageError `read-only`. */
  readonly readOnly?: boolean
  /**
   * Most file descriptors open at once, buffered and direct handles together
   * (counting those being opened and closed); default a quarter of the
   * process's open-file limit, at most {@link DEFAULT_MAX_OPEN_FILES} (128)
   * and at least 4 (`defaultMaxOpenFiles`), so sockets keep the rest. When
   * full, the least recently used idle handle is closed (without `fsync`:
   * `flush` syncs every file written) and the read or write waits for it.
   * Ignored when `openFiles` is given.
   */
  readonly maxOpenFiles?: number
  /**
   * A budget of descriptors shared with other storages (one per session, as
   * libtorrent's file pool); default a budget of `maxOpenFiles` of this
   * storage's own.
   */
  readonly openFiles?: OpenFileBudget
  /** File-system calls; default `node:fs/promises`. */
  readonly fs?: FileSystemLike
  /**
   * How writes that do not go direct (see `directIo`) reach the kernel. `'inline'` (the default): synchronous
   * positional writes of at most {@link INLINE_WRITE_BYTES} each, made on the
   * calling thread when `write` runs. `'thread-pool'`: one asynchronous
   * `writev` per file segment on Node's thread pool. Handles without a file
   * descriptor (an injected `fs`) are always written through the pool.
   *
   * Inline is the faster here by far: a 1 GiB download spent 0.56 s of system
   * time on its writes in 64 KiB steps from the main thread against 1.6-2.6 s
   * in 1 MiB writes from the pool (the kernel serves a large write with large
   * page-cache folios, which this VM fills from cold memory; small writes
   * from one thread reuse warm pages), and 1.2 s in 64 KiB steps from the
   * pool. The price: the event loop waits while the kernel copies a piece
   * into the page cache (0.5-2 ms per MiB here). On a file system whose
   * writes block for long (a network mount, a disk far slower than the
   * download) choose `'thread-pool'`.
   */
  readonly writes?: 'inline' | 'thread-pool'
  /**
   * Write around the page cache (`O_DIRECT`) what can be: a segment held in
   * one buffer from this storage's {@link FileStorage.allocate}, at a file
   * offset that is a multiple of {@link DIRECT_IO_ALIGNMENT}, for its whole
   * multiple of that length, asynchronously on Node's thread pool. The rest
   * (a short last piece's tail, a piece's share of a file that starts
   * unaligned, buffers from elsewhere) is written as `writes` says. Where the
   * file system refuses direct I/O (`EINVAL` or `EOPNOTSUPP`: tmpfs before
   * Linux 6.6, some FUSE and overlay mounts)
   * the storage says so in `directIo` and writes through the cache from then
   * on. Only on the real file system (never with an injected `fs`); default
   * `true` where `O_DIRECT` exists (Linux).
   *
   * Why: the copy into the page cache was the download's largest cost after
   * hashing (0.6-1.5 s of system time per GiB on the main thread here, more
   * when the VM hands out memory it had not touched before), and it
   * fills memory with dirty pages that push out what the machine was using.
   * A direct write is a DMA from the piece buffer: ~0.12 s of system time per
   * GiB (`dd oflag=direct` here), off the event loop. The price: data just
   * written is read back from the device, not from memory, when it is
   * seeded; and the kernel no longer reorders writes for a spinning disk.
   */
  readonly directIo?: boolean
  /**
   * How files are opened for direct writes; default `node:fs/promises` with
   * `O_DIRECT`. For tests (a file system that refuses) and platforms with
   * their own way to bypass the cache.
   */
  readonly directFs?: FileSystemLike
}

/** Files {@link FileStorage.isEmpty} looks at between two turns of the event loop. */
export const STAT_BATCH = 2048


/**
 * Torrent data in files under a directory, laid out as libtorrent's save path
 * (`<dir>/<name>` for a single file, `<dir>/<name>/<path…>` otherwise).
 *
 * Reads and writes are positional; a range spanning several files is split
 * into one read and one write (or run of 64 KiB writes) per file, passing
 * views of the caller's buffers (no copy). Files and directories are created
 * on first write, never truncated; padding files are never created and read
 * as zeros. A bounded LRU keeps handles open (see `maxOpenFiles`). Writes to one file are queued
 * and run one at a time (each waits for the one before it, whatever its
 * outcome); writes to different files run side by side. By default what
 * can be is written around the page cache (`O_DIRECT`, from buffers made by
 * {@link FileStorage.allocate}; see `directIo`), the rest on the calling
 * thread in 64 KiB synchronous steps (see `writes` for why, and for the
 * thread-pool alternative). Every path is
 * checked to stay inside `dir` (and a multi-file torrent's inside
 * `<dir>/<name>`) when the storage is built.
 *
 * Failures are StorageErrors: `missing` / `short` (disposition `ignore`) when
 * a read finds no file or hits its end, `disk-full`, `permission`, `io`
 * (`fatal`), `read-only`, `out-of-range`, `closed`.
 * @see BEP 3, BEP 47
 */
export class FileStorage implements Storage {
  readonly #files: Torrent['files']
  readonly #torrent: Pick<Torrent, 'name' | 'multiFile' | 'files'>
  readonly #dir: string
  readonly #fs: FileSystemLike
  readonly #paths: (string | undefined)[]
  /** `<dir>/<name>` of a multi-file torrent (every file lies under it), else `undefined`. */
  readonly #root: string | undefined
  readonly #cache: FileHandleCache
  readonly #readOnly: boolean
  readonly #realFs: boolean
  readonly #inline: boolean
  /** Direct (O_DIRECT) write handles; `undefined` when direct writes cannot apply. */
  readonly #direct: FileHandleCache | undefined
  /** Why writes do not go direct (now); `undefined` while they do. */
  #directOff: string | undefined
  readonly #aligned: AlignedAllocator | undefined
  readonly #inFlight = new Set<Promise<unknown>>()
  /**
   * The last write queued to each file. Writes to one file run one at a
   * time: the kernel serialises buffered writes to an inode anyway, and
   * thread-pool threads queued on that lock spin on a CPU the download
   * needs (measured: ~5% of the process's CPU with four pieces written at
   * once). Reads are not queued.
   */
  readonly #writeTails = new Map<string, Promise<void>>()
  #closed = false

  /**
   * @throws StorageError `path-escape` (disposition `reject`) when a file path
   *   would resolve outside `dir`.
   */
  constructor (torrent: Torrent, dir: string, options: FileStorageOptions = {}) {
    this.#files = torrent.files
    this.#torrent = torrent
    this.#dir = dir
    this.#fs = options.fs ?? nodeFileSystem
    this.#paths = torrent.files.map(f => f.padding ? undefined : torrentFilePath(dir, torrent, f))
    this.#root = torrent.multiFile ? resolveInside(dir, [torrent.name]) : undefined
    this.#readOnly = options.readOnly === true
    this.#realFs = options.fs === undefined
    this.#inline = (options.writes ?? 'inline') === 'inline'
    const budget = options.openFiles ?? new OpenFileBudget(options.maxOpenFiles ?? defaultMaxOpenFiles())
    this.#cache = new FileHandleCache(options.fs ?? nodeFileSystem, { budget, readOnly: this.#readOnly })
    const directFs = options.directFs ?? (O_DIRECT === undefined ? undefined : directFileSystem(O_DIRECT))
    this.#directOff = this.#readOnly
      ? 'read-only storage'
      : !this.#realFs
          ? 'an injected file system'
          : options.directIo === false
            ? 'turned off (directIo: false)'
            : directFs === undefined ? 'O_DIRECT is not available on this platform' : undefined
    if (this.#directOff === undefined && directFs !== undefined) {
      this.#direct = new FileHandleCache(directFs, { budget, readOnly: false })
      this.#aligned = new AlignedAllocator({ slabBytes: slabBytesFor(torrent.pieceLength) })
    }
  }

  /**
   * Whether writes go around the page cache: `{ on: true }`, or `{ on:
   * false, reason }` when they were turned off, cannot apply (read-only, an
   * injected file system), the platform lacks them, or the file system
   * refused them.
   */
  get directIo (): { readonly on: boolean, readonly reason?: string } {
    return this.#directOff === undefined ? { on: true } : { on: false, reason: this.#directOff }
  }

  /**
   * A zero-filled buffer of `length` bytes that this storage writes fastest:
   * with direct I/O on, memory at an aligned address (see
   * {@link AlignedAllocator}); otherwise a plain `Uint8Array`. Piece buffers
   * handed to `write` should come from here.
   */
  allocate (length: number): Uint8Array {
    return this.#aligned === undefined ? new Uint8Array(length) : this.#aligned.allocate(length)
  }

  /** The absolute path of file `index`, `undefined` for a padding file. */
  pathOf (index: number): string | undefined {
    return this.#paths[index]
  }

  /**
   * Read `length` bytes at `offset` into a new zero-filled buffer; padding reads as zeros.
   * Rejects with StorageError `missing`, `short`, `out-of-range`, `closed`, `io`…, or the signal's reason.
   */
  read (offset: number, length: number, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    // A length no buffer can have is out of range, checked before allocating.
    if (!Number.isSafeInteger(length) || length < 0) return this.#track(async () => { this.#plan(offset, length, options.signal); return new Uint8Array(0) })
    return this.readInto(offset, new Uint8Array(length), options)
  }

  /**
   * Read `into.length` bytes at `offset` into `into` (padding: zeros are
   * written there) and resolve with it. Failures as {@link FileStorage.read}.
   */
  readInto (offset: number, into: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    return this.#track(async () => {
      const segments = this.#plan(offset, into.length, options.signal)
      const out = into
      // Padding files are not read: what they cover must read as zeros.
      if (covered(segments) < into.length) out.fill(0)
      await settleAll(segments.map(async s => {
        const path = this.#paths[s.file] as string
        try {
          await this.#cache.use(path, false, async h => { await readFully(h, out.subarray(s.bufferOffset, s.bufferOffset + s.length), s.fileOffset, path) })
        } catch (e) {
          throw toStorageError(e, path, 'read')
        }
      }))
      return out
    })
  }

  /**
   * Write `chunks`, in order, at `offset`: one `writev` per file touched, of
   * views into `chunks`. Callers must not change the chunks until it resolves.
   * Rejects with StorageError `read-only`, `disk-full`, `permission`, `io`,
   * `out-of-range`, `closed`, or the signal's reason.
   */
  write (offset: number, chunks: readonly Uint8Array[], options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#track(async () => {
      let length = 0
      for (const c of chunks) length += c.length
      if (this.#readOnly) throw new StorageError('read-only', 'storage is read-only')
      const segments = this.#plan(offset, length, options.signal)
      await settleAll(segments.map(async s => {
        const path = this.#paths[s.file] as string
        try {
          await this.#queued(path, async () => {
            let views = sliceChunks(chunks, s.bufferOffset, s.length)
            let at = s.fileOffset
            const head = views.length === 1 ? directSpan(views[0] as Uint8Array, at) : 0
            if (head > 0 && await this.#writeDirect(path, (views[0] as Uint8Array).subarray(0, head), at)) {
              views = [(views[0] as Uint8Array).subarray(head)]
              at += head
              if (head === s.length) return
            }
            await this.#cache.use(path, true, async h => {
              if (this.#inline && h.fd !== undefined) writeInline(h.fd, views, at)
              else await writeFully(h, views, at)
            })
          })
        } catch (e) {
          throw toStorageError(e, path, 'write')
        }
      }))
    })
  }

  /**
   * Write `view` at `position` through the direct handle of `path`; false
   * (nothing written, direct writes off from now on) when direct I/O is off
   * or the file system refuses it.
   */
  async #writeDirect (path: string, view: Uint8Array, position: number): Promise<boolean> {
    const direct = this.#direct
    if (direct === undefined || this.#directOff !== undefined) return false
    try {
      await direct.use(path, true, async h => { await writeFully(h, [view], position) })
      return true
    } catch (e) {
      const code = errno(e)
      if (code === undefined || !DIRECT_REFUSALS.has(code)) throw e
      // The file system refuses O_DIRECT: everything goes through the page cache from now on.
      this.#directOff ??= `the file system refused a direct write to ${path} (${code})`
      return false
    }
  }

  /** Run `fn` after every write queued to `path` before it has settled. */
  #queued (path: string, fn: () => Promise<void>): Promise<void> {
    const before = this.#writeTails.get(path)
    const run = before === undefined ? fn() : before.then(fn)
    const tail = run.then(() => {}, () => {})
    this.#writeTails.set(path, tail)
    void tail.then(() => { if (this.#writeTails.get(path) === tail) this.#writeTails.delete(path) })
    return run
  }

  /**
   * True when none of the torrent's files exists or every one is empty. Only
   * answered on the real file system (false with an injected `fs`). One
   * `stat` when the torrent's folder is missing; otherwise synchronous
   * `stat`s that make no error for a missing file, yielding to the event
   * loop every `STAT_BATCH` files (a 100,000-file torrent took 20 s of
   * thread-pool round trips with one asynchronous `stat` each).
   */
  async isEmpty (): Promise<boolean> {
    if (!this.#realFs) return false
    if (this.#root !== undefined && statSync(this.#root, { throwIfNoEntry: false }) === undefined) return true
    let done = 0
    for (const path of this.#paths) {
      if (path === undefined) continue
      if (++done % STAT_BATCH === 0) await new Promise(resolve => { setImmediate(resolve) })
      try {
        if ((statSync(path, { throwIfNoEntry: false })?.size ?? 0) > 0) return false
      } catch {
        // Unreadable: the read will say why; no data there for this answer.
      }
    }
    return true
  }

  /**
   * Make what no write creates once the download is complete: the folders
   * of every file and the zero-length files ({@link ensureFiles}). Rejects
   * with StorageError `path-escape`, `disk-full`, `permission`, `io`.
   */
  async finalize (): Promise<void> {
    await ensureFiles(this.#torrent, this.#dir, { fs: this.#fs })
  }

  /** `fsync` every open file. Rejects with StorageError `closed`, `io`… */
  flush (): Promise<void> {
    return this.#track(async () => {
      try {
        await Promise.all([this.#cache, this.#direct].map(async c => { await c?.syncAll() }))
      } catch (e) {
        throw toStorageError(e, '(flush)', 'write')
      }
    })
  }

  /** Wait for operations in flight, then close every handle. Later calls reject with StorageError `closed`. Idempotent. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled([...this.#inFlight])
    try {
      const results = await Promise.allSettled([this.#cache, this.#direct].map(async c => { await c?.closeAll() }))
      for (const r of results) if (r.status === 'rejected') throw r.reason
    } catch (e) {
      throw toStorageError(e, '(close)', 'write')
    }
  }

  #plan (offset: number, length: number, signal: AbortSignal | undefined): FileSegment[] {
    signal?.throwIfAborted()
    return mapRange(this.#files, offset, length).filter(s => !s.padding)
  }

  #track<T> (fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StorageError('closed', 'storage is closed'))
    const p = fn()
    this.#inFlight.add(p)
    const done = (): void => { this.#inFlight.delete(p) }
    p.then(done, done)
    return p
  }
}

/**
 * Slab size of the aligned allocator: four pieces, between 1 and 32 MiB.
 * Measured: with 32 MiB slabs for 16 KiB pieces, a 100,000-file download
 * peaked at 390 MiB RSS (V8's heap grew 100 MB more before collecting),
 * against 260 MiB with 1-4 MiB slabs.
 */
function slabBytesFor (pieceLength: number): number {
  return Math.min(32 * 1024 * 1024, Math.max(1024 * 1024, 4 * pieceLength))
}

/** Bytes of the range that `segments` (files with data, padding left out) fill. */
function covered (segments: readonly FileSegment[]): number {
  let n = 0
  for (const s of segments) n += s.length
  return n
}
