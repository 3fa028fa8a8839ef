import { describe, expect, it } from 'vitest'
import { pipe } from 'it-pipe'
import { Bitfield } from '../../lib/pieces/bitfield.js'
import { geometryOf } from '../../lib/pieces/geometry.js'
import { PeerSession, type PeerEvent } from '../../lib/peer/peer-session.js'
import type { Message } from '../../lib/wire/types.js'
import { demuxMessageBatches, demuxMessages } from '../../operators/demux-messages.js'
import type { BlockIn } from '../../operators/assemble-pieces.js'
import { collect, fromArray } from '../lib/pieces/helpers.js'

const K16 = 16 * 1024
const geometry = geometryOf({ length: 4 * 2 * K16, pieceLength: 2 * K16 })

function setup (): { session: PeerSession, batches: Message[][], wanted: Set<string> } {
  const session = new PeerSession({ geometry, fast: false, extended: false, ourHave: new Bitfield(geometry.pieceCount) })
  session.handle({ type: 'unchoke' }, 0)
  // Our requests: blocks 0 and 1 of piece 0, block 0 of piece 1.
  session.request([{ index: 0, begin: 0, length: K16 }, { index: 0, begin: K16, length: K16 }, { index: 1, begin: 0, length: K16 }], 0)
  session.drainOutgoing()
  const block = (index: number, begin: number): Message => ({ type: 'piece', index, begin, block: new Uint8Array(K16).fill(index + 1) })
  const batches: Message[][] = [
    [{ type: 'have', index: 2 }, block(0, 0)],
    [{ type: 'have', index: 3 }],
    [block(0, K16), block(1, 0), block(2, 0)] // the last one was never requested
  ]
  // The torrent still wants every block but 1:0 (another peer delivered it first).
  return { session, batches, wanted: new Set(['0:0', `0:${K16}`]) }
}

describe('demuxMessageBatches', () => {
  it('yields the wanted blocks of each batch as one array and hands every other event over, in wire order', async () => {
    const { session, batches, wanted } = setup()
    const events: PeerEvent[] = []
    let onBatch = 0
    const out = await collect(pipe(fromArray(batches), demuxMessageBatches('p', session, {
      now: () => 0,
      onEvent: (e) => { events.push(e) },
      acceptBlock: (index, begin) => wanted.has(`${index}:${begin}`),
      onBatch: () => { onBatch++ }
    })))
    expect(out.map((batch) => batch.map((b) => [b.index, b.begin]))).toEqual([[[0, 0]], [[0, K16]]])
    expect(out[1]?.[0]?.block[0]).toBe(1)
    expect(onBatch).toBe(3)
    expect(events.map((e) => e.type)).toEqual(['have', 'have', 'unwanted-block', 'unwanted-block'])
    expect(events.filter((e): e is Extract<PeerEvent, { type: 'unwanted-block' }> => e.type === 'unwanted-block').map((e) => [e.index, e.begin])).toEqual([[1, 0], [2, 0]])
  })

  it('demuxMessages yields the same blocks one by one', async () => {
    const { session, batches, wanted } = setup()
    const out: BlockIn[] = await collect(pipe(fromArray(batches), demuxMessages('p', session, {
      now: () => 0, onEvent: () => {}, acceptBlock: (index, begin) => wanted.has(`${index}:${begin}`)
    })))
    expect(out.map((b) => [b.peer, b.index, b.begin])).toEqual([['p', 0, 0], ['p', 0, K16]])
  })
})
