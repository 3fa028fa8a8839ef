import { UsageError } from '../errors.js'
import type { Torrent } from '../metainfo/types.js'
import type { BlockRef } from '../pieces/geometry.js'
import { geometryOf, isValidBlockRequest } from '../pieces/geometry.js'
import { mapRange } from '../storage/file-layout.js'

/** Where some bytes of one HTTP range land in one block. */
export interface RangePart {
  readonly ref: BlockRef
  /** Offset of the bytes inside the block. */
  readonly blockOffset: number
  /** Offset of the bytes inside the range's body (0 = the byte at `start`). */
  readonly fileOffsetInRange: number
  readonly length: number
}

/** One HTTP range request: bytes `start..end` (inclusive) of file `file`. */
export interface RangeRequest {
  /** Index of the file in `torrent.files`. */
  readonly file: number
  readonly start: number
  /** Inclusive, as in a `Range: bytes=start-end` header. */
  readonly end: number
  /** The parts in body order; they tile `start..end` exactly. */
  readonly parts: RangePart[]
}

/**
 * Group requested blocks into as few HTTP range requests as possible: the
 * blocks are ordered by their position in the torrent, and each contiguous
 * run gives one request per file it crosses. Bytes inside BEP 47 padding
 * files give no request: they are zeros, so a block made only of padding
 * appears in no part at all and its data is all zeros. Overlapping or
 * repeated blocks start a new request rather than sharing bytes.
 * @throws UsageError `bad-block` when a ref is not a block of the torrent
 *   (piece out of range, empty, or running past its piece).
 * @see BEP 19, BEP 47
 */
export function planRanges (torrent: Pick<Torrent, 'files' | 'length' | 'pieceLength' | 'pieceCount'>, refs: readonly BlockRef[]): RangeRequest[] {
  const g = geometryOf(torrent)
  for (const ref of refs) {
    if (!isValidBlockRequest(g, ref, g.pieceLength)) {
      throw new UsageError('bad-block', `block ${ref.index}:${ref.begin}+${ref.length} is not part of the torrent`, { details: { ...ref } })
    }
  }
  const abs = (r: BlockRef): number => r.index * g.pieceLength + r.begin
  const sorted = [...refs].sort((a, b) => abs(a) - abs(b))
  const out: Array<{ file: number, start: number, end: number, parts: RangePart[] }> = []
  let runEnd = -1
  for (const ref of sorted) {
    const offset = abs(ref)
    const contiguous = offset === runEnd
    runEnd = offset + ref.length
    for (const seg of mapRange(torrent.files, offset, ref.length)) {
      if (seg.padding) continue
      const last = out[out.length - 1]
      if (contiguous && last !== undefined && last.file === seg.file && last.end + 1 === seg.fileOffset) {
        last.parts.push({ ref, blockOffset: seg.bufferOffset, fileOffsetInRange: seg.fileOffset - last.start, length: seg.length })
        last.end += seg.length
      } else {
        out.push({
          file: seg.file,
          start: seg.fileOffset,
          end: seg.fileOffset + seg.length - 1,
          parts: [{ ref, blockOffset: seg.bufferOffset, fileOffsetInRange: 0, length: seg.length }]
        })
      }
    }
  }
  return out
}
