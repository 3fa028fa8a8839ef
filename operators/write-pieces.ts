import type { Storage } from '../lib/storage/types.js'
import type { VerifiedPiece } from './verify-pieces.js'

export interface WritePiecesOptions {
  /** The torrent's piece length: piece `i` is written at `i × pieceLength`. */
  readonly pieceLength: number
  /** Most writes pending at once before the source stops being pulled; default 4. */
  readonly highWaterMark?: number
  /** Passed to every write. */
  readonly signal?: AbortSignal
}

type Event =
  | { readonly kind: 'next', readonly result: IteratorResult<VerifiedPiece> }
  | { readonly kind: 'next-failed', readonly error: unknown }
  | { readonly kind: 'written', readonly id: number, readonly piece: VerifiedPiece }
  | { readonly kind: 'write-failed', readonly id: number, readonly error: unknown }

/**
 * Write each verified piece to storage at `index × pieceLength` (its blocks
 * passed as-is: one positional write, no concatenation) and yield the piece
 * once the write has resolved. Pieces with `ok: false` are not written and
 * are yielded straight away, so the caller can re-request them.
 *
 * Order: pieces are yielded in the order their writes complete, which may
 * differ from the source order.
 * Backpressure: up to `highWaterMark` writes may be pending; while that many
 * are, the source is not pulled.
 * Completion: after the source ends and every pending write has resolved.
 * Cancellation: ending the iteration early asks the source to return and
 * forgets pending writes (they still run to completion in the storage).
 * @throws the first StorageError a write rejects with, or the source's error.
 */
export function writePieces (storage: Storage, options: WritePiecesOptions): (source: AsyncIterable<VerifiedPiece>) => AsyncIterable<VerifiedPiece> {
  const { pieceLength, signal } = options
  const highWaterMark = Math.max(1, options.highWaterMark ?? 4)
  return async function * (source) {
    const it = source[Symbol.asyncIterator]()
    const pending = new Map<number, Promise<Event>>()
    let pull: Promise<Event> | undefined
    let sourceDone = false
    let nextId = 0
    try {
      while (true) {
        if (!sourceDone && pull === undefined && pending.size < highWaterMark) {
          pull = it.next().then(
            (result): Event => ({ kind: 'next', result }),
            (error: unknown): Event => ({ kind: 'next-failed', error })
          )
        }
        if (pull === undefined && pending.size === 0) return
        const event = await Promise.race(pull === undefined ? pending.values() : [pull, ...pending.values()])
        switch (event.kind) {
          case 'next-failed':
            sourceDone = true
            throw event.error
          case 'next': {
            pull = undefined
            if (event.result.done === true) { sourceDone = true; break }
            const piece = event.result.value
            if (!piece.ok) { yield piece; break }
            const id = nextId++
            const write = storage.write(piece.index * pieceLength, piece.blocks, signal === undefined ? undefined : { signal })
            pending.set(id, write.then(
              (): Event => ({ kind: 'written', id, piece }),
              (error: unknown): Event => ({ kind: 'write-failed', id, error })
            ))
            break
          }
          case 'written':
            pending.delete(event.id)
            yield event.piece
            break
          case 'write-failed':
            pending.delete(event.id)
            throw event.error
        }
      }
    } finally {
      if (!sourceDone) it.return?.()?.catch(() => {})
    }
  }
}
