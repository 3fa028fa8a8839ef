import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../../lib/errors.js'
import { encodeMessage } from '../../lib/wire/encode-message.js'
import type { Message } from '../../lib/wire/types.js'
import { decodeFrames } from '../../operators/decode-frames.js'

const messages: Message[] = [
  { type: 'keep-alive' },
  { type: 'have-all' },
  { type: 'have', index: 7 },
  { type: 'request', index: 1, begin: 16384, length: 16384 },
  { type: 'piece', index: 1, begin: 0, block: Uint8Array.from([1, 2, 3, 4, 5]) },
  { type: 'unchoke' }
]
const stream = concat(messages.map(encodeMessage))

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

async function * chunks (...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p
}

async function decodeAll (source: AsyncIterable<Uint8Array>, maxMessageLength?: number): Promise<Message[][]> {
  const out: Message[][] = []
  for await (const batch of decodeFrames(maxMessageLength === undefined ? {} : { maxMessageLength })(source)) out.push(batch)
  return out
}

describe('decodeFrames', () => {
  it('yields every message of a chunk as one array (one await per chunk)', async () => {
    expect(await decodeAll(chunks(stream))).toEqual([messages])
  })

  it('gives the same messages however the input is split in two, at every split point', async () => {
    for (let k = 0; k <= stream.length; k++) {
      const batches = await decodeAll(chunks(stream.subarray(0, k), stream.subarray(k)))
      expect(batches.flat(), `split at ${k}`).toEqual(messages)
      expect(batches.every((b) => b.length > 0)).toBe(true)
    }
  })

  it('gives the same messages fed one byte at a time', async () => {
    const bytes = Array.from(stream, (_, i) => stream.subarray(i, i + 1))
    const batches = await decodeAll(chunks(...bytes))
    expect(batches.flat()).toEqual(messages)
    expect(batches).toHaveLength(messages.length)
  })

  it('C30: a huge length prefix fails at the prefix, before any body arrives', async () => {
    const prefix = Uint8Array.from([0xff, 0xff, 0xff, 0xf0])
    let pulledAfter = 0
    async function * trickle (): AsyncGenerator<Uint8Array> {
      yield prefix
      for (let i = 0; i < 100; i++) { pulledAfter++; yield Uint8Array.from([0]) }
    }
    await expect(decodeAll(trickle())).rejects.toBeInstanceOf(ProtocolError)
    expect(pulledAfter).toBe(0)
  })

  it('honours a smaller maxMessageLength', async () => {
    const piece = encodeMessage({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(100) })
    await expect(decodeAll(chunks(piece), 50)).rejects.toMatchObject({ disposition: 'disconnect' })
  })

  it('ends quietly when the source ends mid-frame, after yielding the complete ones', async () => {
    expect(await decodeAll(chunks(stream.subarray(0, stream.length - 1)))).toEqual([messages.slice(0, -1)])
  })
})
