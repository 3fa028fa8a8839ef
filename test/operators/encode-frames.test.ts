import { describe, expect, it } from 'vitest'
import { encodeMessage, encodePieceHeader } from '../../lib/wire/encode-message.js'
import { FrameDecoder } from '../../lib/wire/frame-decoder.js'
import type { Message } from '../../lib/wire/types.js'
import { encodeFrames } from '../../operators/encode-frames.js'
import type { Outbound } from '../../operators/encode-frames.js'

async function encodeAll (items: Array<Outbound | Outbound[]>, coalesceBytes?: number): Promise<Uint8Array[]> {
  async function * source (): AsyncGenerator<Outbound | Outbound[]> { for (const i of items) yield i }
  const out: Uint8Array[] = []
  for await (const c of encodeFrames(coalesceBytes === undefined ? {} : { coalesceBytes })(source())) out.push(c)
  return out
}

describe('encodeFrames', () => {
  it('joins consecutive messages of a batch into one chunk', async () => {
    const batch: Message[] = [{ type: 'choke' }, { type: 'interested' }, { type: 'have', index: 3 }]
    const out = await encodeAll([batch])
    expect(out).toHaveLength(1)
    expect(new FrameDecoder().push(out[0]!)).toEqual(batch)
  })

  it('passes pre-encoded chunks (piece header, block view) through untouched', async () => {
    const block = new Uint8Array(16384).fill(7)
    const header = encodePieceHeader(2, 0, block.length)
    const out = await encodeAll([[{ type: 'have', index: 1 }, { type: 'unchoke' }, header, block, { type: 'have', index: 2 }]])
    expect(out).toHaveLength(4)
    expect(out[1]).toBe(header)
    expect(out[2]).toBe(block)
    const decoded = new FrameDecoder().push(concat(out))
    expect(decoded.map((m) => m.type)).toEqual(['have', 'unchoke', 'piece', 'have'])
  })

  it('accepts single frames as well as batches, one chunk each', async () => {
    const out = await encodeAll([{ type: 'keep-alive' }, [{ type: 'choke' }]])
    expect(out).toEqual([encodeMessage({ type: 'keep-alive' }), encodeMessage({ type: 'choke' })])
  })

  it('starts a new chunk when joining would pass coalesceBytes', async () => {
    const batch: Message[] = Array.from({ length: 10 }, (_, i) => ({ type: 'have', index: i }))
    const out = await encodeAll([batch], 27)
    expect(out.map((c) => c.length)).toEqual([27, 27, 27, 9])
    expect(new FrameDecoder().push(concat(out))).toEqual(batch)
  })
})

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}
