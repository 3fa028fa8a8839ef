import { request, type IncomingHttpHeaders } from 'node:http'
import { Subject } from 'rxjs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseMagnet } from '../../lib/magnet/parse-magnet.js'
import type { Magnet } from '../../lib/magnet/types.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { sequentialPicker } from '../../lib/pieces/sequential-picker.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork, type MemoryNetwork } from '../../operators/memory-network.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { seed } from '../../pipelines/seed.js'
import { contentTypeOf, largestFile, parseByteRange, streamTorrent, type StreamOptions } from '../../pipelines/stream.js'
import type { TorrentRuntime } from '../../pipelines/torrent-runtime.js'
import type { FoundPeer } from '../../pipelines/types.js'
import { filledStorage, makeData, makeTorrent } from './swarm-helpers.js'

const cleanups: Array<() => void> = []
afterEach(() => { while (cleanups.length > 0) cleanups.pop()?.() })

const PIECE = 16384
const DATA = makeData(10 * PIECE + 777, 21)

interface Reply { status: number, headers: IncomingHttpHeaders, body: Buffer }

/** One HTTP request on loopback; resolves with the whole response. */
async function fetchUrl (url: string, options: { method?: string, range?: string } = {}): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.range === undefined ? {} : { Range: options.range } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

async function startSeed (net: MemoryNetwork, host: string, torrent: Torrent, data: Uint8Array): Promise<PeerAddress> {
  let resolve!: (a: PeerAddress) => void
  const listening = new Promise<PeerAddress>((r) => { resolve = r })
  const sub = seed(torrent, { data: '/unused', storage: await filledStorage(data), transport: net.transport(host), port: 0, hasher: nodeHasher, onListening: resolve, trackers: false }).subscribe({ error: () => {} })
  cleanups.push(() => { sub.unsubscribe() })
  return await listening
}

/** Run `streamTorrent` and resolve with its URL once the HTTP server listens. */
async function startStream (input: Torrent | Magnet, options: Omit<StreamOptions, 'out'>): Promise<{ url: string, errors: unknown[] }> {
  let resolve!: (url: string) => void
  const listening = new Promise<string>((r) => { resolve = r })
  const errors: unknown[] = []
  const sub = streamTorrent(input, { out: '/unused', hasher: nodeHasher, trackers: false, httpPort: 0, httpHost: '127.0.0.1', onHttp: resolve, ...options })
    .subscribe({ error: (e: unknown) => { errors.push(e) } })
  cleanups.push(() => { sub.unsubscribe() })
  return { url: await listening, errors }
}

const slice = (start: number, end: number): Buffer => Buffer.from(DATA.subarray(start, end))

describe('streamTorrent over a memory network, served on loopback HTTP', () => {
  it('serves the whole file, a middle range, a suffix, an open range, a piece boundary, HEAD and 416', async () => {
    const torrent = makeTorrent(DATA, PIECE)
    const net = memoryNetwork()
    const addr = await startSeed(net, 'seed', torrent, DATA)
    const { url } = await startStream(torrent, { storage: new MemoryStorage(DATA.length), transport: net.transport('leech'), peers: [addr] })
    const size = DATA.length

    const whole = await fetchUrl(url)
    expect(whole.status).toBe(200)
    expect(whole.headers['accept-ranges']).toBe('bytes')
    expect(whole.headers['content-length']).toBe(String(size))
    expect(whole.headers['content-type']).toBe('application/octet-stream')
    expect(whole.body.equals(slice(0, size))).toBe(true)

    const middle = await fetchUrl(url, { range: 'bytes=20000-50000' })
    expect(middle.status).toBe(206)
    expect(middle.headers['content-range']).toBe(`bytes 20000-50000/${size}`)
    expect(middle.headers['content-length']).toBe('30001')
    expect(middle.body.equals(slice(20000, 50001))).toBe(true)

    const boundary = await fetchUrl(url, { range: `bytes=${PIECE - 10}-${PIECE + 9}` })
    expect(boundary.status).toBe(206)
    expect(boundary.body.equals(slice(PIECE - 10, PIECE + 10))).toBe(true)

    const suffix = await fetchUrl(url, { range: 'bytes=-1000' })
    expect(suffix.status).toBe(206)
    expect(suffix.headers['content-range']).toBe(`bytes ${size - 1000}-${size - 1}/${size}`)
    expect(suffix.body.equals(slice(size - 1000, size))).toBe(true)

    const open = await fetchUrl(url, { range: `bytes=${size - 5}-` })
    expect(open.status).toBe(206)
    expect(open.body.equals(slice(size - 5, size))).toBe(true)

    const clamped = await fetchUrl(url, { range: `bytes=${size - 3}-${size + 100}` })
    expect(clamped.headers['content-range']).toBe(`bytes ${size - 3}-${size - 1}/${size}`)
    expect(clamped.body.equals(slice(size - 3, size))).toBe(true)

    const head = await fetchUrl(url, { method: 'HEAD', range: 'bytes=100-199' })
    expect(head.status).toBe(206)
    expect(head.headers['content-length']).toBe('100')
    expect(head.body.length).toBe(0)

    for (const range of [`bytes=${size}-`, 'bytes=9-3', 'bytes=-0', 'bytes=0-1,5-6', 'items=0-1', 'bytes=abc']) {
      const bad = await fetchUrl(url, { range })
      expect(bad.status, range).toBe(416)
      expect(bad.headers['content-range']).toBe(`bytes */${size}`)
    }

    expect((await fetchUrl(url.replace(/\/$/, '/other'))).status).toBe(404)
    expect((await fetchUrl(url, { method: 'POST' })).status).toBe(405)
  })

  it('a request made before the pieces exist waits, moves the picker to its piece, and completes once they arrive', async () => {
    const torrent = makeTorrent(DATA, PIECE)
    const net = memoryNetwork()
    const picker = sequentialPicker({ window: 2 })
    const positions: number[] = []
    let waited!: () => void
    const waiting = new Promise<void>((r) => { waited = r })
    const tracked = { ...picker, pick: picker.pick.bind(picker), setPosition: (p: number) => { positions.push(p); picker.setPosition(p); waited() } }
    const found = new Subject<FoundPeer>()
    const { url } = await startStream(torrent, {
      storage: new MemoryStorage(DATA.length), transport: net.transport('leech'), peers: [], port: 0, picker: tracked, peerSources: [found]
    })
    const reply = fetchUrl(url, { range: `bytes=${6 * PIECE + 5}-${7 * PIECE + 5}` })
    await waiting
    expect(positions[0]).toBe(6)
    const addr = await startSeed(net, 'late-seed', torrent, DATA)
    found.next({ address: addr, source: 'manual' })
    const r = await reply
    expect(r.status).toBe(206)
    expect(r.body.equals(slice(6 * PIECE + 5, 7 * PIECE + 6))).toBe(true)
  })

  it('a client that disconnects while its bytes are missing stops its reader', async () => {
    const torrent = makeTorrent(DATA, PIECE)
    const picker = sequentialPicker()
    let waited!: () => void
    const waiting = new Promise<void>((r) => { waited = r })
    const tracked = { ...picker, pick: picker.pick.bind(picker), setPosition: (p: number) => { picker.setPosition(p); waited() } }
    let rt: TorrentRuntime | undefined
    const { url } = await startStream(torrent, {
      storage: new MemoryStorage(DATA.length), transport: memoryNetwork().transport('leech'), port: 0, picker: tracked, onRuntime: (r) => { rt = r }
    })
    // The runtime exists once the server answers a HEAD.
    expect((await fetchUrl(url, { method: 'HEAD' })).status).toBe(200)
    const runtime = rt as TorrentRuntime
    const before = runtime.verified$.observers.length
    const req = request(url, { headers: { Range: 'bytes=50000-' } })
    req.on('error', () => {})
    req.end()
    await waiting
    expect(runtime.verified$.observers.length).toBe(before + 1)
    req.destroy()
    await vi.waitFor(() => { expect(runtime.verified$.observers.length).toBe(before) })
  })

  it('serves the largest file of a multi-file torrent by default, or the chosen one', async () => {
    const torrent = makeTorrent(DATA, PIECE, [40000, DATA.length - 40000])
    expect(largestFile(torrent)).toBe(1)
    const net = memoryNetwork()
    const addr = await startSeed(net, 'seed', torrent, DATA)
    const dflt = await startStream(torrent, { storage: new MemoryStorage(DATA.length), transport: net.transport('a'), peers: [addr] })
    const r1 = await fetchUrl(dflt.url, { range: 'bytes=0-99' })
    expect(r1.headers['content-range']).toBe(`bytes 0-99/${DATA.length - 40000}`)
    expect(r1.body.equals(slice(40000, 40100))).toBe(true)
    const first = await startStream(torrent, { storage: new MemoryStorage(DATA.length), transport: net.transport('b'), peers: [addr], fileIndex: 0 })
    const r2 = await fetchUrl(first.url)
    expect(r2.body.equals(slice(0, 40000))).toBe(true)
  })

  it('errors with UsageError bad-file for a file the torrent lacks', async () => {
    const torrent = makeTorrent(DATA, PIECE)
    const error = await new Promise<unknown>((resolve) => {
      streamTorrent(torrent, { out: '/unused', storage: new MemoryStorage(DATA.length), transport: memoryNetwork().transport('x'), fileIndex: 3 }).subscribe({ error: resolve })
    })
    expect(error).toMatchObject({ name: 'UsageError', code: 'bad-file' })
  })

  it('from a magnet link: a request waits for the metadata, then gets the bytes', async () => {
    const torrent = makeTorrent(DATA, PIECE)
    const net = memoryNetwork()
    const addr = await startSeed(net, 'seed', torrent, DATA)
    const magnet = parseMagnet(`magnet:?xt=urn:btih:${torrent.infoHashHex}`)
    const { url } = await startStream(magnet, { storage: new MemoryStorage(DATA.length), transport: net.transport('leech'), peers: [addr] })
    const r = await fetchUrl(url, { range: 'bytes=-300' })
    expect(r.status).toBe(206)
    expect(r.body.equals(slice(DATA.length - 300, DATA.length))).toBe(true)
  })

  it('answers 503 when the metadata does not arrive within the wait bound', async () => {
    const torrent = makeTorrent(DATA, PIECE)
    const net = memoryNetwork()
    // A peer that accepts connections and never says anything.
    const mute = await net.transport('mute').listen({ port: 0 }, () => {})
    cleanups.push(() => { void mute.close() })
    const magnet = parseMagnet(`magnet:?xt=urn:btih:${torrent.infoHashHex}`)
    const { url, errors } = await startStream(magnet, { transport: net.transport('leech'), peers: [mute.address], metadataWaitMs: 1 })
    const r = await fetchUrl(url)
    expect(r.status).toBe(503)
    expect(errors).toEqual([])
  })

  it('unsubscribing closes the HTTP server', async () => {
    const torrent = makeTorrent(DATA, PIECE)
    let resolve!: (url: string) => void
    const listening = new Promise<string>((r) => { resolve = r })
    const sub = streamTorrent(torrent, { out: '/unused', storage: new MemoryStorage(DATA.length), transport: memoryNetwork().transport('x'), port: 0, trackers: false, onHttp: resolve }).subscribe({ error: () => {} })
    const url = await listening
    const pending = fetchUrl(url).catch((e: unknown) => e)
    sub.unsubscribe()
    expect(await pending).toBeInstanceOf(Error)
    await expect(fetchUrl(url)).rejects.toThrow()
  })
})

describe('parseByteRange', () => {
  it('parses the three single-range forms and refuses the rest', () => {
    expect(parseByteRange(undefined, 10)).toBeUndefined()
    expect(parseByteRange('bytes=2-5', 10)).toEqual({ start: 2, end: 5 })
    expect(parseByteRange('bytes=2-', 10)).toEqual({ start: 2, end: 9 })
    expect(parseByteRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 })
    expect(parseByteRange('bytes=-30', 10)).toEqual({ start: 0, end: 9 })
    expect(parseByteRange('bytes=8-99', 10)).toEqual({ start: 8, end: 9 })
    for (const bad of ['bytes=10-', 'bytes=5-2', 'bytes=-', 'bytes=-0', 'bytes=1-2,4-5', 'bytes=x-1', 'bits=1-2', 'bytes=99999999999999999-']) {
      expect(parseByteRange(bad, 10), bad).toBe('unsatisfiable')
    }
    expect(parseByteRange('bytes=0-', 0)).toBe('unsatisfiable')
    expect(parseByteRange('bytes=-5', 0)).toBe('unsatisfiable')
  })
})

describe('contentTypeOf', () => {
  it('maps the known extensions, case-insensitively, and defaults to octet-stream', () => {
    expect(contentTypeOf('a.mp4')).toBe('video/mp4')
    expect(contentTypeOf('A.MKV')).toBe('video/x-matroska')
    expect(contentTypeOf('x.webm')).toBe('video/webm')
    expect(contentTypeOf('song.mp3')).toBe('audio/mpeg')
    expect(contentTypeOf('readme.txt')).toBe('text/plain; charset=utf-8')
    expect(contentTypeOf('noext')).toBe('application/octet-stream')
    expect(contentTypeOf('x.constructor')).toBe('application/octet-stream')
  })
})
