import { constants, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { open as fsOpen, mkdir as fsMkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FileHandleCache, type FileHandleLike, type FileSystemLike } from '../../../pipelines/node/file-handle-cache.js'
import { FileStorage } from '../../../pipelines/node/file-storage.js'
import { OpenFileBudget } from '../../../pipelines/node/open-file-budget.js'
import { makeTorrent, pattern } from '../../storage/make-torrent.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-budget-'))
let n = 0
const fresh = (): string => join(root, String(n++))
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

/** A promise with its resolve function, to hold an operation open. */
function deferred (): { promise: Promise<void>, resolve: () => void } {
  let resolve = (): void => {}
  const promise = new Promise<void>(r => { resolve = r })
  return { promise, resolve }
}

/** A few turns of the event loop (no wall-clock wait). */
async function turns (k = 5): Promise<void> {
  for (let i = 0; i < k; i++) await new Promise(resolve => setImmediate(resolve))
}

/**
 * Real files, counting the handles open now (shared by every spy made with
 * the same counter), the most ever open at once, and the order of opens and
 * closes. `limit`: opens fail with EMFILE while that many are open, as a
 * process at its descriptor limit does.
 */
class CountingFs implements FileSystemLike {
  readonly events: string[] = []
  /** Every open called, failed ones too, and every mkdir. */
  attempts = 0
  mkdirs = 0
  constructor (readonly counter: { now: number, most: number }, readonly limit = Infinity, readonly tag = '') {}
  async mkdir (p: string, o: { recursive: true }): Promise<unknown> { this.mkdirs++; return await fsMkdir(p, o) }
  async open (p: string, flags: 'r' | 'r+' | 'wx+' | 'a'): Promise<FileHandleLike> {
    this.attempts++
    if (this.counter.now >= this.limit) throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' })
    const name = this.tag + p.slice(p.lastIndexOf('/') + 1)
    const h = await fsOpen(p, flags)
    this.counter.now++
    this.counter.most = Math.max(this.counter.most, this.counter.now)
    this.events.push(`open ${name}`)
    const handle = h
    return {
      read: async (b, o, l, pos) => await handle.read(b, o, l, pos),
      writev: async (bs, pos) => {
        await turns(2)
        return await handle.writev(bs, pos)
      },
      sync: async () => { await handle.sync() },
      close: async () => {
        this.events.push(`close ${name}`)
        await handle.close()
        this.counter.now--
      }
    }
  }
}

const bytes = async (h: FileHandleLike): Promise<void> => { await h.writev([new Uint8Array([1, 2, 3])], 0) }

describe('OpenFileBudget with FileHandleCache', () => {
  it('never has more than N descriptors open across caches sharing one budget', async () => {
    const counter = { now: 0, most: 0 }
    const budget = new OpenFileBudget(3)
    const dir = fresh()
    const a = new FileHandleCache(new CountingFs(counter), { budget, readOnly: false })
    const b = new FileHandleCache(new CountingFs(counter), { budget, readOnly: false })
    await Promise.all(Array.from({ length: 40 }, async (_, i) => {
      await (i % 2 === 0 ? a : b).use(join(dir, `f${i % 13}`), true, bytes)
    }))
    expect(counter.most).toBeLessThanOrEqual(3)
    expect(budget.held).toBeLessThanOrEqual(3)
    await a.syncAll()
    await b.syncAll()
    await Promise.all([a.closeAll(), b.closeAll()])
    expect(counter.now).toBe(0)
    expect(budget.held).toBe(0)
  })

  it('closes the least recently used idle handle first', async () => {
    const counter = { now: 0, most: 0 }
    const fs = new CountingFs(counter)
    const cache = new FileHandleCache(fs, { budget: new OpenFileBudget(2), readOnly: false })
    const dir = fresh()
    await cache.use(join(dir, 'a'), true, bytes)
    await cache.use(join(dir, 'b'), true, bytes)
    await cache.use(join(dir, 'a'), true, bytes)
    await cache.use(join(dir, 'c'), true, bytes)
    expect(fs.events).toEqual(['open a', 'open b', 'close b', 'open c'])
    await cache.closeAll()
  })

  it('never closes a handle in use: an open waits until a user releases one', async () => {
    const counter = { now: 0, most: 0 }
    const fs = new CountingFs(counter)
    const budget = new OpenFileBudget(1)
    const cache = new FileHandleCache(fs, { budget, readOnly: false })
    const dir = fresh()
    const hold = deferred()
    const started = deferred()
    const first = cache.use(join(dir, 'a'), true, async h => { started.resolve(); await bytes(h); await hold.promise })
    await started.promise
    let secondRan = false
    const second = cache.use(join(dir, 'b'), true, async h => { secondRan = true; await bytes(h) })
    await turns(20)
    expect(fs.events).toEqual(['open a'])
    expect(secondRan).toBe(false)
    expect(budget.waiting).toBe(1)
    hold.resolve()
    await Promise.all([first, second])
    expect(fs.events).toEqual(['open a', 'close a', 'open b'])
    expect(counter.most).toBe(1)
    await cache.closeAll()
  })

  it('on EMFILE closes an idle handle, lowers the bound and retries instead of failing', async () => {
    const counter = { now: 0, most: 0 }
    // The "process" allows 2 descriptors; the budget thinks 5.
    const fs = new CountingFs(counter, 2)
    const budget = new OpenFileBudget(5)
    const cache = new FileHandleCache(fs, { budget, readOnly: false })
    const dir = fresh()
    await cache.use(join(dir, 'a'), true, bytes)
    await cache.use(join(dir, 'b'), true, bytes)
    await cache.use(join(dir, 'c'), true, bytes)
    await Promise.all(['d', 'e', 'a', 'f'].map(async name => { await cache.use(join(dir, name), true, bytes) }))
    expect(budget.max).toBe(2)
    expect(counter.most).toBe(2)
    expect(fs.events.slice(0, 4)).toEqual(['open a', 'open b', 'close a', 'open c'])
    await cache.closeAll()
    expect(counter.now).toBe(0)
    expect(budget.held).toBe(0)
  })

  it('reports EMFILE when no handle of its own is left to close', async () => {
    const counter = { now: 0, most: 0 }
    const cache = new FileHandleCache(new CountingFs(counter, 0), { budget: new OpenFileBudget(4), readOnly: false })
    await expect(cache.use(join(fresh(), 'a'), true, bytes)).rejects.toMatchObject({ code: 'EMFILE' })
  })

  it('creates a new file with one open and its folder with one mkdir, and reopens a known file with one open', async () => {
    const fs = new CountingFs({ now: 0, most: 0 })
    const cache = new FileHandleCache(fs, { budget: new OpenFileBudget(2), readOnly: false })
    const dir = fresh()
    for (let i = 0; i < 30; i++) await cache.use(join(dir, `d${i % 3}`, `f${i}`), true, bytes)
    expect(fs.attempts).toBe(30)
    expect(fs.mkdirs).toBe(3)
    for (let i = 0; i < 30; i++) await cache.use(join(dir, `d${i % 3}`, `f${i}`), true, bytes)
    expect(fs.attempts).toBe(60)
    await cache.closeAll()
    // A file that exists already, unknown to a new cache: created first, found, opened r+ (never truncated).
    const again = new FileHandleCache(fs, { budget: new OpenFileBudget(2), readOnly: false })
    await again.use(join(dir, 'd0', 'f0'), true, async h => {
      const b = new Uint8Array(3)
      await h.read(b, 0, 3, 0)
      expect([...b]).toEqual([1, 2, 3])
    })
    await again.closeAll()
  })

  it('makes a new folder with one mkdir when many files in it are created at once', async () => {
    const fs = new CountingFs({ now: 0, most: 0 })
    const cache = new FileHandleCache(fs, { budget: new OpenFileBudget(20), readOnly: false })
    const dir = fresh()
    await Promise.all(Array.from({ length: 20 }, async (_, i) => { await cache.use(join(dir, 'new', `f${i}`), true, bytes) }))
    expect(fs.mkdirs).toBe(1)
    expect(fs.attempts).toBe(20)
    await cache.closeAll()
  })
})

/** Descriptors of this process open on files under `dir`. */
function descriptorsUnder (dir: string): number {
  let count = 0
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`).startsWith(dir + '/')) count++
    } catch {}
  }
  return count
}

describe('FileStorage open-file bound', () => {
  it('reads and writes a range spanning many files with at most maxOpenFiles handles open', async () => {
    const counter = { now: 0, most: 0 }
    const files = Array.from({ length: 24 }, (_, i) => ({ path: [`d${i % 3}`, `f${i}`], length: 100 + i }))
    const t = makeTorrent(files, { pieceLength: 1024 })
    const s = new FileStorage(t, fresh(), { fs: new CountingFs(counter), maxOpenFiles: 3 })
    const data = pattern(t.length)
    await Promise.all([0, 1, 2].map(async k => {
      const from = Math.floor(t.length * k / 3)
      const to = Math.floor(t.length * (k + 1) / 3)
      await s.write(from, [data.subarray(from, to)])
    }))
    const back = await Promise.all([0, 1].map(async k => await s.read(k * 1000, t.length - 1000 * k)))
    expect(back[0]).toEqual(data)
    expect(counter.most).toBeLessThanOrEqual(3)
    await s.close()
    expect(counter.now).toBe(0)
  })

  it.runIf(process.platform === 'linux' && (constants as { O_DIRECT?: number }).O_DIRECT !== undefined)(
    'counts buffered and direct handles against one bound', async () => {
      const dir = fresh()
      const seen: number[] = []
      const oDirect = (constants as { O_DIRECT?: number }).O_DIRECT as number
      const flags = { r: constants.O_RDONLY, 'r+': constants.O_WRONLY, 'wx+': constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, a: constants.O_WRONLY | constants.O_APPEND }
      // Direct opens as the storage makes them, noting how many descriptors the storage holds at each.
      const directFs: FileSystemLike = {
        mkdir: async (p, o) => await fsMkdir(p, o),
        open: async (p, f) => {
          seen.push(descriptorsUnder(dir))
          return await fsOpen(p, flags[f] | oDirect)
        }
      }
      // Each file written from its own aligned buffer: its first 8 KiB go direct, its last 100 bytes through the cache.
      const files = Array.from({ length: 40 }, (_, i) => ({ path: [`f${i}`], length: 8192 + 100 }))
      const t = makeTorrent(files, { pieceLength: 65536 })
      const s = new FileStorage(t, dir, { directFs, maxOpenFiles: 4 })
      const data = pattern(t.length)
      await Promise.all(t.files.map(async f => {
        const b = s.allocate(f.length)
        b.set(data.subarray(f.offset, f.offset + f.length))
        await s.write(f.offset, [b])
      }))
      seen.push(descriptorsUnder(dir))
      expect(s.directIo.on, s.directIo.reason).toBe(true)
      expect(seen.length).toBeGreaterThan(10)
      expect(Math.max(...seen)).toBeLessThanOrEqual(4)
      expect(await s.read(0, t.length)).toEqual(pattern(t.length))
      await s.close()
      expect(descriptorsUnder(dir)).toBe(0)
    })
})
