import { ProtocolError } from '../errors.js'

/**
 * A fixed-size set of piece indices, stored as BEP 3 lays it out on the wire:
 * the high bit of byte 0 is piece 0; spare bits at the end are zero.
 */
export class Bitfield {
  readonly length: number
  readonly bytes: Uint8Array
  #count = 0

  constructor (length: number, bytes?: Uint8Array) {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`bad bitfield length ${length}`)
    this.length = length
    const size = Math.ceil(length / 8)
    if (bytes === undefined) {
      this.bytes = new Uint8Array(size)
    } else {
      if (bytes.length !== size) throw new RangeError(`bitfield of ${length} bits needs ${size} bytes, got ${bytes.length}`)
      this.bytes = Uint8Array.from(bytes)
      this.#clearSpare()
      for (const b of this.bytes) this.#count += POPCOUNT[b] as number
    }
  }

  /**
   * Check a bitfield received from a peer: exactly `ceil(pieces / 8)` bytes,
   * spare bits zero. Returns a copy.
   * @throws ProtocolError `bad-bitfield` (disconnect)
   */
  static fromWire (bits: Uint8Array, pieces: number): Bitfield {
    const size = Math.ceil(pieces / 8)
    if (bits.length !== size) {
      throw new ProtocolError('bad-bitfield', `bitfield is ${bits.length} bytes, expected ${size} for ${pieces} pieces`, { details: { got: bits.length, expected: size } })
    }
    const spare = size * 8 - pieces
    if (spare > 0 && ((bits[size - 1] as number) & ((1 << spare) - 1)) !== 0) {
      throw new ProtocolError('bad-bitfield', 'bitfield has spare bits set', { details: { pieces } })
    }
    return new Bitfield(pieces, bits)
  }

  /** A bitfield of `length` pieces with every bit set. */
  static full (length: number): Bitfield {
    const b = new Bitfield(length)
    b.bytes.fill(0xff)
    b.#clearSpare()
    b.#count = length
    return b
  }

  /** Number of set bits. */
  get count (): number { return this.#count }
  get complete (): boolean { return this.#count === this.length }
  get empty (): boolean { return this.#count === 0 }

  /** Whether piece `index` is set; false outside `[0, length)`. */
  has (index: number): boolean {
    if (index < 0 || index >= this.length) return false
    return (((this.bytes[index >> 3] as number) >> (7 - (index & 7))) & 1) === 1
  }

  /** Set bit `index`; returns true when it changed. */
  set (index: number): boolean {
    this.#check(index)
    const mask = 1 << (7 - (index & 7))
    const byte = this.bytes[index >> 3] as number
    if ((byte & mask) !== 0) return false
    this.bytes[index >> 3] = byte | mask
    this.#count++
    return true
  }

  /** Clear bit `index`; returns true when it changed. */
  clear (index: number): boolean {
    this.#check(index)
    const mask = 1 << (7 - (index & 7))
    const byte = this.bytes[index >> 3] as number
    if ((byte & mask) === 0) return false
    this.bytes[index >> 3] = byte & ~mask
    this.#count--
    return true
  }

  /** Indices of set bits, ascending. */
  * indices (): IterableIterator<number> {
    for (let i = 0; i < this.bytes.length; i++) {
      const byte = this.bytes[i] as number
      if (byte === 0) continue
      for (let bit = 0; bit < 8; bit++) {
        if ((byte & (0x80 >> bit)) !== 0) yield i * 8 + bit
      }
    }
  }

  /** An independent copy. */
  clone (): Bitfield { return new Bitfield(this.length, this.bytes) }

  #check (index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) throw new RangeError(`piece ${index} out of range 0..${this.length - 1}`)
  }

  #clearSpare (): void {
    const spare = this.bytes.length * 8 - this.length
    if (spare > 0) this.bytes[this.bytes.length - 1] = (this.bytes[this.bytes.length - 1] as number) & (0xff << spare) & 0xff
  }
}

const POPCOUNT = new Uint8Array(256)
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + (POPCOUNT[i >> 1] as number)
