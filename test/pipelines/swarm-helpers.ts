import { createHash } from 'node:crypto'
import { lastValueFrom, type Observable } from 'rxjs'
import { createTorrent } from '../../lib/metainfo/create-torrent.js'
import { parseTorrent } from '../../lib/metainfo/parse-torrent.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { Storage } from '../../lib/storage/types.js'
import type { Progress } from '../../pipelines/types.js'
import type { Duplex } from '../../lib/transport/types.js'
import { FrameDecoder } from '../../lib/wire/index.js'
import type { Message } from '../../lib/wire/types.js'

export const sha1 = (d: Uint8Array): Uint8Array => createHash('sha1').update(d).digest()

/** Deterministic bytes: a linear congruential sequence from `seed`. */
export function makeData (length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

/** A torrent over `data` split into files of the given lengths (one file: single-file torrent). */
export function makeTorrent (data: Uint8Array, pieceLength: number, fileLengths: number[] = [data.length]): Torrent {
  const hashes = new Uint8Array(Math.ceil(data.length / pieceLength) * 20)
  for (let i = 0; i * pieceLength < data.length; i++) hashes.set(sha1(data.subarray(i * pieceLength, (i + 1) * pieceLength)), i * 20)
  const multiFile = fileLengths.length > 1
  const bytes = createTorrent({
    name: 'data',
    multiFile,
    files: fileLengths.map((length, i) => ({ path: [`f${i}.bin`], length })),
    pieceLength,
    pieceHashes: hashes
  })
  return parseTorrent(bytes, { sha1 })
}

export async function filledStorage (data: Uint8Array): Promise<MemoryStorage> {
  const s = new MemoryStorage(data.length)
  await s.write(0, [data])
  return s
}

export async function readAll (s: Storage, length: number): Promise<Uint8Array> {
  return await s.read(0, length)
}

/** Resolves with the last progress when the observable completes. */
export async function finish (o: Observable<Progress>): Promise<Progress> {
  return await lastValueFrom(o)
}

/**
 * A storage that serves good data while being checked, then corrupts every
 * read once `corrupt` is set: a seeder that lies about its pieces.
 */
export class LyingStorage implements Storage {
  corrupt = false
  constructor (readonly inner: Storage) {}
  async read (offset: number, length: number): Promise<Uint8Array> {
    const data = await this.inner.read(offset, length)
    if (this.corrupt) { const copy = Uint8Array.from(data); copy[0] = (copy[0] as number) ^ 0xff; return copy }
    return data
  }
  async write (offset: number, chunks: readonly Uint8Array[]): Promise<void> { await this.inner.write(offset, chunks) }
  async flush (): Promise<void> { await this.inner.flush() }
  async close (): Promise<void> { await this.inner.close() }
}

/**
 * The reading half of a scripted peer: skips the downloader's 68-byte
 * handshake, decodes its frames and hands each message to `onMessage`, then
 * calls `done` when the connection ends or fails.
 */
export function readDownloader (conn: Duplex, onMessage: (m: Message) => void, done: () => void): void {
  void (async () => {
    let skip = 68
    const frames = new FrameDecoder()
    for await (const chunk of conn.source) {
      const bytes = chunk.subarray()
      const cut = Math.min(skip, bytes.length)
      skip -= cut
      for (const m of frames.push(bytes.subarray(cut))) onMessage(m)
    }
  })().catch(() => {}).finally(done)
}
