import { describe, expect, it } from 'vitest'
import { pipe } from 'it-pipe'
import { ProtocolError } from '../../lib/errors.js'
import { blockAt, blockCount, geometryOf } from '../../lib/pieces/geometry.js'
import { PieceAssembler } from '../../lib/pieces/piece-assembler.js'
import { assemblePieces, type BlockIn } from '../../operators/assemble-pieces.js'
import { collect, content, fromArray } from '../lib/pieces/helpers.js'

const B = 16 * 1024

function blocksOf (data: Uint8Array, pieceLength: number): BlockIn[] {
  const g = geometryOf({ length: data.length, pieceLength })
  const out: BlockIn[] = []
  for (let i = 0; i < g.pieceCount; i++) {
    for (let b = 0; b < blockCount(g, i); b++) {
      const r = blockAt(g, i, b)
      const at = i * pieceLength + r.begin
      out.push({ peer: `p${b % 2}`, index: i, begin: r.begin, block: data.subarray(at, at + r.length) })
    }
  }
  return out
}

function concat (parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

describe('assemblePieces', () => {
  const pieceLength = 40000
  const data = content(2 * pieceLength + 5000)
  const g = geometryOf({ length: data.length, pieceLength })

  it('yields each piece when its last block arrives, whatever the arrival order', async () => {
    const blocks = blocksOf(data, pieceLength)
    // Every rotation of the block stream: each block is the last one at some point.
    for (let shift = 0; shift < blocks.length; shift++) {
      const order = [...blocks.slice(shift), ...blocks.slice(0, shift)].reverse()
      const assembler = new PieceAssembler(g)
      const pieces = await collect(pipe(fromArray(order), assemblePieces(assembler)))
      expect(pieces.map((p) => p.index).sort()).toEqual([0, 1, 2])
      for (const p of pieces) {
        const expected = data.subarray(p.index * pieceLength, p.index * pieceLength + p.length)
        expect(Buffer.from(concat(p.blocks)).equals(expected)).toBe(true)
      }
      expect(assembler.bufferedBytes).toBe(0)
    }
  })

  it('one shared assembler gathers blocks from several peer streams', async () => {
    const assembler = new PieceAssembler(g)
    const blocks = blocksOf(data, pieceLength)
    const [a, b] = await Promise.all([
      collect(pipe(fromArray(blocks.filter((_, i) => i % 2 === 0)), assemblePieces(assembler))),
      collect(pipe(fromArray(blocks.filter((_, i) => i % 2 === 1)), assemblePieces(assembler)))
    ])
    expect([...a, ...b].map((p) => p.index).sort()).toEqual([0, 1, 2])
  })

  it('ends with ProtocolError bad-block on a block that misfits (ADVERSARIAL C38)', async () => {
    const assembler = new PieceAssembler(g)
    const bad: BlockIn = { peer: 'evil', index: 0, begin: 7, block: new Uint8Array(B) }
    await expect(collect(pipe(fromArray([bad]), assemblePieces(assembler)))).rejects.toBeInstanceOf(ProtocolError)
  })

  it('takes batches of blocks (demuxMessageBatches), in every batch size, and gives the same pieces', async () => {
    const blocks = blocksOf(data, pieceLength)
    for (let size = 1; size <= blocks.length; size++) {
      const batches: BlockIn[][] = []
      for (let i = 0; i < blocks.length; i += size) batches.push(blocks.slice(i, i + size))
      const out = await collect(pipe(fromArray(batches), assemblePieces(new PieceAssembler(g))))
      expect(out.map((p) => p.index)).toEqual([0, 1, 2])
      for (const p of out) expect(concat(p.blocks)).toEqual(data.subarray(p.index * pieceLength, p.index * pieceLength + p.length))
    }
  })

  it('copies a whole batch into gathering buffers before it pulls again, so borrowed blocks may be overwritten', async () => {
    const blocks = blocksOf(data, pieceLength)
    const scratch = blocks.map((b) => ({ ...b, block: Uint8Array.from(b.block) }))
    async function * borrowed (): AsyncGenerator<BlockIn[]> {
      for (let i = 0; i < scratch.length; i += 2) {
        const batch = scratch.slice(i, i + 2)
        yield batch
        for (const b of batch) b.block.fill(0xee) // the chunk's memory is reused once the next batch is pulled
      }
    }
    const out = await collect(pipe(borrowed(), assemblePieces(new PieceAssembler(g, { allocate: (n) => new Uint8Array(n) }))))
    expect(out).toHaveLength(3)
    for (const p of out) expect(concat(p.blocks)).toEqual(data.subarray(p.index * pieceLength, p.index * pieceLength + p.length))
  })
})
