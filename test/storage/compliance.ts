import { describe, expect, it } from 'vitest'
import { StorageError } from '../../lib/errors.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import type { Storage } from '../../lib/storage/types.js'
import { makeTorrent, pattern } from './make-torrent.js'

/** How a storage under test is built, and how it reports bytes nobody wrote. */
export interface StorageFactory {
  readonly create: (torrent: Torrent) => Storage | Promise<Storage>
  /** `zeros`: unwritten bytes read as zeros; `missing`: a read of a file never written rejects with `missing` or `short`. */
  readonly unwritten: 'zeros' | 'missing'
}

/** Three files (10, 0, 7 bytes), a padding file of 5, then 9 bytes: 31 bytes. */
export const LAYOUT = [
  { path: ['a.bin'], length: 10 },
  { path: ['empty'], length: 0 },
  { path: ['sub', 'b.bin'], length: 7 },
  { path: ['.pad', '5'], length: 5, padding: true },
  { path: ['sub', 'deeper', 'c.bin'], length: 9 }
] as const

/**
 * The Storage contract, run against any implementation: offsets are absolute
 * torrent offsets, writes may span files, reads return what was written.
 */
export function storageCompliance (name: string, factory: StorageFactory): void {
  describe(`Storage compliance: ${name}`, () => {
    const torrent = (): Torrent => makeTorrent(LAYOUT)
    const total = 31
    /** The whole torrent's bytes, padding region zeros as BEP 47 requires. */
    const content = (): Uint8Array => {
      const b = pattern(total, 1)
      b.fill(0, 17, 22)
      return b
    }

    it('writes a range spanning every file in one call and reads it back', async () => {
      const s = await factory.create(torrent())
      const data = content()
      await s.write(0, [data])
      expect(await s.read(0, total)).toEqual(data)
      await s.close()
    })

    it('accepts a write split into many chunks at arbitrary points', async () => {
      const data = content()
      for (const cut of [[1], [9, 10, 11], [17, 22], [3, 16, 17, 29, 30]]) {
        const s = await factory.create(torrent())
        const chunks: Uint8Array[] = []
        let prev = 0
        for (const c of [...cut, total]) { chunks.push(data.subarray(prev, c)); prev = c }
        await s.write(0, chunks)
        expect(await s.read(0, total)).toEqual(data)
        await s.close()
      }
    })

    it('reads every sub-range of written data', async () => {
      const s = await factory.create(torrent())
      const data = content()
      await s.write(0, [data])
      for (let start = 0; start <= total; start += 3) {
        for (let len = 0; start + len <= total; len += 4) {
          expect(await s.read(start, len)).toEqual(data.subarray(start, start + len))
        }
      }
      await s.close()
    })

    it('writes at an offset inside a later file', async () => {
      const s = await factory.create(torrent())
      await s.write(0, [content().subarray(0, 22)])
      await s.write(24, [pattern(7, 100)])
      await s.write(22, [pattern(2, 50)])
      expect(await s.read(22, 9)).toEqual(new Uint8Array([...pattern(2, 50), ...pattern(7, 100)]))
      await s.close()
    })

    it('reads padding as zeros', async () => {
      const s = await factory.create(torrent())
      await s.write(0, [content()])
      expect(await s.read(17, 5)).toEqual(new Uint8Array(5))
      await s.close()
    })

    it(`reports unwritten data as ${factory.unwritten}`, async () => {
      const s = await factory.create(torrent())
      await s.write(0, [pattern(10)])
      if (factory.unwritten === 'zeros') {
        expect(await s.read(10, 7)).toEqual(new Uint8Array(7))
      } else {
        const e = await s.read(10, 7).catch((err: unknown) => err)
        expect(e).toBeInstanceOf(StorageError)
        expect(['missing', 'short']).toContain((e as StorageError).code)
        expect((e as StorageError).disposition).toBe('ignore')
      }
      await s.close()
    })

    it('handles a zero-length read and write at either end', async () => {
      const s = await factory.create(torrent())
      await s.write(0, [])
      await s.write(total, [new Uint8Array(0)])
      expect(await s.read(total, 0)).toEqual(new Uint8Array(0))
      expect(await s.read(0, 0)).toEqual(new Uint8Array(0))
      await s.close()
    })

    it('rejects out-of-range access with StorageError out-of-range', async () => {
      const s = await factory.create(torrent())
      for (const [o, l] of [[total, 1], [30, 2], [-1, 1], [0, -1], [1.5, 1], [Number.MAX_SAFE_INTEGER, 1]] as const) {
        await expect(s.read(o, l)).rejects.toMatchObject({ name: 'StorageError', code: 'out-of-range' })
      }
      await expect(s.write(30, [new Uint8Array(2)])).rejects.toMatchObject({ name: 'StorageError', code: 'out-of-range' })
      await expect(s.write(-1, [new Uint8Array(1)])).rejects.toMatchObject({ code: 'out-of-range' })
      await s.close()
    })

    it('keeps concurrent writes to distinct ranges apart', async () => {
      const s = await factory.create(torrent())
      const data = content()
      await Promise.all([0, 4, 8, 12, 16, 20, 24, 28].map(async o => {
        await s.write(o, [data.subarray(o, Math.min(o + 4, total))])
      }))
      expect(await s.read(0, total)).toEqual(data)
      await s.close()
    })

    it('does not keep references to the chunks once a write resolved', async () => {
      const s = await factory.create(torrent())
      const chunk = pattern(10, 7)
      await s.write(0, [chunk])
      chunk.fill(0)
      expect(await s.read(0, 10)).toEqual(pattern(10, 7))
      await s.close()
    })

    it('honours an aborted signal', async () => {
      const s = await factory.create(torrent())
      const ac = new AbortController()
      ac.abort()
      await expect(s.read(0, 1, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' })
      await expect(s.write(0, [new Uint8Array(1)], { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' })
      await s.close()
    })

    it('flushes, closes idempotently and rejects calls after close with closed', async () => {
      const s = await factory.create(torrent())
      await s.write(0, [pattern(3)])
      await s.flush()
      await s.close()
      await s.close()
      await expect(s.read(0, 1)).rejects.toMatchObject({ name: 'StorageError', code: 'closed' })
      await expect(s.write(0, [new Uint8Array(1)])).rejects.toMatchObject({ code: 'closed' })
      await expect(s.flush()).rejects.toMatchObject({ code: 'closed' })
    })

    it('works for a single-file torrent', async () => {
      const s = await factory.create(makeTorrent([{ path: ['only'], length: 40 }], { name: 'single.bin' }))
      await s.write(5, [pattern(20)])
      expect(await s.read(5, 20)).toEqual(pattern(20))
      await s.close()
    })
  })
}
