import { describe, expect, it } from 'vitest'
import { pipe } from 'it-pipe'
import { RxTorrentError } from '../../lib/errors.js'
import type { CompletePiece } from '../../lib/pieces/piece-assembler.js'
import { verifyPieces } from '../../operators/verify-pieces.js'
import { collect, content, fromArray, hashesOf, sha1Hasher } from '../lib/pieces/helpers.js'

describe('verifyPieces', () => {
  const pieceLength = 300
  const data = content(2 * pieceLength + 11)
  const pieceHashes = hashesOf(data, pieceLength)
  const piece = (index: number, bytes: Uint8Array, split: number): CompletePiece =>
    ({ index, blocks: [bytes.subarray(0, split), bytes.subarray(split)], length: bytes.length, contributors: ['a'] })

  it('hashes over the blocks, for every split point', async () => {
    const bytes = data.subarray(pieceLength, 2 * pieceLength)
    const input = Array.from({ length: pieceLength + 1 }, (_, split) => piece(1, bytes, split))
    const out = await collect(pipe(fromArray(input), verifyPieces({ pieceHashes, hasher: sha1Hasher })))
    expect(out).toHaveLength(pieceLength + 1)
    expect(out.every((p) => p.ok)).toBe(true)
    expect(out[5]?.contributors).toEqual(['a'])
    expect(out[5]?.blocks).toBe(input[5]?.blocks)
  })

  it('a corrupt piece or a wrong index is ok: false, in order', async () => {
    const good = data.subarray(2 * pieceLength)
    const bad = Uint8Array.from(good)
    bad[3] = (bad[3] as number) ^ 1
    const out = await collect(pipe(fromArray([piece(2, good, 5), piece(2, bad, 5), piece(0, good, 5)]), verifyPieces({ pieceHashes, hasher: sha1Hasher })))
    expect(out.map((p) => [p.index, p.ok])).toEqual([[2, true], [2, false], [0, false]])
  })

  it('an async hasher works too', async () => {
    const hasher = { sha1: async (chunks: readonly Uint8Array[]) => await Promise.resolve(sha1Hasher.sha1(chunks)) }
    const out = await collect(pipe(fromArray([piece(0, data.subarray(0, pieceLength), 100)]), verifyPieces({ pieceHashes, hasher })))
    expect(out[0]?.ok).toBe(true)
  })

  it('a piece without a hash is a typed error', async () => {
    await expect(collect(pipe(fromArray([piece(3, data.subarray(0, 10), 1)]), verifyPieces({ pieceHashes, hasher: sha1Hasher }))))
      .rejects.toSatisfy((e: unknown) => e instanceof RxTorrentError && e.code === 'no-piece-hash')
  })

  it('hands a piece in one whole buffer to sha1Owned when owned, and yields the buffer it gave back', async () => {
    const bytes = Uint8Array.from(data.subarray(0, pieceLength))
    const given: Uint8Array[] = []
    const replaced = Uint8Array.from(bytes)
    const hasher = {
      sha1: sha1Hasher.sha1,
      sha1Owned: async (d: Uint8Array) => { given.push(d); return { digest: sha1Hasher.sha1([d]) as Uint8Array, data: replaced } }
    }
    const whole: CompletePiece = { index: 0, blocks: [bytes], length: bytes.length, contributors: ['a'] }
    const split = piece(1, data.subarray(pieceLength, 2 * pieceLength), 7)
    const out = await collect(pipe(fromArray([whole, split]), verifyPieces({ pieceHashes, hasher, owned: true })))
    expect(out.map((p) => [p.index, p.ok]).sort()).toEqual([[0, true], [1, true]])
    expect(given).toEqual([bytes])
    expect(out.find((p) => p.index === 0)?.blocks).toEqual([replaced])
    expect(out.find((p) => p.index === 0)?.blocks[0]).toBe(replaced)
    // Not owned: sha1Owned is never used.
    given.length = 0
    await collect(pipe(fromArray([whole]), verifyPieces({ pieceHashes, hasher })))
    expect(given).toEqual([])
  })
})
