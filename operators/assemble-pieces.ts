import type { CompletePiece, PieceAssembler } from '../lib/pieces/piece-assembler.js'
import type { PeerKey } from '../lib/pieces/request-planner.js'

/** A received block on its way to assembly (the payload of a BEP 3 `piece` message). */
export interface BlockIn {
  readonly peer: PeerKey
  readonly index: number
  readonly begin: number
  /** A view into the received chunk; kept, not copied. */
  readonly block: Uint8Array
}

/**
 * Feed blocks, one at a time or in batches (`demuxMessageBatches`), into a
 * (shared) {@link PieceAssembler}; yield each piece whose last block arrived. Pulls one block per piece yielded or per block held, so
 * backpressure from downstream reaches the connection. Completes when the
 * source does; ending early (break/return) stops pulling the source.
 * @throws ProtocolError `bad-block` from the assembler for a block that does
 *   not fit the geometry (the stream ends with it; the peer should be
 *   disconnected); RxTorrentError `buffer-full` likewise.
 * @see BEP 3 (piece)
 */
export function assemblePieces (assembler: PieceAssembler): (source: AsyncIterable<BlockIn | readonly BlockIn[]>) => AsyncIterable<CompletePiece> {
  return async function * (source) {
    for await (const item of source) {
      if (!isBatch(item)) {
        const piece = assembler.add(item.peer, item.index, item.begin, item.block)
        if (piece !== undefined) yield piece
        continue
      }
      // A batch is added whole before anything is yielded, so its blocks
      // (views of a borrowed chunk) are copied before the source is pulled.
      let done: CompletePiece[] | undefined
      for (const b of item) {
        const piece = assembler.add(b.peer, b.index, b.begin, b.block)
        if (piece !== undefined) (done ??= []).push(piece)
      }
      if (done !== undefined) yield * done
    }
  }
}

function isBatch (item: BlockIn | readonly BlockIn[]): item is readonly BlockIn[] {
  return Array.isArray(item)
}
