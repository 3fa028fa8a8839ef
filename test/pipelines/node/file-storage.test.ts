import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { open as fsOpen, mkdir as fsMkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { StorageError } from '../../../lib/errors.js'
import type { FileHandleLike, FileSystemLike } from '../../../pipelines/node/file-handle-cache.js'
import { ensureFiles, FileStorage, INLINE_WRITE_BYTES } from '../../../pipelines/node/file-storage.js'
import { makeTorrent, pattern } from '../../storage/make-torrent.js'
import { LAYOUT } from '../../storage/compliance.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-fs-'))
let n = 0
const fresh = (): string => join(root, String(n++))
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

type Fault = { failWrite?: string, failOpen?: string, failSync?: string, failWriteAt?: { file: string, position: number } }

/** The real file system, counting calls and open handles, failing writes or opens with an errno when asked. */
class SpyFs implements FileSystemLike {
  writes = 0
  syncs = 0
  opens = 0
  openNow = 0
  /** Writes in progress now, per path, and the most ever seen at once per path and in all. */
  readonly writingNow = new Map<string, number>()
  mostAtOnceInOneFile = 0
  mostAtOnce = 0
  constructor (readonly fault: Fault = {}) {}
  async mkdir (p: string, o: { recursive: true }): Promise<unknown> { return await fsMkdir(p, o) }
  async open (p: string, flags: 'r' | 'r+' | 'wx+' | 'a'): Promise<FileHandleLike> {
    if (this.fault.failOpen !== undefined) throw Object.assign(new Error(this.fault.failOpen), { code: this.fault.failOpen })
    const h = await fsOpen(p, flags)
    this.opens++
    this.openNow++
    return {
      read: async (b, o, l, pos) => await h.read(b, o, l, pos),
      writev: async (bs, pos) => {
        this.writes++
        if (this.fault.failWrite !== undefined) throw Object.assign(new Error(this.fault.failWrite), { code: this.fault.failWrite })
        if (this.fault.failWriteAt !== undefined && p.endsWith(this.fault.failWriteAt.file) && this.fault.failWriteAt.position === pos) throw Object.assign(new Error('EIO'), { code: 'EIO' })
        const now = (this.writingNow.get(p) ?? 0) + 1
        this.writingNow.set(p, now)
        this.mostAtOnceInOneFile = Math.max(this.mostAtOnceInOneFile, now)
        let all = 0
        for (const v of this.writingNow.values()) all += v
        this.mostAtOnce = Math.max(this.mostAtOnce, all)
        try {
          // Stay busy across a few turns, so overlapping writes would be seen.
          for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
          return await h.writev(bs, pos)
        } finally {
          this.writingNow.set(p, (this.writingNow.get(p) ?? 1) - 1)
        }
      },
      sync: async () => {
        this.syncs++
        if (this.fault.failSync !== undefined) throw Object.assign(new Error(this.fault.failSync), { code: this.fault.failSync })
        await h.sync()
      },
      close: async () => { this.openNow--; await h.close() }
    }
  }
}
const fsWith = (fault: Fault = {}): SpyFs => new SpyFs(fault)

/** Real handles that show their file descriptor (as node's do) and count writes made through `writev`. */
function descriptorFs (): { fs: FileSystemLike, spy: { writes: number } } {
  const spy = { writes: 0 }
  const fs: FileSystemLike = {
    mkdir: async (p, o) => await fsMkdir(p, o),
    open: async (p, flags) => {
      const h = await fsOpen(p, flags)
      return {
        fd: h.fd,
        read: async (b: Uint8Array, o: number, l: number, pos: number) => await h.read(b, o, l, pos),
        writev: async (bs: Uint8Array[], pos: number) => { spy.writes++; return await h.writev(bs, pos) },
        sync: async () => { await h.sync() },
        close: async () => { await h.close() }
      }
    }
  }
  return { fs, spy }
}

describe('FileStorage layout on disk', () => {
  it('lays a multi-file torrent out as <dir>/<name>/<path…>, without padding or empty files', async () => {
    const dir = fresh()
    const t = makeTorrent(LAYOUT, { name: 'album' })
    const s = new FileStorage(t, dir)
    const data = pattern(31)
    data.fill(0, 17, 22)
    await s.write(0, [data])
    await s.close()
    expect(readFileSync(join(dir, 'album', 'a.bin'))).toEqual(Buffer.from(data.subarray(0, 10)))
    expect(readFileSync(join(dir, 'album', 'sub', 'b.bin'))).toEqual(Buffer.from(data.subarray(10, 17)))
    expect(readFileSync(join(dir, 'album', 'sub', 'deeper', 'c.bin'))).toEqual(Buffer.from(data.subarray(22)))
    expect(existsSync(join(dir, 'album', '.pad'))).toBe(false)
    expect(existsSync(join(dir, 'album', 'empty'))).toBe(false)
  })

  it('lays a single-file torrent out as <dir>/<name>', async () => {
    const dir = fresh()
    const s = new FileStorage(makeTorrent([{ path: ['x'], length: 5 }], { name: 'one.iso' }), dir)
    await s.write(0, [pattern(5)])
    await s.close()
    expect(readFileSync(join(dir, 'one.iso'))).toEqual(Buffer.from(pattern(5)))
  })

  it('ensureFiles creates zero-length files and directories, and never truncates', async () => {
    const dir = fresh()
    const t = makeTorrent(LAYOUT, { name: 'album' })
    mkdirSync(join(dir, 'album'), { recursive: true })
    writeFileSync(join(dir, 'album', 'a.bin'), 'keep me')
    await ensureFiles(t, dir)
    expect(statSync(join(dir, 'album', 'empty')).size).toBe(0)
    expect(statSync(join(dir, 'album', 'sub', 'deeper')).isDirectory()).toBe(true)
    expect(readFileSync(join(dir, 'album', 'a.bin'), 'utf8')).toBe('keep me')
    expect(existsSync(join(dir, 'album', '.pad'))).toBe(false)
  })

  it('finalize() makes what no write creates (zero-length files, their folders) for the engine, keeping data', async () => {
    const dir = fresh()
    const s = new FileStorage(makeTorrent(LAYOUT, { name: 'album' }), dir)
    mkdirSync(join(dir, 'album'), { recursive: true })
    writeFileSync(join(dir, 'album', 'a.bin'), 'keep me')
    await s.finalize()
    await s.close()
    expect(statSync(join(dir, 'album', 'empty')).size).toBe(0)
    expect(statSync(join(dir, 'album', 'sub', 'deeper')).isDirectory()).toBe(true)
    expect(readFileSync(join(dir, 'album', 'a.bin'), 'utf8')).toBe('keep me')
  })

  it('never truncates existing data when it writes (G66)', async () => {
    const dir = fresh()
    const t = makeTorrent([{ path: ['f'], length: 20 }], { name: 'f' })
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'f'), Buffer.from(pattern(30, 9)))
    const s = new FileStorage(t, dir)
    await s.write(5, [new Uint8Array([0xaa, 0xbb])])
    await s.close()
    const expected = pattern(30, 9)
    expected.set([0xaa, 0xbb], 5)
    expect(new Uint8Array(readFileSync(join(dir, 'f')))).toEqual(expected)
  })

  it('reads a missing file as missing and a file too short as short, both disposition ignore (G64)', async () => {
    const dir = fresh()
    const t = makeTorrent([{ path: ['a'], length: 10 }, { path: ['b'], length: 10 }], { name: 't' })
    mkdirSync(join(dir, 't'), { recursive: true })
    writeFileSync(join(dir, 't', 'a'), Buffer.from(pattern(4)))
    const s = new FileStorage(t, dir)
    await expect(s.read(0, 4)).resolves.toEqual(pattern(4))
    await expect(s.read(0, 5)).rejects.toMatchObject({ name: 'StorageError', code: 'short', disposition: 'ignore' })
    await expect(s.read(10, 2)).rejects.toMatchObject({ name: 'StorageError', code: 'missing', disposition: 'ignore' })
    expect(existsSync(join(dir, 't', 'b'))).toBe(false)
    await s.close()
  })
})

describe('FileStorage path safety (B14)', () => {
  const escapes: string[][] = [['..', '..', '.ssh', 'authorized_keys'], ['/etc/passwd'], ['x/../../../evil'], ['a', '..', '..', 'b'], [''], ['a\0b']]
  for (const path of escapes) {
    it(`refuses ${JSON.stringify(path)} before touching the disk`, () => {
      const dir = fresh()
      const t = makeTorrent([{ path: ['ok'], length: 1 }, { path, length: 1 }], { name: 'n' })
      let err: unknown
      try { new FileStorage(t, dir) } catch (e) { err = e }
      expect(err).toBeInstanceOf(StorageError)
      expect(err).toMatchObject({ code: 'path-escape', disposition: 'reject' })
      expect(existsSync(dir)).toBe(false)
    })
  }

  it('refuses a hostile torrent name, and ensureFiles refuses it too', async () => {
    for (const name of ['..', '../x', '/abs', '.']) {
      const t = makeTorrent([{ path: ['f'], length: 1 }], { name, multiFile: false })
      expect(() => new FileStorage(t, fresh())).toThrow(StorageError)
      await expect(ensureFiles(t, fresh())).rejects.toMatchObject({ code: 'path-escape' })
    }
  })
})

describe('FileStorage I/O', () => {
  it('writes a piece spanning three files with one writev per file, from views of the caller chunks', async () => {
    const fs = fsWith()
    const t = makeTorrent(LAYOUT, { name: 'p' })
    const s = new FileStorage(t, fresh(), { fs })
    const data = pattern(31)
    data.fill(0, 17, 22)
    const blocks = [data.subarray(0, 8), data.subarray(8, 16), data.subarray(16, 24), data.subarray(24)]
    await s.write(0, blocks)
    expect(fs.writes).toBe(3)
    expect(await s.read(0, 31)).toEqual(data)
    await s.close()
  })

  it('runs writes to one file one at a time, writes to different files side by side, and a failed write does not hold up the next', async () => {
    const fs = fsWith({ failWriteAt: { file: '/a', position: 8 } })
    const files = [{ path: ['a'], length: 64 }, { path: ['b'], length: 64 }]
    const s = new FileStorage(makeTorrent(files), fresh(), { fs })
    // Eight writes to each file at once, one of them (a at 8) failing.
    const results = await Promise.allSettled(Array.from({ length: 16 }, async (_, i) => {
      const offset = (i % 2) * 64 + Math.floor(i / 2) * 8
      await s.write(offset, [pattern(8, i)])
    }))
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1)
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ name: 'StorageError', code: 'io' })
    expect(fs.mostAtOnceInOneFile).toBe(1)
    expect(fs.mostAtOnce).toBe(2)
    for (let i = 0; i < 16; i++) {
      if (i === 2) continue
      expect(await s.read((i % 2) * 64 + Math.floor(i / 2) * 8, 8)).toEqual(pattern(8, i))
    }
    await s.close()
  })

  it('writes inline through the file descriptor (not the handle\'s writev), in steps, across files and views', async () => {
    const { fs, spy } = descriptorFs()
    const files = [{ path: ['a'], length: INLINE_WRITE_BYTES * 3 + 5 }, { path: ['b'], length: 7 }, { path: ['c'], length: INLINE_WRITE_BYTES + 1 }]
    const total = files.reduce((sum, f) => sum + f.length, 0)
    const data = pattern(total, 9)
    const s = new FileStorage(makeTorrent(files), fresh(), { fs })
    // Views that do not line up with the steps or the files.
    await s.write(0, [data.subarray(0, 1000), data.subarray(1000, INLINE_WRITE_BYTES * 2 + 3), data.subarray(INLINE_WRITE_BYTES * 2 + 3)])
    expect(spy.writes).toBe(0)
    expect(await s.read(0, total)).toEqual(data)
    await s.close()
  })

  it('maps a failing inline write to a typed error and keeps going with the next', async () => {
    // A descriptor opened read-only: writeSync fails with EBADF.
    const t = makeTorrent([{ path: ['x'], length: 8 }], { name: 'x' })
    const dir = fresh()
    const w = new FileStorage(t, dir)
    await w.write(0, [pattern(8, 1)])
    await w.close()
    const fs: FileSystemLike = {
      mkdir: async (p, o) => await fsMkdir(p, o),
      open: async (p) => await fsOpen(p, 'r') as unknown as FileHandleLike
    }
    const s = new FileStorage(t, dir, { fs })
    await expect(s.write(0, [pattern(8, 2)])).rejects.toMatchObject({ name: 'StorageError', code: 'io', disposition: 'fatal' })
    await expect(s.write(0, [pattern(8, 3)])).rejects.toMatchObject({ name: 'StorageError', code: 'io' })
    expect(await s.read(0, 8)).toEqual(pattern(8, 1))
    await s.close()
  })

  it('writes through the thread pool when asked (one writev per file), with the same result', async () => {
    const { fs, spy } = descriptorFs()
    const files = [{ path: ['a'], length: 100_000 }, { path: ['b'], length: 50 }]
    const data = pattern(100_050, 4)
    const s = new FileStorage(makeTorrent(files), fresh(), { fs, writes: 'thread-pool' })
    await s.write(0, [data])
    expect(spy.writes).toBe(2)
    expect(await s.read(0, data.length)).toEqual(data)
    await s.close()
  })

  it('maps ENOSPC to a fatal disk-full StorageError (G61)', async () => {
    const s = new FileStorage(makeTorrent(LAYOUT), fresh(), { fs: fsWith({ failWrite: 'ENOSPC' }) })
    const e = await s.write(0, [pattern(12)]).catch((err: unknown) => err)
    expect(e).toBeInstanceOf(StorageError)
    expect(e).toMatchObject({ code: 'disk-full', disposition: 'fatal' })
    await s.close()
  })

  it('maps EIO and EDQUOT, and open failures, to typed errors (G68)', async () => {
    const t = makeTorrent(LAYOUT)
    await expect(new FileStorage(t, fresh(), { fs: fsWith({ failWrite: 'EIO' }) }).write(0, [pattern(3)])).rejects.toMatchObject({ code: 'io', disposition: 'fatal' })
    await expect(new FileStorage(t, fresh(), { fs: fsWith({ failWrite: 'EDQUOT' }) }).write(0, [pattern(3)])).rejects.toMatchObject({ code: 'disk-full' })
    await expect(new FileStorage(t, fresh(), { fs: fsWith({ failOpen: 'EACCES' }) }).write(0, [pattern(3)])).rejects.toMatchObject({ code: 'permission', disposition: 'fatal' })
    await expect(new FileStorage(t, fresh(), { fs: fsWith({ failOpen: 'EMFILE' }) }).read(0, 3)).rejects.toMatchObject({ code: 'io' })
  })

  it('recovers after a failure: a later write with space succeeds and earlier data is kept', async () => {
    const dir = fresh()
    const t = makeTorrent(LAYOUT)
    const good = new FileStorage(t, dir)
    await good.write(0, [pattern(10)])
    await good.close()
    const bad = new FileStorage(t, dir, { fs: fsWith({ failWrite: 'ENOSPC' }) })
    await expect(bad.write(10, [pattern(7)])).rejects.toMatchObject({ code: 'disk-full' })
    await bad.close()
    const again = new FileStorage(t, dir)
    await again.write(10, [pattern(7)])
    expect(await again.read(0, 17)).toEqual(new Uint8Array([...pattern(10), ...pattern(7)]))
    await again.close()
  })

  it('keeps at most maxOpenFiles handles open and closes them all on close', async () => {
    const fs = fsWith()
    const files = Array.from({ length: 12 }, (_, i) => ({ path: [`f${i}`], length: 4 }))
    const s = new FileStorage(makeTorrent(files), fresh(), { fs, maxOpenFiles: 3 })
    for (let i = 0; i < 12; i++) {
      await s.write(i * 4, [pattern(4, i)])
      // An evicted handle closes after its fsync, which flush waits for.
      await s.flush()
      expect(fs.openNow).toBeLessThanOrEqual(3)
    }
    await Promise.all(Array.from({ length: 12 }, async (_, i) => { expect(await s.read(i * 4, 4)).toEqual(pattern(4, i)) }))
    await s.close()
    expect(fs.openNow).toBe(0)
  })

  it('closes an evicted handle without fsync, fsyncs every written file (evicted ones reopened) on flush, and flush reports a failed sync', async () => {
    const files = Array.from({ length: 3 }, (_, i) => ({ path: [`f${i}`], length: 4 }))
    const fs = fsWith()
    const s = new FileStorage(makeTorrent(files), fresh(), { fs, maxOpenFiles: 1 })
    for (let i = 0; i < 3; i++) await s.write(i * 4, [pattern(4)])
    expect(fs.syncs).toBe(0)
    await s.flush()
    expect(fs.syncs).toBe(3)
    expect(fs.openNow).toBeLessThanOrEqual(1)
    await s.flush()
    expect(fs.syncs).toBe(4)
    await s.close()

    const failing = fsWith({ failSync: 'EIO' })
    const s2 = new FileStorage(makeTorrent(files), fresh(), { fs: failing, maxOpenFiles: 1 })
    await s2.write(0, [pattern(4)])
    await s2.write(4, [pattern(4)])
    await expect(s2.flush()).rejects.toMatchObject({ name: 'StorageError', code: 'io', disposition: 'fatal' })
    await s2.close().catch(() => {})
  })

  it('does not fsync files that were only read', async () => {
    const dir = fresh()
    const t = makeTorrent([{ path: ['x'], length: 4 }], { name: 'x' })
    const w = new FileStorage(t, dir)
    await w.write(0, [pattern(4)])
    await w.close()
    const fs = fsWith()
    const r = new FileStorage(t, dir, { fs })
    await r.read(0, 4)
    await r.flush()
    expect(fs.syncs).toBe(0)
    await r.close()
  })

  it('reuses a cached handle for repeated writes to one file', async () => {
    const fs = fsWith()
    const s = new FileStorage(makeTorrent([{ path: ['x'], length: 64 }]), fresh(), { fs })
    for (let i = 0; i < 16; i++) await s.write(i * 4, [pattern(4)])
    expect(fs.opens).toBe(1)
    await s.close()
  })

  it('read-only storage reads existing data and rejects writes without creating files', async () => {
    const dir = fresh()
    const t = makeTorrent([{ path: ['x'], length: 4 }], { name: 'x' })
    const ro = new FileStorage(t, dir, { readOnly: true })
    await expect(ro.write(0, [pattern(4)])).rejects.toMatchObject({ code: 'read-only' })
    await expect(ro.read(0, 4)).rejects.toMatchObject({ code: 'missing' })
    expect(existsSync(dir)).toBe(false)
    mkdirSync(dir)
    writeFileSync(join(dir, 'x'), Buffer.from(pattern(4)))
    expect(await ro.read(0, 4)).toEqual(pattern(4))
    await ro.close()
  })

  it('close waits for writes in flight', async () => {
    const dir = fresh()
    const t = makeTorrent([{ path: ['x'], length: 1 << 20 }], { name: 'x' })
    const s = new FileStorage(t, dir)
    const w = s.write(0, [pattern(1 << 20)])
    await s.close()
    await w
    expect(statSync(join(dir, 'x')).size).toBe(1 << 20)
  })
})
