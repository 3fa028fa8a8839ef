import { createHash } from 'node:crypto'
import { lastValueFrom, type Observable } from 'rxjs'
import { createTorrent } from '../../lib/metainfo/create-torrent.js'
import { parseTorrent } from '../../lib/metainfo/parse-torrent.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { Storage } from '../../lib/storage/types.js'
import type { Progress } from '../../pipelines/types.js'
import { pushable } from 'it-pushable'
import type { Duplex, PeerAddress } from '../../lib/transport/types.js'
import { FrameDecoder, encodeHandshake, encodeMessage, makeReserved } from '../../lib/wire/index.js'
import type { Message, Request } from '../../lib/wire/types.js'
import type { memoryNetwork } from '../../operators/memory-network.js'

type MemoryNetwork = ReturnType<typeof memoryNetwork>

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

/** What a scripted peer's message handler can do. */
export interface ScriptedReply {
  /** Queue a message to the downloader. */
  send: (m: Message) => void
  /** Queue the block a request asks for, taken from the torrent's data. */
  serve: (r: Request) => void
}

/**
 * A scripted peer listening on `host` of a memory network: sends its
 * handshake (peer id `-EV0001-` and `idTail`) and `opening`, skips the
 * downloader's handshake, then hands every message it receives to
 * `onMessage`. Resolves with its address.
 */
export async function scriptedPeer (net: MemoryNetwork, host: string, torrent: Torrent, data: Uint8Array, options: {
  readonly idTail: string
  readonly extended?: boolean
  readonly opening: readonly Message[]
  readonly onMessage: (m: Message, reply: ScriptedReply) => void
}): Promise<PeerAddress> {
  const listener = await net.transport(host).listen({ port: 0 }, (conn: Duplex) => {
    const out = pushable<Uint8Array>()
    const peerId = new TextEncoder().encode(`-EV0001-${options.idTail.padEnd(12, 'x').slice(0, 12)}`)
    out.push(encodeHandshake({ reserved: makeReserved({ fast: true, extended: options.extended === true }), infoHash: torrent.infoHash, peerId }))
    for (const m of options.opening) out.push(encodeMessage(m))
    void conn.sink(out).catch(() => {})
    const reply: ScriptedReply = {
      send: (m) => { out.push(encodeMessage(m)) },
      serve: (r) => {
        const at = r.index * torrent.pieceLength + r.begin
        out.push(encodeMessage({ type: 'piece', index: r.index, begin: r.begin, block: data.subarray(at, at + r.length) }))
      }
    }
    void (async () => {
      let skip = 68 // the downloader's handshake
      const frames = new FrameDecoder()
      for await (const chunk of conn.source) {
        const bytes = chunk.subarray()
        const cut = Math.min(skip, bytes.length)
        skip -= cut
        for (const m of frames.push(bytes.subarray(cut))) options.onMessage(m, reply)
      }
    })().catch(() => {}).finally(() => { out.end() })
  })
  return listener.address
}
