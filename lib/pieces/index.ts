/**
 * Pieces and blocks: the bitfield, piece geometry, piece pickers, the
 * request planner (which blocks to ask whom for) and the piece assembler
 * (block bytes until a piece is whole). Pure and synchronous; the stream
 * stages that drive them (`assemblePieces`, `verifyPieces`, `writePieces`,
 * `checkPieces`) live in `operators/`.
 *
 * @example
 * ```ts
 * // Bitfield, geometryOf, PieceAssembler and RequestPlanner come from 'rxtorrent/lib'.
 * const g = geometryOf({ length: 40_000, pieceLength: 32_768 })
 * const planner = new RequestPlanner(g, { have: new Bitfield(g.pieceCount) })
 * const assembler = new PieceAssembler(g)
 * planner.peerHas('peer-a', Bitfield.full(g.pieceCount))
 * const [ref] = planner.next('peer-a', Bitfield.full(g.pieceCount), 1) // → { index, begin: 0, length: 16384 }
 * // …when the block arrives:
 * if (ref && planner.receive('peer-a', ref) === 'accepted') {
 *   assembler.add('peer-a', ref.index, ref.begin, new Uint8Array(ref.length)) // → undefined until the piece is whole
 * }
 * ```
 * @see BEP 3
 */
export { Bitfield } from './bitfield.js'
export {
  geometryOf, pieceLengthAt, pieceOffset, blockCount, blockAt, blockNumberOf, isValidBlockRequest,
  type PieceGeometry, type BlockRef
} from './geometry.js'
export { candidatePieces, type PickerView, type PiecePicker } from './piece-picker.js'
export { rarestFirst, type RarestFirstOptions } from './rarest-first.js'
export { xorshift32 } from './xorshift32.js'
export { RequestPlanner, DEFAULT_MAX_PIECES_IN_PROGRESS, type PeerKey, type RequestPlannerOptions } from './request-planner.js'
export { PieceAssembler, DEFAULT_MAX_BUFFERED_BYTES, type CompletePiece, type PieceAssemblerOptions } from './piece-assembler.js'
export { expectedHash, digestEquals } from './piece-hash.js'
export { sequentialPicker, type SequentialPicker, type SequentialPickerOptions } from './sequential-picker.js'
export { type PlannedCancel } from './request-planner.js'
export { pickEndgame, endgameOrder, DEFAULT_MAX_DUPLICATES, type EndgameCandidate } from './endgame.js'
export { wantedPieces, selectFiles, globMatch, type FileSpan, type FileLayout, type NamedFile } from './file-priorities.js'
export { SuggestedPieces, DEFAULT_MAX_SUGGESTIONS_PER_PEER } from './suggested-pieces.js'
export { BufferPool, type BufferPoolOptions } from './buffer-pool.js'
