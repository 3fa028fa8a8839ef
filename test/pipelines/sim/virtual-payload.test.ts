import { describe, expect, it } from 'vitest'
import { pieceHash } from '../../../lib/metainfo/types.js'
import { nodeHasher, sha1 } from '../../../pipelines/node/hasher.js'
import { SharedDataStorage } from '../../../pipelines/sim/shared-data-storage.js'
import { simTorrent } from '../../../pipelines/sim/sim-torrent.js'
import { TAG_BLOCK, TAG_BYTES, VirtualPayload } from '../../../pipelines/sim/virtual-payload.js'
import { AccessLink, pacedDuplexPair } from '../../../operators/paced-link.js'
import { VirtualClock } from '../../../operators/virtual-clock.js'

const PIECE = 4 * TAG_BLOCK

async function payload (): Promise<VirtualPayload> {
  const { torrent, data } = await simTorrent({ length: 3 * PIECE + 20000, pieceLength: PIECE }, 5, nodeHasher)
  return new VirtualPayload(torrent, data, 77)
}

/** A piece's bytes as a receiver holds them: each block's tag, the rest garbage. */
function hollow (v: VirtualPayload, index: number, length = PIECE): Uint8Array {
  const out = new Uint8Array(length).fill(0xee)
  for (let b = 0; b < length; b += TAG_BLOCK) out.set(v.data.subarray(index * PIECE + b, index * PIECE + b + Math.min(TAG_BYTES, length - b)), b)
  return out
}

describe('VirtualPayload', () => {
  it("hashes a piece whose blocks carry their tags in order to the torrent's hash of it, however chunked; anything else to its real SHA-1", async () => {
    const v = await payload()
    const { torrent } = await simTorrent({ length: 3 * PIECE + 20000, pieceLength: PIECE }, 5, nodeHasher)
    const p1 = hollow(v, 1)
    expect(v.hasher.sha1([p1])).toEqual(pieceHash(torrent, 1))
    expect(v.hasher.sha1([p1.subarray(0, 5), p1.subarray(5, 20000), p1.subarray(20000)])).toEqual(pieceHash(torrent, 1))
    // The short last piece, its last block shorter than a block.
    expect(v.hasher.sha1([hollow(v, 3, 20000)])).toEqual(pieceHash(torrent, 3))
    // Two blocks swapped, a block of another piece, a piece cut short: not the piece.
    const swapped = p1.slice()
    swapped.set(p1.subarray(0, TAG_BYTES), TAG_BLOCK)
    swapped.set(p1.subarray(TAG_BLOCK, TAG_BLOCK + TAG_BYTES), 0)
    expect(v.hasher.sha1([swapped])).toEqual(sha1(swapped))
    const mixed = p1.slice()
    mixed.set(hollow(v, 2).subarray(TAG_BLOCK, TAG_BLOCK + TAG_BYTES), TAG_BLOCK)
    expect(v.hasher.sha1([mixed])).not.toEqual(pieceHash(torrent, 1))
    expect(v.hasher.sha1([p1.subarray(0, PIECE - 1)])).not.toEqual(pieceHash(torrent, 1))
    // Not a piece at all (the engine's BEP 6 digest): real SHA-1.
    const small = new Uint8Array([1, 2, 3])
    expect(v.hasher.sha1([small])).toEqual(sha1(small))
  })

  it('lets a storage hold a piece written with its tags as canonical, and one with a wrong tag as a private copy', async () => {
    const v = await payload()
    const s = new SharedDataStorage(v.data, { pieceLength: PIECE, same: v.same })
    await s.write(PIECE, [hollow(v, 1)])
    // Canonical: reads are views of the shared (tagged) data.
    expect((await s.read(PIECE, 100)).buffer).toBe(v.data.buffer)
    const wrong = hollow(v, 2)
    wrong[TAG_BLOCK + 2] = (wrong[TAG_BLOCK + 2] as number) ^ 1
    await s.write(2 * PIECE, [wrong])
    expect(s.piecesHeld).toBe(2)
    expect((await s.read(2 * PIECE, 100)).buffer).not.toBe(v.data.buffer)
    expect(v.carried(v.data.subarray(PIECE, PIECE + TAG_BLOCK))).toBe(TAG_BYTES)
    expect(v.carried(new Uint8Array(TAG_BLOCK))).toBe(TAG_BLOCK)
  })

  it('refuses a piece length that is not a multiple of 16 KiB', async () => {
    const { torrent, data } = await simTorrent({ length: 3 * PIECE, pieceLength: PIECE }, 5, nodeHasher)
    expect(() => new VirtualPayload({ ...torrent, pieceLength: 1000 }, data, 1)).toThrow(expect.objectContaining({ code: 'bad-sim-torrent' }))
  })
})

describe('pacedDuplexPair with carried', () => {
  it('copies only the leading bytes a chunk is said to carry, charges its whole length and keeps later bytes in place', async () => {
    const clock = new VirtualClock()
    const block = new Uint8Array(1000).fill(7)
    const [a, b] = pacedDuplexPair(new AccessLink({ uploadRate: 100_000 }), new AccessLink(), {
      scheduler: clock,
      carried: (c) => c === block ? 4 : c.length
    })
    expect(b.borrowedChunks).toBe(true)
    const reads: Uint8Array[] = []
    const reading = (async () => { for await (const c of b.source) reads.push(c.slice()) })()
    const writing = a.sink((async function * () { yield Uint8Array.of(1, 2, 3); yield block; yield Uint8Array.of(9) })())
    await clock.run({ forMs: 1000, settle: async () => await new Promise((resolve) => { setImmediate(resolve) }), until: () => false })
    a.close()
    await writing.catch(() => {})
    await reading
    const all = new Uint8Array(reads.reduce((n, r) => n + r.length, 0))
    let at = 0
    for (const r of reads) { all.set(r, at); at += r.length }
    expect(all.length).toBe(1004)
    expect([...all.subarray(0, 7)]).toEqual([1, 2, 3, 7, 7, 7, 7])
    expect(all[3 + 4]).not.toBe(7)
    expect(all[1003]).toBe(9)
    // 1004 bytes at 100 kB/s: the last arrives after about 10 ms.
    expect(clock.now()).toBeGreaterThanOrEqual(10)
  })
})
