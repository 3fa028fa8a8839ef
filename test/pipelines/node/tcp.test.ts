import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { TimeoutError } from '../../../lib/errors.js'
import type { Duplex, Listener } from '../../../lib/transport/types.js'
import { LeasedBytes } from '../../../lib/transport/leased-bytes.js'
import { describeSocketError, SINK_HIGH_WATER, socketDuplex, tcpTransport, TransportError } from '../../../pipelines/node/tcp.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const c of cleanups.splice(0)) await c()
})

/** Listen on loopback; resolves the listener and a promise of the first accepted connection. */
async function server (): Promise<{ listener: Listener, accepted: Promise<Duplex> }> {
  let accept!: (d: Duplex) => void
  const accepted = new Promise<Duplex>(resolve => { accept = resolve })
  const listener = await tcpTransport().listen({ host: '127.0.0.1', port: 0 }, accept)
  cleanups.push(async () => { await listener.close() })
  return { listener, accepted }
}

/** A raw `net` socket connected to {@link server}, and our duplex over it; the server's side is `accepted`. */
async function rawClient (): Promise<{ socket: Socket, client: Duplex, accepted: Promise<Duplex> }> {
  const { listener, accepted } = await server()
  const socket = connect({ host: '127.0.0.1', port: listener.address.port })
  await new Promise<void>(resolve => socket.once('connect', resolve))
  cleanups.push(() => { socket.destroy() })
  return { socket, client: socketDuplex(socket), accepted }
}

async function collect (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const c of source) parts.push(c)
  return Buffer.concat(parts)
}

async function * from (...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield * chunks
}

describe('tcpTransport', () => {
  it('listens on port 0 and reports the real address', async () => {
    const { listener } = await server()
    expect(listener.address.host).toBe('127.0.0.1')
    expect(listener.address.port).toBeGreaterThan(0)
  })

  it('carries bytes both ways and ends each side when its sink source ends', async () => {
    const { listener, accepted } = await server()
    const client = await tcpTransport().dial(listener.address)
    expect(client.remote).toEqual(listener.address)
    const conn = await accepted
    expect(conn.remote?.host).toBe('127.0.0.1')
    // The server echoes what it reads; when the client's sink ends, the echo ends, then the client's source ends.
    const echo = conn.sink(conn.source)
    const sent = Buffer.from('hello, peer')
    const [, back] = await Promise.all([client.sink(from(sent.subarray(0, 5), sent.subarray(5))), collect(client.source)])
    await echo
    expect(back).toEqual(sent)
  })

  it('rejects a dial to a closed port with TransportError connect-failed', async () => {
    const { listener } = await server()
    const port = listener.address.port
    await listener.close()
    const e = await tcpTransport().dial({ host: '127.0.0.1', port }).catch((err: unknown) => err)
    expect(e).toBeInstanceOf(TransportError)
    expect(e).toMatchObject({ code: 'connect-failed', disposition: 'disconnect' })
  })

  it('times out a dial with TimeoutError connect-timeout', async () => {
    const { listener } = await server()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const p = tcpTransport({ connectTimeoutMs: 50 }).dial(listener.address)
    // The connect callback needs an event-loop turn; the timer fires first, synchronously.
    vi.advanceTimersByTime(50)
    const e = await p.catch((err: unknown) => err)
    expect(e).toBeInstanceOf(TimeoutError)
    expect(e).toMatchObject({ code: 'connect-timeout' })
  })

  it('rejects a dial with the abort reason', async () => {
    const { listener } = await server()
    const ac = new AbortController()
    ac.abort(new Error('stop'))
    await expect(tcpTransport().dial(listener.address, { signal: ac.signal })).rejects.toThrow('stop')
    const ac2 = new AbortController()
    const p = tcpTransport().dial(listener.address, { signal: ac2.signal })
    ac2.abort(new Error('later'))
    await expect(p).rejects.toThrow('later')
  })

  it('refuses to listen on a port in use with a typed error', async () => {
    const { listener } = await server()
    await expect(tcpTransport().listen({ host: '127.0.0.1', port: listener.address.port }, () => {})).rejects.toMatchObject({ name: 'TransportError', code: 'listen-failed' })
  })

  it('close() ends a pending read and makes the sink reject', async () => {
    const { listener, accepted } = await server()
    const client = await tcpTransport().dial(listener.address)
    const conn = await accepted
    cleanups.push(() => { conn.close() })
    const reading = collect(client.source)
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const writing = client.sink((async function * () { yield new Uint8Array([1]); await gate; yield new Uint8Array([2]) })()).then(() => undefined, (e: unknown) => e)
    client.close()
    release()
    expect((await reading).length).toBe(0)
    expect(await writing).toMatchObject({ name: 'TransportError', code: 'closed' })
  })

  it('a connection reset by the peer throws a TransportError from the source, not an unhandled error', async () => {
    const { createServer } = await import('node:net')
    const srv = createServer(s => { s.once('data', () => { s.resetAndDestroy() }) })
    await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => { srv.close() })
    const addr = srv.address() as { port: number }
    const client = await tcpTransport().dial({ host: '127.0.0.1', port: addr.port })
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const writing = client.sink((async function * () { yield new Uint8Array([1]); await gate; yield new Uint8Array(1) })()).then(() => undefined, (e: unknown) => e)
    const e = await collect(client.source).then(() => undefined, (err: unknown) => err)
    expect(e).toBeInstanceOf(TransportError)
    expect(e).toMatchObject({ code: 'socket-error', details: { errno: 'ECONNRESET' } })
    release()
    expect(await writing).toBeInstanceOf(TransportError)
  })

  it('waits for drain when the reader is slow: never pulls the next chunk while SINK_HIGH_WATER bytes wait in the socket', async () => {
    const { socket, client, accepted } = await rawClient()
    const conn = await accepted

    let full = false
    let blockedAt = -1
    let onBlocked!: () => void
    const blocked = new Promise<void>(resolve => { onBlocked = resolve })
    const write = socket.write.bind(socket) as (chunk: Uint8Array, cb?: () => void) => boolean
    socket.write = ((chunk: Uint8Array, cb?: () => void) => {
      const ok = write(chunk, cb)
      if (socket.writableLength >= SINK_HIGH_WATER) { full = true; onBlocked() }
      return ok
    }) as typeof socket.write
    socket.on('drain', () => { full = false })

    const chunk = 64 * 1024
    const total = 256
    let pulled = 0
    let violations = 0
    const source = (async function * () {
      for (let i = 0; i < total; i++) {
        if (full) violations++
        pulled++
        if (pulled > 1 && blockedAt < 0 && full) blockedAt = pulled
        const c = new Uint8Array(chunk)
        c.fill(i % 256)
        yield c
      }
    })()
    const writing = client.sink(source)
    await blocked
    blockedAt = pulled
    // The writer is stuck with the reader not reading: it has not consumed its whole input.
    expect(blockedAt).toBeLessThan(total)
    let got = 0
    let wrong = 0
    for await (const c of conn.source) {
      for (let i = 0; i < c.length; i++) if (c[i] !== Math.floor((got + i) / chunk) % 256) wrong++
      got += c.length
    }
    await writing
    expect(violations).toBe(0)
    expect(got).toBe(chunk * total)
    expect(wrong).toBe(0)
  })
})

describe('socket errors in words', () => {
  it('names the error without the address Node puts in its message', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.2:45599'), { code: 'ECONNREFUSED' })
    expect(describeSocketError(refused)).toBe('connection refused (ECONNREFUSED)')
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
    expect(describeSocketError(reset)).toBe('connection reset by the peer (ECONNRESET)')
    expect(describeSocketError(new Error('something else'))).toBe('something else')
  })

  it('writes the chunks one turn of the event loop gives it as one writev, and releases leased chunks once written', async () => {
    const { socket, client, accepted } = await rawClient()
    const conn = await accepted
    const calls = { write: 0, writev: 0, chunksInWritev: 0 }
    const s = socket as unknown as { _write: (...a: unknown[]) => void, _writev: (chunks: unknown[], cb: unknown) => void }
    const origWrite = s._write.bind(socket)
    const origWritev = s._writev.bind(socket)
    s._write = (...a: unknown[]) => { calls.write++; origWrite(...a) }
    s._writev = (chunks: unknown[], cb: unknown) => { calls.writev++; calls.chunksInWritev += chunks.length; origWritev(chunks, cb) }

    // A piece header and its block, 16 times over, produced without waiting (as an upload from cached pieces is).
    let released = 0
    const block = new Uint8Array(16 * 1024 * 16)
    for (let i = 0; i < block.length; i++) block[i] = i % 251
    const source = (async function * () {
      for (let i = 0; i < 16; i++) {
        yield new Uint8Array([0, 0, 0, 9, 7, 0, 0, 0, i])
        yield new LeasedBytes(block.buffer, i * 16384, 16384, () => { released++ })
      }
    })()
    const reading = (async () => {
      let got = 0
      for await (const c of conn.source) got += c.length
      return got
    })()
    await client.sink(source)
    expect(await reading).toBe(16 * (9 + 16384))
    expect(released).toBe(16)
    // 32 chunks, and at most a few system calls for them: not one write per chunk.
    expect(calls.writev).toBeGreaterThan(0)
    expect(calls.chunksInWritev).toBeGreaterThanOrEqual(16)
    expect(calls.write + calls.writev).toBeLessThan(8)
  })

  it('releases every leased chunk it handed to the socket when the connection is closed with data still queued', async () => {
    const { socket, client, accepted } = await rawClient()
    await accepted // never read: the socket's buffers fill up
    let written = 0
    let released = 0
    const write = socket.write.bind(socket) as (chunk: Uint8Array, cb?: () => void) => boolean
    socket.write = ((chunk: Uint8Array, cb?: () => void) => { written++; return write(chunk, cb) }) as typeof socket.write
    const memory = new Uint8Array(64 * 1024)
    const source = (async function * () {
      for (;;) yield new LeasedBytes(memory.buffer, 0, memory.length, () => { released++ })
    })()
    const writing = client.sink(source).catch((e: unknown) => e)
    // The kernel's buffers are full and the sink waits for drain with chunks queued in Node.
    while (socket.writableLength < SINK_HIGH_WATER) await new Promise(resolve => setImmediate(resolve))
    expect(released).toBeLessThan(written)
    client.close()
    expect(await writing).toBeInstanceOf(Error)
    await new Promise(resolve => setImmediate(resolve))
    expect(written).toBeGreaterThan(0)
    expect(released).toBe(written)
  })
})
