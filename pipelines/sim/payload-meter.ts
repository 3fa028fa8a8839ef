/** The 68-byte BitTorrent handshake that opens each direction of a connection. */
const HANDSHAKE_BYTES = 68
/** A PIECE message: length prefix (4), id 7 (1), index (4), begin (4), then the block. */
const PIECE_ID = 7
const PIECE_OVERHEAD = 9

/**
 * Counts what crosses one direction of a plaintext BitTorrent connection,
 * the way a network tap would: every byte, and the block bytes of complete
 * PIECE messages. Reads only frame headers (the 68-byte handshake, then
 * length prefixes and message ids), whatever the chunking.
 */
export class PayloadMeter {
  /** Bytes seen, all of them. */
  bytes = 0
  /** Block bytes of the PIECE messages seen whole. */
  payload = 0
  #skip = HANDSHAKE_BYTES
  /** Bytes of the current frame's header read so far (length prefix and id). */
  readonly #header = new Uint8Array(5)
  #headerFill = 0
  /** Bytes of the current frame's body left after its id. */
  #left = 0
  #piece = false
  #pieceBytes = 0

  /** Accounts for `chunk`, the next bytes of the direction. */
  push (chunk: Uint8Array): void {
    this.bytes += chunk.length
    let i = Math.min(this.#skip, chunk.length)
    this.#skip -= i
    while (i < chunk.length) {
      if (this.#left > 0) {
        const n = Math.min(this.#left, chunk.length - i)
        this.#left -= n
        i += n
        if (this.#left === 0 && this.#piece) this.payload += this.#pieceBytes
        continue
      }
      this.#header[this.#headerFill++] = chunk[i++] as number
      if (this.#headerFill === 4) {
        const length = ((this.#header[0] as number) << 24 >>> 0) + ((this.#header[1] as number) << 16) + ((this.#header[2] as number) << 8) + (this.#header[3] as number)
        if (length === 0) this.#headerFill = 0 // keep-alive
      } else if (this.#headerFill === 5) {
        const h = this.#header
        const length = ((h[0] as number) << 24 >>> 0) + ((h[1] as number) << 16) + ((h[2] as number) << 8) + (h[3] as number)
        this.#headerFill = 0
        this.#left = length - 1
        this.#piece = h[4] === PIECE_ID && length >= PIECE_OVERHEAD
        this.#pieceBytes = length - PIECE_OVERHEAD
        if (this.#left === 0 && this.#piece) this.payload += this.#pieceBytes
      }
    }
  }
}
