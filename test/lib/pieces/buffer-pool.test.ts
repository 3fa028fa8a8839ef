import { describe, expect, it } from 'vitest'
import { BufferPool } from '../../../lib/pieces/buffer-pool.js'

describe('BufferPool', () => {
  it('hands out a zero-filled buffer of the asked length and counts it', () => {
    const pool = new BufferPool()
    const a = pool.acquire(100)
    expect(a).toBeInstanceOf(Uint8Array)
    expect(a.length).toBe(100)
    expect(a.every((b) => b === 0)).toBe(true)
    expect(pool.allocated).toBe(1)
    expect(pool.free).toBe(0)
  })

  it('reuses a released buffer of the same length, contents left as they were', () => {
    const pool = new BufferPool()
    const a = pool.acquire(64)
    a.fill(7)
    pool.release(a)
    expect(pool.free).toBe(1)
    const b = pool.acquire(64)
    expect(b).toBe(a)
    expect(b[0]).toBe(7)
    expect(pool.allocated).toBe(1)
    expect(pool.free).toBe(0)
  })

  it('keeps lengths apart', () => {
    const pool = new BufferPool()
    const small = pool.acquire(10)
    const big = pool.acquire(20)
    pool.release(small)
    pool.release(big)
    expect(pool.free).toBe(2)
    const c = pool.acquire(20)
    expect(c).toBe(big)
    const d = pool.acquire(15)
    expect(d).not.toBe(small)
    expect(d.length).toBe(15)
    expect(pool.allocated).toBe(3)
    const e = pool.acquire(10)
    expect(e).toBe(small)
    expect(pool.free).toBe(0)
  })

  it('holds at most maxFree buffers for reuse; the rest are let go', () => {
    const pool = new BufferPool({ maxFree: 2 })
    const bufs = [pool.acquire(8), pool.acquire(8), pool.acquire(8)]
    for (const b of bufs) pool.release(b)
    expect(pool.free).toBe(2)
    const again = [pool.acquire(8), pool.acquire(8), pool.acquire(8)]
    expect(new Set(again).size).toBe(3)
    // Two came back from the pool, the third is new.
    expect(again.filter((b) => bufs.includes(b))).toHaveLength(2)
    expect(pool.allocated).toBe(4)
  })

  it('maxFree counts all lengths together; maxFree 0 keeps nothing', () => {
    const pool = new BufferPool({ maxFree: 2 })
    pool.release(pool.acquire(1))
    pool.release(pool.acquire(2))
    const third = pool.acquire(3)
    pool.release(third)
    expect(pool.free).toBe(2)
    expect(pool.acquire(3)).not.toBe(third)

    const none = new BufferPool({ maxFree: 0 })
    const a = none.acquire(4)
    none.release(a)
    expect(none.free).toBe(0)
    expect(none.acquire(4)).not.toBe(a)
  })

  it('ignores a buffer it did not make, even of a matching length', () => {
    const pool = new BufferPool()
    const foreign = new Uint8Array(32)
    pool.release(foreign)
    expect(pool.free).toBe(0)
    expect(pool.acquire(32)).not.toBe(foreign)
    // A view of a pool buffer is not the pool's buffer either.
    const own = pool.acquire(64)
    pool.release(own.subarray(0, 32))
    expect(pool.free).toBe(0)
  })

  it('ignores a second release: two acquires after it give two different buffers', () => {
    const pool = new BufferPool()
    const a = pool.acquire(16)
    pool.release(a)
    pool.release(a)
    expect(pool.free).toBe(1)
    const x = pool.acquire(16)
    const y = pool.acquire(16)
    expect(x).toBe(a)
    expect(y).not.toBe(x)
    expect(pool.allocated).toBe(2)
  })

  it('a buffer released, reacquired and released again is pooled once', () => {
    const pool = new BufferPool()
    const a = pool.acquire(16)
    pool.release(a)
    expect(pool.acquire(16)).toBe(a)
    pool.release(a)
    pool.release(a)
    expect(pool.free).toBe(1)
    expect(pool.acquire(16)).toBe(a)
    expect(pool.acquire(16)).not.toBe(a)
  })

  it('uses the given allocator for new buffers only', () => {
    const lengths: number[] = []
    const pool = new BufferPool({ allocate: (n) => { lengths.push(n); return new Uint8Array(new SharedArrayBuffer(n)) } })
    const a = pool.acquire(128)
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer)
    pool.release(a)
    expect(pool.acquire(128)).toBe(a)
    pool.acquire(128)
    expect(lengths).toEqual([128, 128])
    expect(pool.allocated).toBe(2)
  })
})

describe('BufferPool adopt', () => {
  it('takes back one of its buffers that returned as a new object, but not a partial view', () => {
    const pool = new BufferPool()
    const a = pool.acquire(8)
    const moved = new Uint8Array(8) // stands for `a` after a transfer to a thread and back
    pool.release(moved, { adopt: true })
    expect(pool.free).toBe(1)
    expect(pool.acquire(8)).toBe(moved)
    pool.release(new Uint8Array(16).subarray(0, 8), { adopt: true })
    expect(pool.free).toBe(0)
    expect(a.length).toBe(8)
  })
})

describe('BufferPool maxFreeBytes', () => {
  it('keeps free buffers up to a byte budget, so large pieces keep fewer', () => {
    const pool = new BufferPool({ maxFree: 10, maxFreeBytes: 250 })
    const bufs = [pool.acquire(100), pool.acquire(100), pool.acquire(100)]
    for (const b of bufs) pool.release(b)
    expect(pool.free).toBe(2)
    expect(pool.freeBytes).toBe(200)
    pool.acquire(100)
    expect(pool.freeBytes).toBe(100)
  })
})
