import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { RxTorrentError } from '../../../lib/errors.js'
import { sharedPieceBuffer, sharedWorkerHasher, workerHasher, type WorkerHasher } from '../../../pipelines/node/worker-hasher.js'
import { makeData as bytes } from '../swarm-helpers.js'

const hashers: WorkerHasher[] = []
afterEach(async () => {
  for (const h of hashers.splice(0)) await h.close()
})

function make (threads?: number): WorkerHasher {
  const h = workerHasher(threads === undefined ? {} : { threads })
  hashers.push(h)
  return h
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

function expected (...chunks: Uint8Array[]): string {
  const h = createHash('sha1')
  for (const c of chunks) h.update(c)
  return h.digest('hex')
}


function shared (data: Uint8Array): Uint8Array {
  const s = sharedPieceBuffer(data.length)
  s.set(data)
  return s
}

describe('sharedPieceBuffer', () => {
  it('gives an n-byte zero-filled view of a SharedArrayBuffer', () => {
    const b = sharedPieceBuffer(1000)
    expect(b).toBeInstanceOf(Uint8Array)
    expect(b.length).toBe(1000)
    expect(b.byteOffset).toBe(0)
    expect(b.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect(b.buffer.byteLength).toBe(1000)
    expect(b.every((x) => x === 0)).toBe(true)
  })
})

describe('workerHasher', () => {
  it('hashes "abc" in shared memory on a thread to the spec vector', async () => {
    const h = make()
    const abc = shared(new TextEncoder().encode('abc'))
    const out = h.sha1([abc])
    expect(out).toBeInstanceOf(Promise)
    expect(h.pending).toBe(1)
    const digest = await out
    expect(digest).toBeInstanceOf(Uint8Array)
    expect(digest.length).toBe(20)
    expect(hex(digest)).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
    expect(h.pending).toBe(0)
  })

  it('hashes the two-block spec vector and random data like node:crypto', async () => {
    const h = make()
    const msg = new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')
    expect(hex(await h.sha1([shared(msg)]))).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1')
    const data = bytes(256 * 1024 + 13, 42)
    expect(hex(await h.sha1([shared(data)]))).toBe(expected(data))
  })

  it('hashes several views of one SharedArrayBuffer, at non-zero offsets, as one message', async () => {
    const h = make()
    const data = bytes(100_000, 7)
    const piece = shared(data)
    const sab = piece.buffer
    const views = [
      new Uint8Array(sab, 0, 1),
      new Uint8Array(sab, 1, 16_383),
      new Uint8Array(sab, 16_384, 50_000),
      piece.subarray(66_384, 100_000)
    ]
    expect(hex(await h.sha1(views))).toBe(expected(data))
    // A window in the middle of the buffer only.
    const window = new Uint8Array(sab, 12_345, 40_000)
    expect(window.byteOffset).toBe(12_345)
    expect(hex(await h.sha1([window]))).toBe(expected(data.subarray(12_345, 52_345)))
    // Out-of-order views hash in the order given.
    expect(hex(await h.sha1([views[2] as Uint8Array, views[0] as Uint8Array]))).toBe(expected(data.subarray(16_384, 66_384), data.subarray(0, 1)))
  })

  it('an empty job hashes to the SHA-1 of nothing', async () => {
    const h = make()
    expect(hex(await h.sha1([]))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709')
    expect(hex(await h.sha1([sharedPieceBuffer(0)]))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709')
  })

  it('hashes ordinary memory inline: the digest comes back synchronously', () => {
    const h = make()
    const out = h.sha1([new TextEncoder().encode('abc')])
    expect(out).toBeInstanceOf(Uint8Array)
    expect(h.pending).toBe(0)
    expect(hex(out as Uint8Array)).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
    const data = bytes(70_000, 3)
    const split = h.sha1([data.subarray(0, 3), data.subarray(3)])
    expect(split).toBeInstanceOf(Uint8Array)
    expect(hex(split as Uint8Array)).toBe(expected(data))
  })

  it('a job mixing shared and ordinary chunks is hashed inline, correctly', () => {
    const h = make()
    const data = bytes(5000, 11)
    const out = h.sha1([shared(data.subarray(0, 2000)), data.subarray(2000)])
    expect(out).toBeInstanceOf(Uint8Array)
    expect(hex(out as Uint8Array)).toBe(expected(data))
  })

  it('many concurrent jobs across two threads all resolve to the right digests', async () => {
    const h = make(2)
    const inputs = Array.from({ length: 40 }, (_, i) => bytes(1000 + i * 997, i + 1))
    const jobs = inputs.map((d) => h.sha1([shared(d)]))
    expect(h.pending).toBe(40)
    const digests = await Promise.all(jobs)
    expect(digests.map(hex)).toEqual(inputs.map((d) => expected(d)))
    expect(h.pending).toBe(0)
  })

  it('close() rejects the pending jobs with an RxTorrentError, then hashes inline', async () => {
    const h = make(2)
    const jobs = Array.from({ length: 5 }, (_, i) => h.sha1([shared(bytes(200_000, i + 9))]))
    expect(h.pending).toBe(5)
    const results = jobs.map(async (j) => await Promise.resolve(j).then(() => 'resolved', (e: unknown) => e))
    await h.close()
    expect(h.pending).toBe(0)
    for (const r of await Promise.all(results)) {
      expect(r).toBeInstanceOf(RxTorrentError)
      expect(r).toMatchObject({ code: 'hasher-closed', disposition: 'fatal' })
    }
    const after = h.sha1([shared(new TextEncoder().encode('abc'))])
    expect(after).toBeInstanceOf(Uint8Array)
    expect(hex(after as Uint8Array)).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
    // A second close is harmless.
    await h.close()
  })

  it('the hasher goes on after a job: later jobs on the same threads still answer', async () => {
    const h = make(1)
    for (let i = 0; i < 5; i++) {
      const d = bytes(10_000, 100 + i)
      expect(hex(await h.sha1([shared(d)]))).toBe(expected(d))
    }
    expect(h.pending).toBe(0)
  })

  it('sharedWorkerHasher is one process-wide hasher that works', async () => {
    const h = sharedWorkerHasher()
    hashers.push(h)
    expect(sharedWorkerHasher()).toBe(h)
    const data = bytes(33_333, 77)
    expect(hex(await h.sha1([shared(data)]))).toBe(expected(data))
  })

  it('sha1Owned moves a whole buffer to a thread and back: same bytes, the original detached', async () => {
    const h = make(2)
    const data = new Uint8Array(1 << 20)
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff
    const want = expected(data)
    const copy = Uint8Array.from(data)
    const jobs = await Promise.all([h.sha1Owned(data), h.sha1Owned(Uint8Array.from(copy))])
    for (const { digest, data: back } of jobs) {
      expect(hex(digest)).toBe(want)
      expect(Buffer.compare(back, copy)).toBe(0)
    }
    // Transferred: the caller's view no longer holds the memory.
    expect(data.byteLength).toBe(0)
  })

  it('sha1Owned hashes a view of part of a buffer on the calling thread and gives it back as is', async () => {
    const h = make()
    const whole = new Uint8Array(100).fill(5)
    const part = whole.subarray(10, 60)
    const { digest, data } = await h.sha1Owned(part)
    expect(hex(digest)).toBe(expected(part))
    expect(data).toBe(part)
    expect(whole.byteLength).toBe(100)
  })

  it('keeps the process alive while a job is pending, and not once it is idle', async () => {
    // A child process submits one job without awaiting it and never closes
    // the hasher: it must print the digest (the busy thread is referenced)
    // and then exit by itself (the idle threads are not).
    const dir = await mkdtemp(join(tmpdir(), 'worker-hasher-'))
    try {
      const script = join(dir, 'child.mjs')
      await writeFile(script, [
        'const { workerHasher } = await import(process.argv[2])',
        'const h = workerHasher({ threads: 2 })',
        'const b = new Uint8Array(new SharedArrayBuffer(3)); b.set([97, 98, 99])',
        "h.sha1([b]).then((d) => { process.stdout.write(Buffer.from(d).toString('hex')) })"
      ].join('\n'))
      const module = fileURLToPath(new URL('../../../pipelines/node/worker-hasher.ts', import.meta.url))
      const result = await new Promise<{ code: number | null, stdout: string, killed: boolean }>((resolve) => {
        const child = execFile(process.execPath, ['--import', 'tsx', script, module], { timeout: 30_000 }, (err, stdout) => {
          resolve({ code: err === null ? 0 : (typeof err.code === 'number' ? err.code : null), stdout, killed: child.killed })
        })
      })
      expect(result.stdout).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
      expect(result.killed).toBe(false)
      expect(result.code).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 40_000)
})
