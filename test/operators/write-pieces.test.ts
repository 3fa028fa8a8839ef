import { describe, expect, it } from 'vitest'
import { pipe } from 'it-pipe'
import { StorageError } from '../../lib/errors.js'
import type { Storage } from '../../lib/storage/types.js'
import type { VerifiedPiece } from '../../operators/verify-pieces.js'
import { writePieces } from '../../operators/write-pieces.js'
import { FakeStorage, collect, content, fromArray } from '../lib/pieces/helpers.js'

const piece = (index: number, ok = true, length = 8): VerifiedPiece => {
  const bytes = content(length, index)
  return { index, blocks: [bytes.subarray(0, 3), bytes.subarray(3)], length, contributors: ['a'], ok }
}

/** Lets every pending promise callback run: a few macrotask turns, no timers. */
async function settle (): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => { setImmediate(resolve) })
}

/** A storage whose writes resolve only when the test says so. */
class GatedStorage implements Storage {
  readonly gates: Array<{ offset: number, resolve: () => void, reject: (e: unknown) => void }> = []
  async read (): Promise<Uint8Array> { return new Uint8Array(0) }
  async write (offset: number): Promise<void> {
    await new Promise<void>((resolve, reject) => { this.gates.push({ offset, resolve, reject }) })
  }

  async flush (): Promise<void> {}
  async close (): Promise<void> {}
}

/** An endless source that counts how often it was pulled. */
function counting (): { pulls: () => number, source: AsyncIterable<VerifiedPiece> } {
  let pulls = 0
  return {
    pulls: () => pulls,
    source: (async function * () { for (let i = 0; ; i++) { pulls++; yield piece(i) } })()
  }
}

describe('writePieces', () => {
  it('writes ok pieces at index × pieceLength with their blocks as-is', async () => {
    const storage = new FakeStorage(40)
    const input = [piece(0), piece(2), piece(1, false), piece(4)]
    const out = await collect(pipe(fromArray(input), writePieces(storage, { pieceLength: 8 })))
    expect(out.map((p) => p.index).sort()).toEqual([0, 1, 2, 4])
    expect(storage.writes.map((w) => w.offset)).toEqual([0, 16, 32])
    expect(storage.writes[0]?.chunks).toBe(input[0]?.blocks)
    expect(storage.data.subarray(16, 24)).toEqual(content(8, 2))
    expect(storage.data.subarray(8, 16)).toEqual(new Uint8Array(8)) // the failed piece is not written
  })

  it('passes failed pieces through without writing them', async () => {
    const storage = new FakeStorage(16)
    const out = await collect(pipe(fromArray([piece(1, false)]), writePieces(storage, { pieceLength: 8 })))
    expect(out.map((p) => p.ok)).toEqual([false])
    expect(storage.writes).toEqual([])
  })

  it('stops pulling when highWaterMark writes are pending, resumes as they resolve', async () => {
    const storage = new GatedStorage()
    const { pulls, source } = counting()
    const it = writePieces(storage, { pieceLength: 8, highWaterMark: 3 })(source)[Symbol.asyncIterator]()
    const first = it.next()
    await settle()
    expect(pulls()).toBe(3)
    expect(storage.gates).toHaveLength(3)
    await settle()
    expect(pulls()).toBe(3) // still: nothing resolved

    // Completion order, not source order: piece 1 finishes first.
    storage.gates[1]?.resolve()
    expect((await first).value?.index).toBe(1)
    // A free slot: the next pull of the consumer pulls the source once more, then waits again.
    const second = it.next()
    await settle()
    expect(pulls()).toBe(4)
    expect(storage.gates).toHaveLength(4)
    expect(storage.gates.map((g) => g.offset)).toEqual([0, 8, 16, 24])
    storage.gates[3]?.resolve()
    expect((await second).value?.index).toBe(3)
    for (const g of storage.gates) g.resolve()
    await it.return?.()
  })

  it('yields pieces that are ready while the source is idle', async () => {
    const storage = new GatedStorage()
    let release: (() => void) | undefined
    const source = (async function * () {
      yield piece(0)
      await new Promise<void>((resolve) => { release = resolve })
      yield piece(1)
    })()
    const it = writePieces(storage, { pieceLength: 8 })(source)[Symbol.asyncIterator]()
    const first = it.next()
    await settle()
    storage.gates[0]?.resolve()
    expect((await first).value?.index).toBe(0)
    release?.()
    const second = it.next()
    await settle()
    storage.gates[1]?.resolve()
    expect((await second).value?.index).toBe(1)
    expect((await it.next()).done).toBe(true)
  })

  it('fails with the storage error', async () => {
    const storage = new GatedStorage()
    const out = collect(pipe(fromArray([piece(0), piece(1)]), writePieces(storage, { pieceLength: 8 })))
    await settle()
    storage.gates[0]?.reject(new StorageError('no-space', 'disk full'))
    storage.gates[1]?.resolve()
    await expect(out).rejects.toSatisfy((e: unknown) => e instanceof StorageError && e.code === 'no-space')
  })

  it('fails with the source error and returns the source when the consumer stops', async () => {
    const failing = (async function * () { yield piece(0); throw new StorageError('boom', 'source failed') })()
    await expect(collect(pipe(failing, writePieces(new FakeStorage(16), { pieceLength: 8 })))).rejects.toThrow('source failed')

    let finished = false
    const endless = (async function * () { try { for (let i = 0; ; i++) yield piece(i % 4) } finally { finished = true } })()
    for await (const p of writePieces(new FakeStorage(32), { pieceLength: 8 })(endless)) { if (p.index === 2) break }
    await settle()
    expect(finished).toBe(true)
  })
})
