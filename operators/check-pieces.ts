import type { PieceGeometry } from '../lib/pieces/geometry.js'
import { pieceLengthAt, pieceOffset } from '../lib/pieces/geometry.js'
import { digestEquals, expectedHash } from '../lib/pieces/piece-hash.js'
import { StorageError } from '../lib/errors.js'
import type { Hasher, Storage } from '../lib/storage/types.js'

/** Options of {@link checkPieces}. */
export interface CheckPiecesOptions {
  readonly geometry: PieceGeometry
  /** The metainfo's `pieces`: 20 bytes of SHA-1 per piece. */
  readonly pieceHashes: Uint8Array
  readonly storage: Storage
  readonly hasher: Hasher
  /** Aborting stops the check: the iteration throws the signal's reason. */
  readonly signal?: AbortSignal
  /** Pieces read ahead of the one being hashed; default 2 (memory: `readAhead + 1` pieces). */
  readonly readAhead?: number
  /** Check only these pieces (ascending; default every piece): a resume that trusts the rest. */
  readonly only?: readonly number[]
}

type ReadResult = { readonly ok: true, readonly data: Uint8Array } | { readonly ok: false, readonly error: unknown }

/**
 * Re-verify the data a storage already holds (resume, recheck): read piece by
 * piece, hash, and yield `{ index, ok }` for every piece (or every one of
 * `only`), in index order.
 * A read rejected with StorageError `missing` or `short` counts as not ok.
 * Memory is bounded: at most `readAhead + 1` pieces are read at once, into
 * buffers reused from piece to piece when the storage has `readInto` (the
 * hasher must be done with a buffer once its promise settles).
 * Completes after the last piece. Cancellation: aborting `signal` (or ending
 * the iteration) stops issuing reads; pending reads get the signal.
 * @throws the signal's reason when aborted; any other storage error; the
 *   hasher's errors; RxTorrentError `no-piece-hash` when `pieceHashes` is short.
 * @see BEP 3 (info.pieces), ADVERSARIAL G63–G66
 */
export async function * checkPieces (options: CheckPiecesOptions): AsyncIterable<{ index: number, ok: boolean }> {
  const { geometry, pieceHashes, storage, hasher, signal } = options
  const readAhead = Math.max(0, options.readAhead ?? 2)
  const reads = new Map<number, Promise<ReadResult>>()
  // With `readInto`, pieces are read into a ring of `readAhead + 1` buffers: the
  // buffer of a piece hashed is the next read's (a fresh buffer per piece left
  // a gigabyte of garbage per gigabyte checked, and the process's peak memory
  // was set by how much of it the collector let pile up).
  const ring: Uint8Array[] = []
  const order = options.only
  const count = order === undefined ? geometry.pieceCount : order.length
  const at = (k: number): number => order === undefined ? k : order[k] as number
  let issued = 0
  const issue = (): void => {
    const k = issued++
    const index = at(k)
    const length = pieceLengthAt(geometry, index)
    const opts = signal === undefined ? undefined : { signal }
    let read: Promise<Uint8Array>
    if (storage.readInto !== undefined) {
      const slot = k % (readAhead + 1)
      const buffer = ring[slot] ?? new Uint8Array(geometry.pieceLength)
      ring[slot] = buffer
      read = storage.readInto(pieceOffset(geometry, index), buffer.subarray(0, length), opts)
    } else {
      read = storage.read(pieceOffset(geometry, index), length, opts)
    }
    reads.set(index, read.then(
      (data): ReadResult => ({ ok: true, data }),
      (error: unknown): ReadResult => ({ ok: false, error })
    ))
  }
  for (let k = 0; k < count; k++) {
    const index = at(k)
    signal?.throwIfAborted()
    while (issued < count && issued <= k + readAhead) issue()
    const result = await abortable(reads.get(index) as Promise<ReadResult>, signal)
    reads.delete(index)
    signal?.throwIfAborted()
    if (!result.ok) {
      if (result.error instanceof StorageError && (result.error.code === 'missing' || result.error.code === 'short')) {
        yield { index, ok: false }
        continue
      }
      throw result.error
    }
    const expected = expectedHash(pieceHashes, index)
    const actual = await hasher.sha1([result.data])
    yield { index, ok: result.data.length === pieceLengthAt(geometry, index) && digestEquals(actual, expected) }
  }
}

/** `p`, or the signal's reason as soon as it aborts. */
async function abortable<T> (p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await p
  signal.throwIfAborted()
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([p, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort as () => void)
  }
}
