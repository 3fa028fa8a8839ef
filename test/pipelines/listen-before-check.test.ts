import { createServer, connect, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import { seed } from '../../pipelines/seed.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { tcpTransport } from '../../pipelines/node/tcp.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { makeData, makeTorrent } from './swarm-helpers.js'

/**
 * A seed binds its port before it checks its data: a port in use fails
 * before any piece is read, and a peer that connects while the check runs
 * finds the port open and is closed (nothing to offer yet).
 */
const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()?.() })

/** A memory storage whose reads wait until `release()`, counting them. */
class GatedStorage extends MemoryStorage {
  reads = 0
  #open!: () => void
  readonly #gate = new Promise<void>((resolve) => { this.#open = resolve })
  release (): void { this.#open() }
  override async read (offset: number, length: number): Promise<Uint8Array> {
    this.reads++
    await this.#gate
    return await super.read(offset, length)
  }
}

function freePort (): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => { resolve(port) })
    })
  })
}

/** Connects and resolves 'closed' when the seed ends the connection, 'refused' when nothing listens. */
function probe (port: number): Promise<'closed' | 'refused'> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.on('error', (e: NodeJS.ErrnoException) => { resolve(e.code === 'ECONNREFUSED' ? 'refused' : 'closed') })
    socket.on('close', () => { resolve('closed') })
    socket.resume()
  })
}

describe('a seed binds its port before it checks its data', () => {
  it('a port in use fails before any piece is read', async () => {
    const data = makeData(8 * 16384, 5)
    const torrent = makeTorrent(data, 16384)
    const taken: Server = await new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { resolve(s) }) })
    cleanups.push(() => new Promise<void>((resolve) => { taken.close(() => { resolve() }) }))
    const port = (taken.address() as { port: number }).port
    const storage = new GatedStorage(data.length)
    await storage.write(0, [data])
    cleanups.push(() => { storage.release() })
    const error = await new Promise<unknown>((resolve) => {
      const sub = seed(torrent, { data: '/unused', storage, transport: tcpTransport(), host: '127.0.0.1', port, hasher: nodeHasher, trackers: false }).subscribe({ error: resolve })
      cleanups.push(() => { sub.unsubscribe() })
    })
    expect(error).toMatchObject({ name: 'TransportError', code: 'listen-failed' })
    expect(storage.reads).toBe(0)
  })

  it('a peer connecting during the check finds the port bound and is closed; after the check the seed listens', async () => {
    const data = makeData(8 * 16384, 6)
    const torrent = makeTorrent(data, 16384)
    const port = await freePort()
    const storage = new GatedStorage(data.length)
    await storage.write(0, [data])
    let listening: PeerAddress | undefined
    const sub = seed(torrent, { data: '/unused', storage, transport: tcpTransport(), host: '127.0.0.1', port, hasher: nodeHasher, trackers: false, onListening: (a) => { listening = a } }).subscribe({ error: () => {} })
    cleanups.push(() => { sub.unsubscribe() })
    cleanups.push(() => { storage.release() })
    // The check has started (a read is waiting) but not finished.
    while (storage.reads === 0) await new Promise((resolve) => setImmediate(resolve))
    expect(await probe(port)).toBe('closed')
    expect(listening).toBeUndefined()
    storage.release()
    while (listening === undefined) await new Promise((resolve) => setImmediate(resolve))
    expect(listening.port).toBe(port)
  })
})
