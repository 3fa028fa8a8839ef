import type { Observable, Subscription } from 'rxjs'
import { RxTorrentError, UsageError } from '../lib/errors.js'
import type { Torrent } from '../lib/metainfo/types.js'
import type { Bitfield } from '../lib/pieces/bitfield.js'
import type { Storage } from '../lib/storage/types.js'

/** Default bytes per yielded chunk: 64 KiB. */
export const DEFAULT_READ_CHUNK_SIZE = 64 * 1024

/** Options of {@link readFileStream}: the file, the byte range, and where verified pieces come from. */
export interface ReadFileStreamOptions {
  readonly torrent: Torrent
  /** Index into `torrent.files`. */
  readonly fileIndex: number
  /** First byte, relative to the file; default 0. */
  readonly start?: number
  /** End byte (exclusive), relative to the file; default the file's length. */
  readonly end?: number
  /** Where verified piece data is read from (absolute torrent offsets). */
  readonly storage: Storage
  /** Our verified pieces, asked again at every check. */
  readonly have: () => Bitfield
  /** Emits whenever any piece is verified. */
  readonly verified$: Observable<number>
  /** Called with the piece the reader is about to wait on, e.g. `picker.setPosition`. */
  readonly onPosition?: (piece: number) => void
  readonly signal?: AbortSignal
  /** Largest chunk yielded; default {@link DEFAULT_READ_CHUNK_SIZE}. */
  readonly chunkSize?: number
}

/**
 * The bytes of one file of a torrent from `start` to `end`, in order, read
 * only from verified pieces: for each chunk, every piece it touches must be
 * in `have()`; otherwise `onPosition(piece)` is called with the first missing
 * one and the reader waits on `verified$` until it is. Each chunk is read when
 * it is pulled and nothing is read ahead (backpressure); the chunk buffers are
 * the storage's, yielded without copying. An empty range yields nothing.
 *
 * Options are checked when called, before iteration.
 * @throws UsageError `bad-file`, `bad-range`, `bad-chunk-size` (synchronously)
 *   for a file index, range or chunk size that does not fit the torrent.
 *   While iterating: the signal's reason when aborted (also while waiting);
 *   whatever `verified$` errors with; RxTorrentError `verified-ended` (fatal)
 *   when `verified$` completes while a piece is still missing; whatever the
 *   storage rejects with.
 * @see BEP 3
 */
export function readFileStream (options: ReadFileStreamOptions): AsyncIterable<Uint8Array> {
  const { torrent, fileIndex, storage, have, verified$, onPosition, signal } = options
  const file = Number.isSafeInteger(fileIndex) ? torrent.files[fileIndex] : undefined
  if (file === undefined) {
    throw new UsageError('bad-file', `no file ${String(fileIndex)} in a torrent of ${torrent.files.length} files`, { details: { fileIndex } })
  }
  const start = options.start ?? 0
  const end = options.end ?? file.length
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > file.length) {
    throw new UsageError('bad-range', `range ${String(start)}..${String(end)} is outside file ${fileIndex} (${file.length} bytes)`, {
      details: { fileIndex, start, end, length: file.length }
    })
  }
  const chunkSize = options.chunkSize ?? DEFAULT_READ_CHUNK_SIZE
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
    throw new UsageError('bad-chunk-size', `chunk size must be a positive integer, got ${String(chunkSize)}`, { details: { chunkSize } })
  }
  const pieceLength = torrent.pieceLength
  const readOptions = signal === undefined ? undefined : { signal }

  return (async function * () {
    let pos = file.offset + start
    const stop = file.offset + end
    while (pos < stop) {
      signal?.throwIfAborted()
      const chunkEnd = Math.min(pos + chunkSize, stop)
      const first = Math.floor(pos / pieceLength)
      const last = Math.floor((chunkEnd - 1) / pieceLength)
      for (let missing = firstMissing(have(), first, last); missing !== -1; missing = firstMissing(have(), first, last)) {
        onPosition?.(missing)
        await waitForPiece(verified$, have, missing, signal)
      }
      const data = await storage.read(pos, chunkEnd - pos, readOptions)
      pos = chunkEnd
      yield data
    }
  })()
}

/** The first piece in `first..last` not in `bits`, or -1. */
function firstMissing (bits: Bitfield, first: number, last: number): number {
  for (let i = first; i <= last; i++) if (!bits.has(i)) return i
  return -1
}

/**
 * Resolves once `have()` holds `piece`, checked right after subscribing (so a
 * verification between the caller's check and the subscription is not lost)
 * and at every emission of `verified$`. Unsubscribes on every outcome.
 */
function waitForPiece (verified$: Observable<number>, have: () => Bitfield, piece: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) { reject(signal.reason); return }
    let settled = false
    let subscription: Subscription | undefined
    const settle = (fn: () => void): void => {
      if (settled) return
      settled = true
      subscription?.unsubscribe()
      signal?.removeEventListener('abort', onAbort)
      fn()
    }
    const onAbort = (): void => { settle(() => reject(signal?.reason)) }
    signal?.addEventListener('abort', onAbort, { once: true })
    subscription = verified$.subscribe({
      next: () => { if (have().has(piece)) settle(resolve) },
      error: (e: unknown) => { settle(() => reject(e)) },
      complete: () => {
        settle(() => reject(new RxTorrentError('verified-ended', `verified pieces ended while waiting for piece ${piece}`, { disposition: 'fatal', details: { piece } })))
      }
    })
    // The subscription may have settled synchronously (a replaying source).
    if (settled) subscription.unsubscribe()
    else if (have().has(piece)) settle(resolve)
  })
}
