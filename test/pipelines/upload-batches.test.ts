import { describe, expect, it } from 'vitest'
import type { Duplex, PeerAddress } from '../../lib/transport/types.js'
import { encodeHandshake, encodeMessage, makeReserved } from '../../lib/wire/index.js'
import type { Message } from '../../lib/wire/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { seed } from '../../pipelines/seed.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { filledStorage, makeData, makeTorrent } from './swarm-helpers.js'

/**
 * The seeder's writer takes several requested blocks per pull (those whose
 * pieces are cached) and starts the read of the next piece early: whatever
 * the batching, every requested block goes out once, in the order asked,
 * with the right bytes.
 */

interface Piece { index: number, begin: number, block: Uint8Array }

/** Reads frames off `conn` (after the 68-byte handshake) until `want` piece messages arrived; other messages go to `onOther`. */
async function readPieces (conn: Duplex, want: number, onOther: (id: number) => void): Promise<Piece[]> {
  const pieces: Piece[] = []
  let buf = new Uint8Array(0)
  let skippedHandshake = false
  for await (const chunk of conn.source) {
    const joined = new Uint8Array(buf.length + chunk.length)
    joined.set(buf)
    joined.set(chunk, buf.length)
    buf = joined
    if (!skippedHandshake) {
      if (buf.length < 68) continue
      buf = buf.subarray(68)
      skippedHandshake = true
    }
    while (buf.length >= 4) {
      const view = new DataView(buf.buffer, buf.byteOffset, buf.length)
      const len = view.getUint32(0)
      if (buf.length < 4 + len) break
      if (len > 0) {
        const id = buf[4] as number
        if (id === 7) pieces.push({ index: view.getUint32(5), begin: view.getUint32(9), block: buf.slice(13, 4 + len) })
        else onOther(id)
      }
      buf = buf.subarray(4 + len)
    }
    if (pieces.length >= want) break
  }
  return pieces
}

async function serve (pieceLength: number, length: number, requests: (unchoked: boolean) => Message[]): Promise<{ data: Uint8Array, pieces: Piece[], asked: Message[] }> {
  const data = makeData(length, 7)
  const torrent = makeTorrent(data, pieceLength)
  const net = memoryNetwork()
  let resolve!: (a: PeerAddress) => void
  const listening = new Promise<PeerAddress>((r) => { resolve = r })
  const sub = seed(torrent, { data: '', storage: await filledStorage(data), transport: net.transport('seed'), port: 0, hasher: nodeHasher, onListening: resolve }).subscribe()
  try {
    const conn = await net.transport('leech').dial(await listening)
    const asked = requests(true)
    let unchoked!: () => void
    const gotUnchoke = new Promise<void>((r) => { unchoked = r })
    void conn.sink((async function * () {
      yield encodeHandshake({ reserved: makeReserved({ fast: true }), infoHash: torrent.infoHash, peerId: new TextEncoder().encode('-EV0001-222222222222') })
      yield encodeMessage({ type: 'have-none' })
      yield encodeMessage({ type: 'interested' })
      await gotUnchoke
      for (const m of asked) yield encodeMessage(m)
      await new Promise(() => {})
    })()).catch(() => {})
    const pieces = await readPieces(conn, asked.length, (id) => { if (id === 1) unchoked() })
    conn.close()
    return { data, pieces, asked }
  } finally {
    sub.unsubscribe()
  }
}

function expectServedInOrder (data: Uint8Array, pieceLength: number, asked: Message[], pieces: Piece[]): void {
  expect(pieces.map((p) => [p.index, p.begin, p.block.length])).toEqual(asked.map((m) => m.type === 'request' ? [m.index, m.begin, m.length] : []))
  for (const p of pieces) {
    const at = p.index * pieceLength + p.begin
    expect(Buffer.compare(p.block, data.subarray(at, at + p.block.length))).toBe(0)
  }
}

describe('uploads in batches', () => {
  it('every block of 24 pieces requested at once goes out once, in order, with its bytes (the short last block too)', async () => {
    const pieceLength = 64 * 1024
    const length = 23 * pieceLength + 5000
    const asked: Message[] = []
    for (let i = 0; i < 24; i++) {
      const size = i === 23 ? 5000 : pieceLength
      for (let b = 0; b < size; b += 16384) asked.push({ type: 'request', index: i, begin: b, length: Math.min(16384, size - b) })
    }
    const { data, pieces } = await serve(pieceLength, length, () => asked)
    expectServedInOrder(data, pieceLength, asked, pieces)
  })

  it('many short requests (more than a batch holds) are all served in order', async () => {
    const pieceLength = 32 * 1024
    const length = 4 * pieceLength
    const asked: Message[] = []
    for (let i = 0; i < 4; i++) for (let b = 0; b < 20 * 1000; b += 1000) asked.push({ type: 'request', index: i, begin: b, length: 1000 })
    const { data, pieces } = await serve(pieceLength, length, () => asked)
    expectServedInOrder(data, pieceLength, asked, pieces)
  })
})
