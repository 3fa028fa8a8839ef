import { describe, expect, it } from 'vitest'
import { encodeHandshake, encodeMessage, makeReserved } from '../../../lib/wire/index.js'
import { PayloadMeter } from '../../../pipelines/sim/payload-meter.js'
import { sampledHasher } from '../../../pipelines/sim/sampled-hasher.js'
import { SharedDataStorage } from '../../../pipelines/sim/shared-data-storage.js'
import { simData } from '../../../pipelines/sim/sim-torrent.js'
import { nodeHasher } from '../../../pipelines/node/hasher.js'

const PIECE = 32 * 1024

describe('SharedDataStorage', () => {
  it('holds canonical pieces as flags (reads are views of the shared data) and anything else as a private copy', async () => {
    const data = simData(3 * PIECE + 100, 7)
    const held: number[] = []
    const s = new SharedDataStorage(data, { pieceLength: PIECE, onWrite: (n) => { held.push(n) } })
    expect(await s.isEmpty()).toBe(true)
    expect(await s.read(0, 10)).toEqual(new Uint8Array(10))
    await s.write(PIECE, [data.slice(PIECE, PIECE + 1000), data.slice(PIECE + 1000, 2 * PIECE)])
    const view = await s.read(PIECE, PIECE)
    expect(view.buffer).toBe(data.buffer)
    expect(s.holds(1) && !s.holds(0)).toBe(true)
    // Other bytes in piece 3 (the short last one): kept apart, the shared data untouched.
    const odd = new Uint8Array(100).fill(9)
    await s.write(3 * PIECE, [odd])
    expect(await s.read(3 * PIECE, 100)).toEqual(odd)
    expect(data[3 * PIECE]).not.toBe(9)
    // A read across a held, an empty and a private piece.
    const mixed = await s.read(PIECE + PIECE - 4, PIECE + 8)
    expect(mixed.subarray(0, 4)).toEqual(data.subarray(2 * PIECE - 4, 2 * PIECE))
    expect(mixed.subarray(4, 4 + PIECE)).toEqual(new Uint8Array(PIECE))
    expect(mixed.subarray(4 + PIECE)).toEqual(new Uint8Array(4).fill(9))
    expect(held).toEqual([1, 2])
    expect(s.piecesHeld).toBe(2)
    await expect(s.read(3 * PIECE, 101)).rejects.toMatchObject({ code: 'out-of-range' })
    await s.close()
    await expect(s.read(0, 1)).rejects.toMatchObject({ code: 'closed' })
  })

  it('a full storage serves every piece from the shared data', async () => {
    const data = simData(2 * PIECE, 8)
    const s = new SharedDataStorage(data, { pieceLength: PIECE, full: true })
    expect(await s.isEmpty()).toBe(false)
    expect((await s.read(0, 2 * PIECE)).buffer).toBe(data.buffer)
  })
})

describe('PayloadMeter', () => {
  it('counts the block bytes of whole PIECE messages however the stream is cut', () => {
    const stream = Buffer.concat([
      encodeHandshake({ reserved: makeReserved({ fast: true }), infoHash: new Uint8Array(20), peerId: new Uint8Array(20) }),
      encodeMessage({ type: 'keep-alive' }),
      encodeMessage({ type: 'have', index: 3 }),
      encodeMessage({ type: 'piece', index: 1, begin: 0, block: new Uint8Array(1000) }),
      encodeMessage({ type: 'unchoke' }),
      encodeMessage({ type: 'piece', index: 2, begin: 16384, block: new Uint8Array(16384) })
    ])
    for (const cut of [1, 3, 7, 68, 1000, stream.length]) {
      const m = new PayloadMeter()
      for (let i = 0; i < stream.length; i += cut) m.push(stream.subarray(i, i + cut))
      expect([m.bytes, m.payload]).toEqual([stream.length, 1000 + 16384])
    }
    // A PIECE cut short is not counted.
    const m = new PayloadMeter()
    m.push(stream.subarray(0, stream.length - 1))
    expect(m.payload).toBe(1000)
  })
})

describe('sampledHasher', () => {
  it('agrees however the piece is chunked, and tells apart a moved block but not a changed middle byte', () => {
    const piece = simData(4 * 16384 + 500, 9)
    const digest = sampledHasher.sha1([piece])
    expect(sampledHasher.sha1([piece.subarray(0, 10), piece.subarray(10, 40000), piece.subarray(40000)])).toEqual(digest)
    const swapped = piece.slice()
    swapped.set(piece.subarray(16384, 32768), 0)
    swapped.set(piece.subarray(0, 16384), 16384)
    expect(sampledHasher.sha1([swapped])).not.toEqual(digest)
    expect(sampledHasher.sha1([piece.subarray(0, piece.length - 1)])).not.toEqual(digest)
    const changed = piece.slice()
    changed[8000] = (changed[8000] as number) ^ 1
    expect(sampledHasher.sha1([changed])).toEqual(digest)
    expect(nodeHasher.sha1([changed])).not.toEqual(nodeHasher.sha1([piece]))
  })
})
