/**
 * Where piece data lives. Offsets are absolute torrent offsets (piece index ×
 * piece length + begin); the storage maps them onto its files. The default is
 * files on disk (pipelines/node); memory storage is in lib for tests and the
 * simulator; users may supply their own.
 */
export interface Storage {
  /**
   * Read `length` bytes at `offset` into a new buffer. Bytes never written
   * either read as zeros (memory) or reject with `StorageError` `missing` /
   * `short` (files that do not exist or end early); a re-check counts both as
   * pieces we do not have. Other failures reject with a `StorageError`.
   */
  read: (offset: number, length: number, options?: { signal?: AbortSignal }) => Promise<Uint8Array>
  /**
   * Optional: read `into.length` bytes at `offset` into `into` (a buffer the
   * caller reuses), resolving with `into`. Failures as {@link Storage.read}.
   * Without it, callers that reuse buffers fall back to `read`.
   */
  readInto?: (offset: number, into: Uint8Array, options?: { signal?: AbortSignal }) => Promise<Uint8Array>
  /**
   * Write the given chunks, in order, starting at `offset`. Resolves when the
   * data is handed to the OS (not necessarily flushed). Rejects with a
   * `StorageError`.
   */
  write: (offset: number, chunks: readonly Uint8Array[], options?: { signal?: AbortSignal }) => Promise<void>
  /** Flush data to stable storage. */
  flush: () => Promise<void>
  /**
   * True when the storage holds no data at all (no file exists or every one
   * is empty), so a re-check can skip reading. Optional: without it, or when
   * it resolves false, every piece is read and hashed.
   */
  isEmpty?: () => Promise<boolean>
  /** Release handles. Further calls reject. */
  close: () => Promise<void>
  /**
   * Optional: a zero-filled buffer of `length` bytes of the kind this storage
   * writes fastest (the file storage's direct writes need aligned memory).
   * Piece buffers are taken from here when it is present; when it throws,
   * the runtime uses plain memory instead.
   */
  allocate?: (length: number) => Uint8Array
  /**
   * Optional: called once every wanted piece is verified and written, to
   * make what no write creates (the file storage makes zero-length files
   * and their folders). Rejects with a `StorageError`.
   */
  finalize?: () => Promise<void>
}

/** A SHA-1 (v1) hasher. node:crypto's in the Node shell. */
export interface Hasher {
  /** SHA-1 over the concatenation of `chunks`, without concatenating them. */
  sha1: (chunks: readonly Uint8Array[]) => Uint8Array | Promise<Uint8Array>
  /**
   * Optional: SHA-1 of a buffer the caller hands over whole (it must own all
   * of the buffer's memory and not touch it until this settles). The hasher
   * may move it to another thread; the same bytes come back as `data`,
   * possibly as a new object.
   */
  sha1Owned?: (data: Uint8Array) => Promise<{ digest: Uint8Array, data: Uint8Array }>
}
