import { describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../../lib/storage/memory-storage.js'

describe('MemoryStorage', () => {
  it('rejects a bad length or page size', () => {
    expect(() => new MemoryStorage(-1)).toThrow(RangeError)
    expect(() => new MemoryStorage(1.5)).toThrow(RangeError)
    expect(() => new MemoryStorage(10, { pageSize: 0 })).toThrow(RangeError)
  })

  it('handles a huge sparse torrent without allocating it', async () => {
    const s = new MemoryStorage(2 ** 40)
    await s.write(2 ** 40 - 3, [new Uint8Array([1, 2, 3])])
    expect(await s.read(2 ** 40 - 5, 5)).toEqual(new Uint8Array([0, 0, 1, 2, 3]))
    expect(await s.read(2 ** 39, 4)).toEqual(new Uint8Array(4))
  })

  it('writes across page boundaries', async () => {
    const s = new MemoryStorage(10, { pageSize: 4 })
    await s.write(1, [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6, 7, 8])])
    expect(await s.read(0, 10)).toEqual(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 0]))
  })
})
