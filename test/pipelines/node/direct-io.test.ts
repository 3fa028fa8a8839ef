import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { open as fsOpen, mkdir as fsMkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { AlignedAllocator, DIRECT_IO_ALIGNMENT, isAligned } from '../../../pipelines/node/aligned-memory.js'
import type { FileSystemLike } from '../../../pipelines/node/file-handle-cache.js'
import { FileStorage } from '../../../pipelines/node/file-storage.js'
import { workerHasher, type WorkerHasher } from '../../../pipelines/node/worker-hasher.js'
import { makeTorrent, pattern } from '../../storage/make-torrent.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-dio-'))
let n = 0
const fresh = (): string => join(root, String(n++))
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

const linux = process.platform === 'linux'
/** `O_DIRECT` in the `flags:` line of /proc/self/fdinfo (octal), x86 and arm64 differ. */
const O_DIRECT_BIT = process.arch === 'arm64' || process.arch === 'arm' ? 0o200000 : 0o40000

/** Open descriptors of this process on `path`, with whether each was opened `O_DIRECT`. */
function descriptorsOn (path: string): Array<{ fd: number, direct: boolean }> {
  const out: Array<{ fd: number, direct: boolean }> = []
  for (const name of readdirSync('/proc/self/fd')) {
    let target: string
    try { target = readlinkSync(`/proc/self/fd/${name}`) } catch { continue }
    if (target !== path) continue
    const info = readFileSync(`/proc/self/fdinfo/${name}`, 'utf8')
    const flags = parseInt(/flags:\s+([0-7]+)/.exec(info)?.[1] ?? '0', 8)
    out.push({ fd: Number(name), direct: (flags & O_DIRECT_BIT) !== 0 })
  }
  return out
}

/** Byte-for-byte equality, without a deep comparison of every element. */
function expectBytes (actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length)
  expect(Buffer.compare(Buffer.from(actual.buffer, actual.byteOffset, actual.length), Buffer.from(expected.buffer, expected.byteOffset, expected.length))).toBe(0)
}

/** `data` copied into a buffer the storage made. */
function fromStorage (s: FileStorage, data: Uint8Array): Uint8Array {
  const b = s.allocate(data.length)
  b.set(data)
  return b
}

describe('AlignedAllocator', () => {
  it('hands out zero-filled, non-overlapping views at aligned offsets of its own memory', () => {
    const a = new AlignedAllocator({ slabBytes: 1 << 20 })
    const views = [a.allocate(100), a.allocate(DIRECT_IO_ALIGNMENT), a.allocate(5000), a.allocate(0), a.allocate(300_000)]
    for (const [i, v] of views.entries()) {
      expect(isAligned(v)).toBe(true)
      expect(v.byteOffset % DIRECT_IO_ALIGNMENT).toBe(0)
      expect(v.every((b) => b === 0)).toBe(true)
      v.fill(i + 1)
    }
    expect(views.map((v) => v.length)).toEqual([100, DIRECT_IO_ALIGNMENT, 5000, 0, 300_000])
    // Each kept its own fill: nothing overlaps.
    for (const [i, v] of views.entries()) expect(v.every((b) => b === i + 1)).toBe(true)
  })

  it('starts a new slab when one is used up, and gives a large request memory of its own', () => {
    const a = new AlignedAllocator({ slabBytes: 1 << 20 })
    const first = a.allocate(400 * 1024)
    const second = a.allocate(400 * 1024)
    const third = a.allocate(400 * 1024)
    expect(second.buffer).toBe(first.buffer)
    expect(third.buffer).not.toBe(first.buffer)
    const big = a.allocate(3 << 20)
    expect(big.byteOffset).toBe(0)
    expect(big.length).toBe(3 << 20)
    expect(isAligned(big)).toBe(true)
  })

  it('tells its views from other memory and from unaligned views of its own', () => {
    const a = new AlignedAllocator()
    const v = a.allocate(2 * DIRECT_IO_ALIGNMENT)
    expect(isAligned(v.subarray(DIRECT_IO_ALIGNMENT))).toBe(true)
    expect(isAligned(v.subarray(512))).toBe(false)
    expect(isAligned(v.subarray(512), 512)).toBe(true)
    expect(isAligned(new Uint8Array(8192))).toBe(false)
    expect(isAligned(Buffer.allocUnsafeSlow(8192))).toBe(false)
  })

  it('gives plain memory when the engine cannot make a memory that large (G68), and aligned memory again after', () => {
    // A slab over WebAssembly's 4 GiB limit cannot be made.
    const a = new AlignedAllocator({ slabBytes: 8 * 1024 ** 3 })
    const v = a.allocate(1000)
    expect(v.length).toBe(1000)
    expect(isAligned(v)).toBe(false)
    expect(v.every((b) => b === 0)).toBe(true)
    expect(isAligned(new AlignedAllocator().allocate(1000))).toBe(true)
  })

  it('refuses a negative or fractional length', () => {
    const a = new AlignedAllocator()
    expect(() => a.allocate(-1)).toThrow(RangeError)
    expect(() => a.allocate(1.5)).toThrow(RangeError)
  })
})

describe.runIf(linux)('FileStorage direct writes (O_DIRECT, Linux)', () => {
  it('writes aligned pieces through an O_DIRECT descriptor and reads them back', async () => {
    const dir = fresh()
    const pieceLength = 64 * 1024
    const t = makeTorrent([{ path: ['x.bin'], length: 4 * pieceLength }], { name: 'x.bin', pieceLength })
    const s = new FileStorage(t, dir)
    expect(s.directIo).toEqual({ on: true })
    const data = pattern(4 * pieceLength)
    for (let i = 0; i < 4; i++) await s.write(i * pieceLength, [fromStorage(s, data.subarray(i * pieceLength, (i + 1) * pieceLength))])
    const fds = descriptorsOn(join(dir, 'x.bin'))
    expect(fds.some((d) => d.direct)).toBe(true)
    // Nothing needed the buffered descriptor: every write went direct.
    expect(fds.filter((d) => !d.direct)).toEqual([])
    expectBytes(await s.read(0, data.length), data)
    await s.flush()
    await s.close()
    expect(descriptorsOn(join(dir, 'x.bin'))).toEqual([])
    expectBytes(readFileSync(join(dir, 'x.bin')), data)
  })

  it('writes an unaligned tail, a file that starts unaligned, and buffers from elsewhere through the page cache, with the right bytes', async () => {
    const dir = fresh()
    const pieceLength = 32 * 1024
    // File b starts at 50 000 (unaligned); the last piece is short (total 150 001).
    const files = [{ path: ['a'], length: 50_000 }, { path: ['b'], length: 100_001 }]
    const t = makeTorrent(files, { name: 'mixed', pieceLength })
    const total = 150_001
    const data = pattern(total)
    const s = new FileStorage(t, dir)
    const pieces = Math.ceil(total / pieceLength)
    for (let i = 0; i < pieces; i++) {
      const chunk = data.subarray(i * pieceLength, Math.min(total, (i + 1) * pieceLength))
      // Every other piece from plain memory: it cannot go direct.
      await s.write(i * pieceLength, [i % 2 === 0 ? fromStorage(s, chunk) : chunk.slice()])
    }
    expect(s.directIo.on).toBe(true)
    expectBytes(await s.read(0, total), data)
    await s.close()
    expectBytes(readFileSync(join(dir, 'mixed', 'a')), data.subarray(0, 50_000))
    expectBytes(readFileSync(join(dir, 'mixed', 'b')), data.subarray(50_000))
  })

  it('writes the aligned head of a short last piece directly and its tail through the cache', async () => {
    const dir = fresh()
    const pieceLength = 16 * 1024
    const total = pieceLength + 5000
    const t = makeTorrent([{ path: ['y'], length: total }], { name: 'y', pieceLength })
    const data = pattern(total)
    const s = new FileStorage(t, dir)
    await s.write(pieceLength, [fromStorage(s, data.subarray(pieceLength))])
    const fds = descriptorsOn(join(dir, 'y'))
    expect(fds.filter((d) => d.direct)).toHaveLength(1)
    expect(fds.filter((d) => !d.direct)).toHaveLength(1)
    await s.write(0, [fromStorage(s, data.subarray(0, pieceLength))])
    await s.close()
    expectBytes(readFileSync(join(dir, 'y')), data)
  })

  /** Opens for direct writes through node, but refuses (with `code`) at `refuse`: the open or the first write. */
  function refusingFs (refuse: 'open' | 'write', code = 'EINVAL'): { fs: FileSystemLike, attempts: { opens: number, writes: number } } {
    const attempts = { opens: 0, writes: 0 }
    const einval = (): Error => Object.assign(new Error(`${code}: refused`), { code })
    const fs: FileSystemLike = {
      mkdir: fsMkdir,
      open: async (p, f) => {
        attempts.opens++
        if (refuse === 'open') throw einval()
        const h = await fsOpen(p, f === 'r+' ? 'r+' : f)
        return {
          read: async (b, o, l, pos) => await h.read(b, o, l, pos),
          writev: async () => { attempts.writes++; throw einval() },
          sync: async () => { await h.sync() },
          close: async () => { await h.close() }
        }
      }
    }
    return { fs, attempts }
  }

  for (const [refuse, code] of [['open', 'EINVAL'], ['write', 'EINVAL'], ['open', 'EOPNOTSUPP']] as const) {
    it(`says why and writes through the page cache from then on when the file system refuses direct I/O (${code} at the ${refuse})`, async () => {
      const dir = fresh()
      const pieceLength = 16 * 1024
      const t = makeTorrent([{ path: ['z'], length: 3 * pieceLength }], { name: 'z', pieceLength })
      const data = pattern(3 * pieceLength)
      const { fs, attempts } = refusingFs(refuse, code)
      const s = new FileStorage(t, dir, { directFs: fs })
      expect(s.directIo.on).toBe(true)
      await s.write(0, [fromStorage(s, data.subarray(0, pieceLength))])
      expect(s.directIo.on).toBe(false)
      expect(s.directIo.reason).toMatch(new RegExp(`refused a direct write to .*z \\(${code}\\)`))
      const tried = { ...attempts }
      await s.write(pieceLength, [fromStorage(s, data.subarray(pieceLength, 2 * pieceLength))])
      await s.write(2 * pieceLength, [fromStorage(s, data.subarray(2 * pieceLength))])
      // Not asked again.
      expect(attempts).toEqual(tried)
      await s.flush()
      await s.close()
      expectBytes(readFileSync(join(dir, 'z')), data)
    })
  }

  it('reports a direct write failure other than a refusal as a typed error, and loses nothing written before', async () => {
    const dir = fresh()
    const pieceLength = 16 * 1024
    const t = makeTorrent([{ path: ['e'], length: 2 * pieceLength }], { name: 'e', pieceLength })
    const data = pattern(2 * pieceLength)
    let fail = false
    const fs: FileSystemLike = {
      mkdir: fsMkdir,
      open: async (p, f) => {
        const h = await fsOpen(p, f)
        return {
          read: async (b, o, l, pos) => await h.read(b, o, l, pos),
          writev: async (bs, pos) => {
            if (fail) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
            return await h.writev(bs, pos)
          },
          sync: async () => { await h.sync() },
          close: async () => { await h.close() }
        }
      }
    }
    const s = new FileStorage(t, dir, { directFs: fs })
    await s.write(0, [fromStorage(s, data.subarray(0, pieceLength))])
    fail = true
    await expect(s.write(pieceLength, [fromStorage(s, data.subarray(pieceLength))])).rejects.toMatchObject({ code: 'disk-full' })
    expect(s.directIo.on).toBe(true)
    fail = false
    await s.write(pieceLength, [fromStorage(s, data.subarray(pieceLength))])
    await s.close()
    expectBytes(readFileSync(join(dir, 'e')), data)
  })

  it('stays off when asked, for read-only storage and with an injected file system', async () => {
    const pieceLength = 16 * 1024
    const t = makeTorrent([{ path: ['w'], length: pieceLength }], { name: 'w', pieceLength })
    const off = new FileStorage(t, fresh(), { directIo: false })
    expect(off.directIo).toEqual({ on: false, reason: 'turned off (directIo: false)' })
    const b = off.allocate(pieceLength)
    expect(isAligned(b)).toBe(false)
    await off.write(0, [b])
    await off.close()
    const injected: FileSystemLike = { open: async (p, f) => await fsOpen(p, f), mkdir: fsMkdir }
    expect(new FileStorage(t, fresh(), { fs: injected }).directIo).toEqual({ on: false, reason: 'an injected file system' })
    expect(new FileStorage(t, fresh(), { fs: injected, directIo: true }).directIo.on).toBe(false)
    expect(new FileStorage(t, fresh(), { readOnly: true }).directIo).toEqual({ on: false, reason: 'read-only storage' })
  })
})

describe('workerHasher with aligned memory', () => {
  const hashers: WorkerHasher[] = []
  afterEach(async () => { for (const h of hashers.splice(0)) await h.close() })

  it('hashes a whole WebAssembly-memory buffer it cannot move, on the calling thread, and keeps working', async () => {
    const h = workerHasher({ threads: 1 })
    hashers.push(h)
    const big = new AlignedAllocator({ slabBytes: 1 << 20 }).allocate(1 << 20)
    expect(big.byteLength).toBe(big.buffer.byteLength)
    big.set(pattern(1 << 20))
    const want = createHash('sha1').update(big).digest('hex')
    const { digest, data } = await h.sha1Owned(big)
    expect(Buffer.from(digest).toString('hex')).toBe(want)
    // The caller keeps its own buffer (Node copies memory that cannot move; others refuse it).
    expect(data).toBe(big)
    expect(big.byteLength).toBe(1 << 20)
    expect(h.pending).toBe(0)
    // A movable buffer still goes to the thread and comes back.
    const plain = pattern(1 << 16).slice()
    const moved = await h.sha1Owned(plain)
    expect(Buffer.from(moved.digest).toString('hex')).toBe(createHash('sha1').update(pattern(1 << 16)).digest('hex'))
    expect(plain.byteLength).toBe(0)
  })
})
