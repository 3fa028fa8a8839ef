import { pipe } from 'it-pipe'
import { assemblePieces, type BlockIn } from '../operators/assemble-pieces.js'
import { verifyPieces, type VerifiedPiece } from '../operators/verify-pieces.js'
import { writePieces } from '../operators/write-pieces.js'
import type { Hasher, Storage } from '../lib/storage/types.js'
import type { Torrent } from '../lib/metainfo/types.js'
import type { PieceAssembler } from '../lib/pieces/piece-assembler.js'
import type { BlockRef } from '../lib/pieces/geometry.js'
import type { TorrentInput } from '../lib/torrent/types.js'

/** What the block path needs of a torrent (`TorrentRuntime` provides it). */
export interface PiecePathHost {
  readonly torrent: Pick<Torrent, 'pieceHashes' | 'pieceLength'>
  readonly assembler: PieceAssembler
  readonly hasher: Hasher
  readonly storage: Storage
  /** Step the engine (`block`, `peer-released`). */
  input: (input: TorrentInput) => { readonly accepted?: boolean, readonly serve?: BlockRef }
  /** A piece went through verification. */
  pieceDone: (piece: VerifiedPiece, from: { readonly key: string }) => void
}

/**
 * The block path every source shares: blocks into pieces (one assembler for
 * the torrent), SHA-1 verification, positional writes with at most four
 * pending per source. Pieces that left assembly but are not yet verified
 * and written are kept in `inFlight`, so a source that dies can give them
 * back (the engine's `peer-closed`).
 */
export function piecePath (rt: PiecePathHost, inFlight: Set<number>): (blocks: AsyncIterable<BlockIn | readonly BlockIn[]>) => AsyncIterable<VerifiedPiece> {
  return (blocks) => pipe(
    blocks,
    assemblePieces(rt.assembler),
    async function * (pieces) { for await (const p of pieces) { inFlight.add(p.index); yield p } },
    verifyPieces({ pieceHashes: rt.torrent.pieceHashes, hasher: rt.hasher, concurrency: 4, owned: true }),
    writePieces(rt.storage, { pieceLength: rt.torrent.pieceLength, highWaterMark: 4 })
  )
}

/**
 * Blocks from a source that is not a peer connection (a BEP 19 web seed):
 * the ones the planner gave `key` go through the same assembly,
 * verification and writes as a peer's, each first offered to the engine
 * (`block`). Resolves when the source ends; what it left unfinished is
 * freed for others.
 */
export async function ingestBlocks (rt: PiecePathHost, key: string, source: AsyncIterable<BlockIn>): Promise<void> {
  const inFlight = new Set<number>()
  const accepted = async function * (blocks: AsyncIterable<BlockIn>): AsyncGenerator<BlockIn> {
    for await (const b of blocks) {
      if (rt.input({ type: 'block', peer: key, ref: { index: b.index, begin: b.begin, length: b.block.length } }).accepted === true) yield b
    }
  }
  try {
    for await (const piece of pipe(source, accepted, piecePath(rt, inFlight))) {
      inFlight.delete(piece.index)
      rt.pieceDone(piece, { key })
    }
  } finally {
    rt.input({ type: 'peer-released', peer: key, unfinished: [...inFlight], held: (index, begin) => rt.assembler.holds(index, begin) })
  }
}
