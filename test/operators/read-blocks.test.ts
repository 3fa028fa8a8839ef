import { describe, expect, it } from 'vitest'
import { pipe } from 'it-pipe'
import { ProtocolError } from '../../lib/errors.js'
import { geometryOf } from '../../lib/pieces/geometry.js'
import type { BlockRef } from '../../lib/pieces/geometry.js'
import { readBlocks } from '../../operators/read-blocks.js'
import { FakeStorage, collect, content, fromArray } from '../lib/pieces/helpers.js'

describe('readBlocks', () => {
  const storage = new FakeStorage(100)
  storage.data.set(content(100))

  it('reads each block at index × pieceLength + begin', async () => {
    const refs: BlockRef[] = [{ index: 0, begin: 0, length: 10 }, { index: 2, begin: 5, length: 20 }, { index: 3, begin: 0, length: 10 }]
    const out = await collect(pipe(fromArray(refs), readBlocks(storage, { pieceLength: 30 })))
    expect(out.map((o) => o.ref)).toEqual(refs)
    expect(out[1]?.data).toEqual(content(100).subarray(65, 85))
    expect(out[2]?.data).toEqual(content(100).subarray(90, 100))
  })

  it('reads only when pulled, never ahead', async () => {
    const s = new FakeStorage(100)
    const refs = Array.from({ length: 5 }, (_, i): BlockRef => ({ index: i, begin: 0, length: 4 }))
    const it = readBlocks(s, { pieceLength: 20 })(fromArray(refs))[Symbol.asyncIterator]()
    expect(s.reads).toHaveLength(0)
    await it.next()
    expect(s.reads).toHaveLength(1)
    await it.next()
    expect(s.reads).toHaveLength(2)
    await it.return?.()
    expect(s.reads).toHaveLength(2)
  })

  it('refuses requests outside the piece or torrent before reading (ADVERSARIAL C35)', async () => {
    const g = geometryOf({ length: 100, pieceLength: 30 })
    for (const ref of [
      { index: 0, begin: 25, length: 10 },
      { index: 0, begin: 0, length: 0 },
      { index: 0, begin: 0, length: 16 * 1024 + 1 },
      { index: 3, begin: 5, length: 10 }, // past the torrent end, only caught with the geometry
      { index: 4, begin: 0, length: 1 }
    ]) {
      const s = new FakeStorage(100)
      await expect(collect(pipe(fromArray([ref]), readBlocks(s, { pieceLength: 30, geometry: g })))).rejects.toBeInstanceOf(ProtocolError)
      expect(s.reads).toHaveLength(0)
    }
    const s = new FakeStorage(100)
    await expect(collect(pipe(fromArray([{ index: 0, begin: 25, length: 10 }]), readBlocks(s, { pieceLength: 30 }))))
      .rejects.toSatisfy((e: unknown) => e instanceof ProtocolError && e.code === 'bad-request')
    expect(s.reads).toHaveLength(0)
  })
})
