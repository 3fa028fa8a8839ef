import { Buffer } from 'node:buffer'
import { UsageError } from '../../lib/errors.js'
import { pieceHash, pieceSize, type Torrent } from '../../lib/metainfo/types.js'
import type { Hasher } from '../../lib/storage/types.js'
import { nodeHasher } from '../node/hasher.js'

/** The grid of tags: one per 16 KiB block of the torrent, counted from its first byte. */
export const TAG_BLOCK = 16 * 1024
/** Bytes of a tag at the start of each block: the block's number and the swarm's magic, big-endian. */
export const TAG_BYTES = 8
/** Chunks this short are carried whole. */
export const SMALL_CHUNK = 64

/**
 * The payload of a simulation without its bytes (`payload: 'virtual'`):
 * every 16 KiB block of the swarm's canonical data starts with a tag (its
 * block number and a magic number drawn from the seed) that stands for its
 * content. Links carry only the tags of blocks read from that data, storage
 * compares tags, and the hasher checks a piece's tags and answers with the
 * torrent's own hash of that piece. Everything else of a block (its length,
 * its PIECE header, its place in the stream) is as with real bytes.
 */
export class VirtualPayload {
  /** The canonical data, tagged in place: the buffer every block view of the swarm is cut from. */
  readonly data: Uint8Array
  readonly #magic: number
  readonly #torrent: Torrent

  /**
   * Tags `data` in place (the caller gives up its untagged content).
   * @throws UsageError `bad-sim-torrent` when the piece length is not a multiple of 16 KiB
   */
  constructor (torrent: Torrent, data: Uint8Array, magic: number) {
    if (torrent.pieceLength % TAG_BLOCK !== 0) throw new UsageError('bad-sim-torrent', `payload: 'virtual' needs a piece length that is a multiple of 16 KiB, got ${torrent.pieceLength}`)
    this.#torrent = torrent
    this.#magic = magic >>> 0
    this.data = data
    for (let at = 0; at < data.length; at += TAG_BLOCK) this.#tag(at / TAG_BLOCK).copy(data, at, 0, Math.min(TAG_BYTES, data.length - at))
  }

  #tag (block: number): Buffer {
    const b = Buffer.allocUnsafe(TAG_BYTES)
    b.writeUInt32BE(block >>> 0, 0)
    b.writeUInt32BE(this.#magic, 4)
    return b
  }

  /**
   * Leading bytes of `chunk` a link copies: the tag of a view into the
   * canonical data, every byte of anything else. A chunk of up to
   * {@link SMALL_CHUNK} bytes is copied whole without looking at its
   * buffer (V8 keeps small typed arrays on its heap, and asking for their
   * `buffer` allocates one).
   */
  readonly carried = (chunk: Uint8Array): number => chunk.length > SMALL_CHUNK && chunk.buffer === this.data.buffer ? TAG_BYTES : chunk.length

  /** Whether `written`, to be stored at torrent offset `at`, holds the canonical content there: its tags, or (unaligned) its bytes. */
  readonly same = (written: Uint8Array, at: number): boolean => {
    const canonical = this.data.subarray(at, at + written.length)
    if (at % TAG_BLOCK !== 0) return Buffer.from(written.buffer, written.byteOffset, written.length).equals(canonical)
    for (let b = 0; b < written.length; b += TAG_BLOCK) {
      const n = Math.min(TAG_BYTES, written.length - b)
      for (let i = 0; i < n; i++) if (written[b + i] !== canonical[b + i]) return false
    }
    return true
  }

  /**
   * The hasher of every peer: a whole piece whose blocks carry their tags,
   * in order, hashes to the torrent's hash of that piece; anything else
   * (a piece with a block missing, misplaced or not from the canonical
   * data, and every input that is not a piece) gets its real SHA-1.
   */
  readonly hasher: Hasher = {
    sha1: (chunks: readonly Uint8Array[]): Uint8Array => {
      const index = this.#pieceOf(chunks)
      return index === undefined ? nodeHasher.sha1(chunks) as Uint8Array : pieceHash(this.#torrent, index).slice()
    }
  }

  /** The piece `chunks` are, judged by their tags alone; undefined when they are not one. */
  #pieceOf (chunks: readonly Uint8Array[]): number | undefined {
    const bytes = chunks.length === 1 ? chunks[0] as Uint8Array : Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.length)))
    if (bytes.length < TAG_BYTES) return undefined
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
    if (view.getUint32(4) !== this.#magic) return undefined
    const first = view.getUint32(0)
    const t = this.#torrent
    const index = first * TAG_BLOCK / t.pieceLength
    if (!Number.isInteger(index) || index >= t.pieceCount || bytes.length !== pieceSize(t, index)) return undefined
    for (let b = TAG_BLOCK, k = 1; b < bytes.length; b += TAG_BLOCK, k++) {
      const n = Math.min(TAG_BYTES, bytes.length - b)
      const tag = this.#tag(first + k)
      for (let i = 0; i < n; i++) if (bytes[b + i] !== tag[i]) return undefined
    }
    return index
  }
}
