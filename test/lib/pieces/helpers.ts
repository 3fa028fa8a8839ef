import { createHash } from 'node:crypto'
import { StorageError } from '../../../lib/errors.js'
import { Bitfield } from '../../../lib/pieces/bitfield.js'
import type { PickerView } from '../../../lib/pieces/piece-picker.js'
import type { Hasher, Storage } from '../../../lib/storage/types.js'

/** SHA-1 from node:crypto, updated chunk by chunk. */
export const sha1Hasher: Hasher = {
  sha1 (chunks) {
    const h = createHash('sha1')
    for (const c of chunks) h.update(c)
    return new Uint8Array(h.digest())
  }
}

export function sha1 (data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(data).digest())
}

/** Deterministic content: byte i is a function of i and a salt. */
export function content (length: number, salt = 7): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (i * 31 + salt + (i >> 8)) & 0xff
  return out
}

/** The `pieces` string for `data` cut into pieces of `pieceLength`. */
export function hashesOf (data: Uint8Array, pieceLength: number): Uint8Array {
  const count = Math.ceil(data.length / pieceLength)
  const out = new Uint8Array(count * 20)
  for (let i = 0; i < count; i++) out.set(sha1(data.subarray(i * pieceLength, (i + 1) * pieceLength)), i * 20)
  return out
}

/** A bitfield from a libtorrent-style string: any char other than ' ', '0', '.' or '-' is a set bit. */
export function bits (s: string): Bitfield {
  const b = new Bitfield(s.length)
  for (let i = 0; i < s.length; i++) if (!' 0.-'.includes(s[i] as string)) b.set(i)
  return b
}

/** Availability from a string of digits, one per piece. */
export function avail (s: string): Uint32Array {
  return Uint32Array.from(s, (c) => Number(c))
}

/** A picker view from fixture strings: availability digits, our have bitmap, pieces in progress. */
export function view (availability: string, have: string = '0'.repeat(availability.length), inProgress = ''): PickerView {
  const progress = bits(inProgress.padEnd(availability.length, '0'))
  return {
    pieceCount: availability.length,
    have: bits(have),
    availability: avail(availability),
    isInProgress: (i) => progress.has(i),
    isWanted: () => true
  }
}

/**
 * A tiny in-memory Storage: unwritten bytes read as zeros; reads past
 * `written` bytes (when `shortAfter` is set) reject with StorageError `short`.
 */
export class FakeStorage implements Storage {
  readonly data: Uint8Array
  readonly writes: Array<{ offset: number, chunks: readonly Uint8Array[] }> = []
  readonly reads: Array<{ offset: number, length: number }> = []
  shortAfter: number | undefined
  constructor (length: number) { this.data = new Uint8Array(length) }

  async read (offset: number, length: number): Promise<Uint8Array> {
    this.reads.push({ offset, length })
    if (this.shortAfter !== undefined && offset + length > this.shortAfter) throw new StorageError('short', `short read at ${offset}`)
    return this.data.slice(offset, offset + length)
  }

  async write (offset: number, chunks: readonly Uint8Array[]): Promise<void> {
    this.writes.push({ offset, chunks })
    let at = offset
    for (const c of chunks) { this.data.set(c, at); at += c.length }
  }

  async flush (): Promise<void> {}
  async close (): Promise<void> {}
}

export async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of source) out.push(x)
  return out
}

export async function * fromArray<T> (items: readonly T[]): AsyncIterable<T> {
  for (const x of items) yield x
}
