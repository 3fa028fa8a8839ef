import { pushable } from 'it-pushable'
import { VirtualTimeScheduler } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { HandshakeError, TimeoutError } from '../../lib/errors.js'
import type { Duplex } from '../../lib/transport/types.js'
import { encodeHandshake } from '../../lib/wire/handshake.js'
import { encodeMessage } from '../../lib/wire/encode-message.js'
import { makeReserved } from '../../lib/wire/reserved.js'
import type { Message } from '../../lib/wire/types.js'
import { decodeFrames } from '../../operators/decode-frames.js'
import { handshake, readHandshake } from '../../operators/handshake.js'
import { memoryDuplexPair } from '../../operators/memory-transport.js'

const infoHash = new Uint8Array(20).fill(0xaa)
const otherHash = new Uint8Array(20).fill(0xbb)
const idA = new Uint8Array(20).fill(1)
const idB = new Uint8Array(20).fill(2)

/** A connection view for `handshake`: reads the duplex, writes through a pushable into its sink. */
function conn (d: Duplex): { source: AsyncIterable<Uint8Array>, write: (b: Uint8Array) => void, written: Uint8Array[] } {
  const out = pushable<Uint8Array>()
  const written: Uint8Array[] = []
  void d.sink(out).catch(() => {})
  return { source: d.source, write: (b) => { written.push(b); out.push(b) }, written }
}

async function * chunks (...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p
}

/** A source that never yields. */
function silent (): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => ({ next: async () => await new Promise<IteratorResult<Uint8Array>>(() => {}) }) }
}

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

async function rejection (p: Promise<unknown>): Promise<unknown> {
  try { await p } catch (err) { return err }
  throw new Error('expected a rejection')
}

describe('handshake over memoryDuplexPair', () => {
  it('completes in both roles, with capabilities from both reserved fields', async () => {
    const [a, b] = memoryDuplexPair()
    const [ra, rb] = await Promise.all([
      handshake(conn(a), { role: 'initiator', infoHash, peerId: idA, reserved: makeReserved({ fast: true, extended: true }) }),
      handshake(conn(b), { role: 'responder', infoHash: (ih) => ih.every((x) => x === 0xaa), peerId: idB, reserved: makeReserved({ fast: true }) })
    ])
    expect(ra.remote.peerId).toEqual(idB)
    expect(rb.remote.peerId).toEqual(idA)
    expect(rb.remote.infoHash).toEqual(infoHash)
    expect(ra.capabilities).toEqual({ fast: true, extended: false, dht: false })
    expect(rb.capabilities).toEqual({ fast: true, extended: false, dht: false })
    a.close()
  })

  it('C29: a responder refuses an info-hash it does not serve, and never answers', async () => {
    const [a, b] = memoryDuplexPair()
    const cb = conn(b)
    const initiator = handshake(conn(a), { role: 'initiator', infoHash: otherHash, peerId: idA, reserved: makeReserved() })
    const err = await rejection(handshake(cb, { role: 'responder', infoHash, peerId: idB, reserved: makeReserved() }))
    expect(err).toBeInstanceOf(HandshakeError)
    expect(err).toMatchObject({ code: 'unknown-info-hash', disposition: 'disconnect' })
    expect(cb.written).toEqual([])
    a.close()
    await expect(initiator).rejects.toMatchObject({ code: 'truncated-handshake' })
  })

  it('C29: an initiator refuses an answer for another info-hash', async () => {
    const answer = encodeHandshake({ reserved: makeReserved(), infoHash: otherHash, peerId: idB })
    const err = await rejection(handshake({ source: chunks(answer), write: () => {} }, { role: 'initiator', infoHash, peerId: idA, reserved: makeReserved() }))
    expect(err).toMatchObject({ name: 'HandshakeError', code: 'unknown-info-hash' })
  })

  it('C29: pstrlen ≠ 19 fails on the first byte', async () => {
    const bad = encodeHandshake({ reserved: makeReserved(), infoHash, peerId: idB })
    bad[0] = 18
    let pulled = 0
    async function * source (): AsyncGenerator<Uint8Array> {
      pulled++
      yield bad.subarray(0, 1)
      pulled++
      yield bad.subarray(1)
    }
    const err = await rejection(handshake({ source: source(), write: () => {} }, { role: 'responder', infoHash, peerId: idA, reserved: makeReserved() }))
    expect(err).toMatchObject({ name: 'HandshakeError', code: 'bad-protocol', disposition: 'disconnect' })
    expect(pulled).toBe(1)
  })

  it('refuses a connection to ourselves', async () => {
    const [a, b] = memoryDuplexPair()
    const both = await Promise.allSettled([
      handshake(conn(a), { role: 'initiator', infoHash, peerId: idA, reserved: makeReserved() }),
      handshake(conn(b), { role: 'responder', infoHash, peerId: idA, reserved: makeReserved() })
    ])
    for (const r of both) {
      expect(r.status).toBe('rejected')
      expect(r.status === 'rejected' && r.reason).toMatchObject({ code: 'self-connection' })
    }
    a.close()
  })

  it('hands off the bytes read ahead: the first messages arrive in the same chunk as the handshake', async () => {
    const first: Message[] = [{ type: 'have-all' }, { type: 'interested' }]
    const hs = encodeHandshake({ reserved: makeReserved({ fast: true }), infoHash, peerId: idB })
    const later: Message = { type: 'unchoke' }
    const source = chunks(concat([hs, ...first.map(encodeMessage)]), encodeMessage(later))
    const result = await handshake({ source, write: () => {} }, { role: 'initiator', infoHash, peerId: idA, reserved: makeReserved({ fast: true }) })
    const got: Message[] = []
    for await (const batch of decodeFrames()(result.source)) got.push(...batch)
    expect(got).toEqual([...first, later])
  })

  it('reads the handshake whatever the chunking, split at every byte', async () => {
    const hs = encodeHandshake({ reserved: makeReserved(), infoHash, peerId: idB })
    const tail = encodeMessage({ type: 'have', index: 1 })
    const all = concat([hs, tail])
    for (let k = 1; k < all.length; k++) {
      const { handshake: h, rest } = await readHandshake(chunks(all.subarray(0, k), all.subarray(k)))
      expect(h.peerId).toEqual(idB)
      const after: number[] = []
      for await (const c of rest) after.push(...c)
      expect(after, `split at ${k}`).toEqual([...tail])
    }
  })

  it('readHandshake asks about the info-hash before the peer id has arrived', async () => {
    const hs = encodeHandshake({ reserved: makeReserved(), infoHash, peerId: idB })
    let seenAt = -1
    let delivered = 0
    async function * source (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < hs.length; i += 4) { delivered = i + 4; yield hs.subarray(i, i + 4) }
    }
    await readHandshake(source(), { onInfoHash: (ih) => { seenAt = delivered; expect(ih).toEqual(infoHash); return true } })
    expect(seenAt).toBe(48)
  })

  it('fails with truncated-handshake when the connection ends early', async () => {
    const hs = encodeHandshake({ reserved: makeReserved(), infoHash, peerId: idB })
    await expect(readHandshake(chunks(hs.subarray(0, 30)))).rejects.toMatchObject({ code: 'truncated-handshake' })
  })

  it('C40: a peer that never answers times out after timeoutMs of virtual time', async () => {
    const scheduler = new VirtualTimeScheduler()
    let settled: unknown
    const p = handshake({ source: silent(), write: () => {} }, { role: 'initiator', infoHash, peerId: idA, reserved: makeReserved(), timeoutMs: 10_000, scheduler })
    p.catch((err: unknown) => { settled = err })
    scheduler.maxFrames = 9_999
    scheduler.flush()
    await Promise.resolve()
    await Promise.resolve()
    expect(settled).toBeUndefined()
    scheduler.maxFrames = Infinity
    scheduler.flush()
    const err = await rejection(p)
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err).toMatchObject({ code: 'handshake-timeout', disposition: 'disconnect' })
  })

  it('the default timeout is LIMITS.handshakeTimeoutMs (10 s)', async () => {
    const scheduler = new VirtualTimeScheduler()
    const p = handshake({ source: silent(), write: () => {} }, { role: 'responder', infoHash, peerId: idA, reserved: makeReserved(), scheduler })
    scheduler.flush()
    await expect(p).rejects.toMatchObject({ code: 'handshake-timeout', details: { timeoutMs: 10_000 } })
  })

  it('aborting the signal rejects with its reason', async () => {
    const controller = new AbortController()
    const p = handshake({ source: silent(), write: () => {} }, { role: 'responder', infoHash, peerId: idA, reserved: makeReserved(), signal: controller.signal, scheduler: new VirtualTimeScheduler() })
    const reason = new Error('stop')
    controller.abort(reason)
    await expect(p).rejects.toBe(reason)
  })
})
