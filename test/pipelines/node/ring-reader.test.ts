import { connect, createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { Duplex } from '../../../lib/transport/types.js'
import { RingReader } from '../../../pipelines/node/ring-reader.js'
import { tcpTransport, TransportError } from '../../../pipelines/node/tcp.js'
import { makeData as bytes } from '../swarm-helpers.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})


/** Event-loop turns, to let socket I/O happen (no wall-clock wait). */
async function turns (n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => { setImmediate(resolve) })
}

/** A raw loopback server; `sockets` resolves the accepted sockets in order. */
async function rawServer (onSocket: (s: Socket) => void): Promise<{ server: Server, port: number }> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {})
    cleanups.push(() => { s.destroy() })
    onSocket(s)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => { await new Promise<void>((resolve) => { server.close(() => { resolve() }) }) })
  return { server, port: (server.address() as { port: number }).port }
}

async function dial (port: number, ringReads?: boolean): Promise<Duplex> {
  const d = await tcpTransport({ ringReads: ringReads ?? true }).dial({ host: '127.0.0.1', port })
  cleanups.push(() => { d.close() })
  return d
}

interface Received { readonly data: Uint8Array, readonly buffers: Set<ArrayBufferLike>, readonly chunks: number }

/** Read everything, copying each chunk before pulling the next; optionally idle a few turns between pulls. */
async function receive (source: AsyncIterable<Uint8Array>, total: number, slow = 0): Promise<Received> {
  const data = new Uint8Array(total)
  const buffers = new Set<ArrayBufferLike>()
  let at = 0
  let chunks = 0
  for await (const chunk of source) {
    buffers.add(chunk.buffer)
    if (at + chunk.length > total) throw new Error(`more bytes than sent: ${at + chunk.length}`)
    data.set(chunk, at)
    at += chunk.length
    chunks++
    if (slow > 0) await turns(slow)
  }
  expect(at).toBe(total)
  return { data, buffers, chunks }
}

describe('tcpTransport with ring reads', () => {
  it('a dialed connection is borrowed and receives several MiB exactly, in order', async () => {
    const payload = bytes(6 * 1024 * 1024 + 123, 1)
    const { port } = await rawServer((s) => { s.end(payload) })
    const client = await dial(port)
    expect(client.borrowedChunks).toBe(true)
    const got = await receive(client.source, payload.length)
    expect(Buffer.compare(got.data, payload)).toBe(0)
    expect(got.chunks).toBeGreaterThan(1)
    // Reads go into a small ring of reused buffers, not a fresh one per read.
    expect(got.buffers.size).toBeLessThanOrEqual(4 + 2)
    expect(got.chunks).toBeGreaterThan(got.buffers.size)
  })

  it('a slow consumer sees at most readAhead + 2 distinct buffers, and every byte', async () => {
    const payload = bytes(3 * 1024 * 1024 + 7, 2)
    const { port } = await rawServer((s) => {
      // Write in 64 KiB pieces, honouring backpressure.
      let at = 0
      const pump = (): void => {
        while (at < payload.length) {
          const next = payload.subarray(at, at + 65536)
          at += next.length
          if (!s.write(next)) { s.once('drain', pump); return }
        }
        s.end()
      }
      pump()
    })
    const client = await dial(port)
    const got = await receive(client.source, payload.length, 3)
    expect(Buffer.compare(got.data, payload)).toBe(0)
    // Unbounded read-ahead would need a fresh buffer per queued read; the
    // ring stays at readAhead + 2, so the socket was paused meanwhile. (The
    // sender's write() is no witness here: loopback socket buffers can take
    // tens of MiB.)
    expect(got.buffers.size).toBeLessThanOrEqual(4 + 2)
    expect(got.chunks).toBeGreaterThan(6)
  })

  it('the iteration ends when the peer ends, even with nothing sent', async () => {
    const { port } = await rawServer((s) => { s.end() })
    const client = await dial(port)
    const got = await receive(client.source, 0)
    expect(got.chunks).toBe(0)
  })

  it('a chunk of data then the FIN: the data, then the end', async () => {
    const { port } = await rawServer((s) => { s.end(Buffer.from('hello')) })
    const client = await dial(port)
    const got = await receive(client.source, 5)
    expect(Buffer.from(got.data).toString()).toBe('hello')
  })

  it('a reset by the peer ends the iteration with a TransportError', async () => {
    const first = bytes(1000, 3)
    const { port } = await rawServer((s) => {
      s.write(first, () => { s.once('data', () => { s.resetAndDestroy() }) })
    })
    const client = await dial(port)
    const it = client.source[Symbol.asyncIterator]()
    let seen = 0
    while (seen < first.length) {
      const r = await it.next()
      expect(r.done).toBe(false)
      seen += (r.value as Uint8Array).length
    }
    expect(seen).toBe(first.length)
    // Poke the server so it resets.
    const writing = client.sink((async function * () { yield new Uint8Array([1]) })()).catch(() => {})
    const e = await it.next().then(() => undefined, (err: unknown) => err)
    expect(e).toBeInstanceOf(TransportError)
    expect(e).toMatchObject({ code: 'socket-error', disposition: 'disconnect', details: { errno: 'ECONNRESET' } })
    await writing
  })

  it('accepted connections are not borrowed and may be kept', async () => {
    let accept!: (d: Duplex) => void
    const accepted = new Promise<Duplex>((resolve) => { accept = resolve })
    const listener = await tcpTransport().listen({ host: '127.0.0.1', port: 0 }, accept)
    cleanups.push(async () => { await listener.close() })
    const payload = bytes(512 * 1024, 4)
    const socket = connect({ host: '127.0.0.1', port: listener.address.port })
    socket.on('error', () => {})
    cleanups.push(() => { socket.destroy() })
    socket.end(payload)
    const conn = await accepted
    cleanups.push(() => { conn.close() })
    expect(conn.borrowedChunks).not.toBe(true)
    // Kept chunks stay valid: concatenating them at the end gives the payload.
    const kept: Uint8Array[] = []
    for await (const c of conn.source) kept.push(c)
    expect(Buffer.compare(Buffer.concat(kept), payload)).toBe(0)
  })

  it('a transport without options does not borrow: ring reads are opted into', async () => {
    const payload = bytes(256 * 1024, 6)
    const { port } = await rawServer((s) => { s.end(payload) })
    const client = await tcpTransport().dial({ host: '127.0.0.1', port })
    expect(client.borrowedChunks).not.toBe(true)
    const kept: Uint8Array[] = []
    for await (const c of client.source) kept.push(c)
    expect(Buffer.compare(Buffer.concat(kept), payload)).toBe(0)
  })

  it('ringReads: false gives ordinary chunks that may be kept', async () => {
    const payload = bytes(1024 * 1024, 5)
    const { port } = await rawServer((s) => { s.end(payload) })
    const client = await dial(port, false)
    expect(client.borrowedChunks).not.toBe(true)
    const kept: Uint8Array[] = []
    for await (const c of client.source) kept.push(c)
    expect(Buffer.compare(Buffer.concat(kept), payload)).toBe(0)
  })
  // Duplex.close documents "pending reads end": chunks the ring had read
  // ahead are discarded, as they are without ring reads.
  it('after close() the source yields nothing more, like a connection without ring reads', async () => {
    const payload = bytes(1024 * 1024, 8)
    let flushed!: () => void
    const written = new Promise<void>((resolve) => { flushed = resolve })
    const { port } = await rawServer((s) => { s.write(payload, () => { flushed() }) })
    const client = await dial(port)
    const it = client.source[Symbol.asyncIterator]()
    const first = await it.next()
    expect(first.done).toBe(false)
    // Let the ring read ahead and pause.
    await written
    await turns(30)
    client.close()
    let after = 0
    while (true) {
      const r = await it.next()
      if (r.done === true) break
      after += r.value.length
    }
    expect(after).toBe(0)
  })

  it('without ring reads, close() ends the source at once (the reference behaviour)', async () => {
    const payload = bytes(1024 * 1024, 8)
    let flushed!: () => void
    const written = new Promise<void>((resolve) => { flushed = resolve })
    const { port } = await rawServer((s) => { s.write(payload, () => { flushed() }) })
    const client = await dial(port, false)
    const it = client.source[Symbol.asyncIterator]()
    expect((await it.next()).done).toBe(false)
    await written
    await turns(30)
    client.close()
    expect(await it.next()).toEqual({ done: true, value: undefined })
  })
})

describe('RingReader', () => {
  it('pauses the socket after readAhead unread chunks and resumes as they are pulled', async () => {
    const chunkBytes = 4096
    const readAhead = 3
    const payload = bytes(512 * 1024, 6)
    const { port } = await rawServer((s) => { s.end(payload) })
    const ring = new RingReader({ chunkBytes, readAhead })
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true, onread: ring.onread })
    socket.on('error', (e) => { ring.fail(e) })
    cleanups.push(() => { socket.destroy() })
    ring.attach(socket)
    await new Promise<void>((resolve) => socket.once('connect', resolve))

    // Nothing is pulled yet: the socket reads readAhead chunks and stops.
    for (let i = 0; i < 200 && socket.bytesRead < readAhead * chunkBytes; i++) await turns(1)
    expect(socket.bytesRead).toBe(readAhead * chunkBytes)
    await turns(50)
    expect(socket.bytesRead).toBe(readAhead * chunkBytes)

    const it = ring[Symbol.asyncIterator]()
    const got = new Uint8Array(payload.length)
    let at = 0
    const buffers = new Set<ArrayBufferLike>()
    const first = await it.next()
    expect(first.done).toBe(false)
    got.set(first.value as Uint8Array, at)
    at += (first.value as Uint8Array).length
    buffers.add((first.value as Uint8Array).buffer)
    // One pulled: reading resumed and stops again after at most one more chunk.
    await turns(50)
    expect(socket.bytesRead).toBeLessThanOrEqual((readAhead + 1) * chunkBytes)
    expect(socket.bytesRead).toBeGreaterThan(readAhead * chunkBytes)

    while (true) {
      const r = await it.next()
      if (r.done === true) break
      expect(r.value.length).toBeLessThanOrEqual(chunkBytes)
      buffers.add(r.value.buffer)
      got.set(r.value, at)
      at += r.value.length
      // The chunk counted as read ahead is bounded at every step.
      expect(socket.bytesRead - at).toBeLessThanOrEqual(readAhead * chunkBytes)
    }
    expect(at).toBe(payload.length)
    expect(Buffer.compare(got, payload)).toBe(0)
    expect(buffers.size).toBeLessThanOrEqual(readAhead + 2)
  })

  it('fail(err) ends the iteration with that error once queued chunks are pulled', async () => {
    const ring = new RingReader({ chunkBytes: 16 })
    const { callback, buffer } = ring.onread
    const b = buffer()
    b.set([1, 2, 3])
    expect(callback(3, b)).toBe(true)
    const boom = new Error('gone')
    ring.fail(boom)
    ring.fail(new Error('second error is ignored'))
    const it = ring[Symbol.asyncIterator]()
    const r = await it.next()
    expect(Array.from(r.value as Uint8Array)).toEqual([1, 2, 3])
    await expect(it.next()).rejects.toBe(boom)
  })

  it('recycles a pulled chunk\'s buffer for a later read; return() ends the iteration', async () => {
    const ring = new RingReader({ chunkBytes: 8, readAhead: 2 })
    const { callback, buffer } = ring.onread
    const a = buffer()
    expect(a.length).toBe(8)
    a.fill(9)
    callback(5, a)
    const it = ring[Symbol.asyncIterator]()
    const r = await it.next()
    expect((r.value as Uint8Array).buffer).toBe(a.buffer)
    expect((r.value as Uint8Array).length).toBe(5)
    const b = buffer()
    expect(b.buffer).not.toBe(a.buffer)
    callback(8, b)
    const r2 = await it.next()
    expect((r2.value as Uint8Array).buffer).toBe(b.buffer)
    // The first chunk was released by that pull: its memory takes the next read.
    const c = buffer()
    expect(c.buffer).toBe(a.buffer)
    expect(c.length).toBe(8)
    expect(await it.return?.()).toEqual({ done: true, value: undefined })
    expect(await it.next()).toEqual({ done: true, value: undefined })
  })
})
