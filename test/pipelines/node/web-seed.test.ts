import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, sep } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encode } from '../../../lib/bencode/encode.js'
import { compareFilePaths, createTorrent } from '../../../lib/metainfo/create-torrent.js'
import { parseTorrent } from '../../../lib/metainfo/parse-torrent.js'
import type { Torrent } from '../../../lib/metainfo/types.js'
import { blockAt, blockCount, geometryOf, type BlockRef } from '../../../lib/pieces/geometry.js'
import { webSeedBlocks, type WebSeedBlock, type WebSeedOptions } from '../../../pipelines/node/web-seed.js'

const sha1 = (d: Uint8Array): Uint8Array => createHash('sha1').update(d).digest()
const BLOCK = 16 * 1024
/** No keep-alive: connections closed between tests must not be reused. */
const agent = new Agent({ keepAlive: false })
const PIECE = 2 * BLOCK

/** Deterministic content: a byte pattern that differs per file. */
function bytes (n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff
  return out
}

function hashes (stream: Uint8Array, pieceLength: number): Uint8Array {
  const n = Math.ceil(stream.length / pieceLength)
  const out = new Uint8Array(n * 20)
  for (let i = 0; i < n; i++) out.set(sha1(stream.subarray(i * pieceLength, (i + 1) * pieceLength)), i * 20)
  return out
}

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

interface Fixture { readonly torrent: Torrent, readonly stream: Uint8Array }

let root: string
let server: Server
let base: string
/** Requests seen by the server: decoded path and Range header. */
let seen: Array<{ path: string, range: string | undefined }> = []
/** Per-test hook; return true when it answered the request itself. */
let hook: ((req: IncomingMessage, res: ServerResponse, path: string) => boolean) | undefined

/** Write `data` at `rel` (components) under the served folder. */
function serve (rel: string[], data: Uint8Array): void {
  const p = join(root, ...rel)
  mkdirSync(dirname(p), { recursive: true })
  writeFileSync(p, data)
}

function singleFile (name: string, length: number): Fixture {
  const stream = bytes(length, 1)
  serve([name], stream)
  const t = createTorrent({ name, multiFile: false, files: [{ path: [], length }], pieceLength: PIECE, pieceHashes: hashes(stream, PIECE) })
  return { torrent: parseTorrent(t, { sha1 }), stream }
}

function multiFile (name: string, files: Array<{ path: string[], length: number }>): Fixture {
  const sorted = [...files].sort((a, b) => compareFilePaths(a.path, b.path))
  const datas = sorted.map((f, i) => bytes(f.length, i + 2))
  sorted.forEach((f, i) => serve([name, ...f.path], datas[i] as Uint8Array))
  const stream = concat(datas)
  const t = createTorrent({ name, multiFile: true, files: sorted, pieceLength: PIECE, pieceHashes: hashes(stream, PIECE) })
  return { torrent: parseTorrent(t, { sha1 }), stream }
}

/** A BEP 47 torrent: each file padded to a piece boundary by a `.pad` file (not on the server). */
function padded (name: string, lengths: number[]): Fixture {
  const entries: Array<Record<string, unknown>> = []
  const parts: Uint8Array[] = []
  lengths.forEach((length, i) => {
    const data = bytes(length, i + 5)
    serve([name, `f${i}.bin`], data)
    entries.push({ length, path: [`f${i}.bin`] })
    parts.push(data)
    const pad = (PIECE - (length % PIECE)) % PIECE
    if (pad > 0 && i < lengths.length - 1) {
      entries.push({ attr: 'p', length: pad, path: ['.pad', String(pad)] })
      parts.push(new Uint8Array(pad))
    }
  })
  const stream = concat(parts)
  const info = { files: entries, name, 'piece length': PIECE, pieces: hashes(stream, PIECE) } as unknown as Parameters<typeof encode>[0]
  return { torrent: parseTorrent(encode({ info } as unknown as Parameters<typeof encode>[0]), { sha1 }), stream }
}

/** Every block of the torrent, in order. */
function allBlocks (t: Torrent): BlockRef[] {
  const g = geometryOf(t)
  const out: BlockRef[] = []
  for (let i = 0; i < t.pieceCount; i++) for (let b = 0; b < blockCount(g, i); b++) out.push(blockAt(g, i, b))
  return out
}

interface Run { blocks: WebSeedBlock[], released: BlockRef[], warnings: string[], queue: BlockRef[] }

/** Drive a web seed with a queue planner that aborts once the queue is empty. */
async function run (fx: Fixture, refs: BlockRef[], options: Partial<WebSeedOptions> & { url: string }): Promise<Run> {
  const ac = new AbortController()
  const r: Run = { blocks: [], released: [], warnings: [], queue: [...refs] }
  const it = webSeedBlocks({
    torrent: fx.torrent,
    key: 'ws',
    next: (max) => {
      const got = r.queue.splice(0, max)
      if (got.length === 0) ac.abort()
      return got
    },
    release: (rs) => { r.released.push(...rs); r.queue.unshift(...rs) },
    onWarning: (m) => r.warnings.push(m),
    retryDelayMs: () => 0,
    idleDelayMs: 0,
    signal: ac.signal,
    agent,
    ...options
  })
  for await (const b of it) r.blocks.push(b)
  return r
}

function expectSource (fx: Fixture, blocks: WebSeedBlock[], count: number): void {
  expect(blocks).toHaveLength(count)
  for (const b of blocks) {
    expect(b.peer).toBe('ws')
    const at = b.index * fx.torrent.pieceLength + b.begin
    expect(Buffer.from(b.block).equals(Buffer.from(fx.stream.subarray(at, at + b.block.length)))).toBe(true)
  }
}

function fileServer (req: IncomingMessage, res: ServerResponse): void {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
  seen.push({ path, range: req.headers.range })
  if (hook?.(req, res, path) === true) return
  const file = join(root, ...path.split('/').filter((c) => c !== ''))
  if (!file.startsWith(root + sep)) { res.writeHead(403).end(); return }
  let size: number
  try { size = statSync(file).size } catch { res.writeHead(404).end(); return }
  const data = readFileSync(file)
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '')
  if (m === null) { res.writeHead(200, { 'Content-Length': size }).end(data); return }
  const a = Number(m[1])
  const b = Math.min(Number(m[2]), size - 1)
  if (a > b) { res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end(); return }
  res.writeHead(206, { 'Content-Range': `bytes ${a}-${b}/${size}`, 'Content-Length': b - a + 1 }).end(data.subarray(a, b + 1))
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'rxt-webseed-'))
  server = createServer(fileServer)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterEach(() => {
  seen = []
  hook = undefined
  server.closeAllConnections()
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  rmSync(root, { recursive: true, force: true })
})

describe('webSeedBlocks', () => {
  it('single-file torrent, base URL naming the file: one range request per piece', async () => {
    const fx = singleFile('single.bin', 3 * PIECE + 1000)
    const refs = allBlocks(fx.torrent)
    const r = await run(fx, refs, { url: `${base}/single.bin` })
    expectSource(fx, r.blocks, refs.length)
    expect(seen.map((s) => s.range)).toEqual([`bytes=0-${PIECE - 1}`, `bytes=${PIECE}-${2 * PIECE - 1}`, `bytes=${2 * PIECE}-${3 * PIECE - 1}`, `bytes=${3 * PIECE}-${3 * PIECE + 999}`])
    expect(r.released).toEqual([])
    expect(r.warnings).toEqual([])
  })

  it('single-file torrent, base URL ending in /: the name is appended, spaces and non-ASCII encoded', async () => {
    const fx = singleFile('my film é.bin', PIECE + 5)
    const refs = allBlocks(fx.torrent)
    const r = await run(fx, refs, { url: `${base}/` })
    expectSource(fx, r.blocks, refs.length)
    expect(seen.map((s) => s.path)).toEqual(['/my film é.bin', '/my film é.bin'])
  })

  it('multi-file torrent, with and without a trailing slash; a block spanning two files takes two requests', async () => {
    const fx = multiFile('Multi Ü', [{ path: ['a b.bin'], length: BLOCK + 100 }, { path: ['sub', 'ñandú 日本.bin'], length: 2 * PIECE }])
    for (const url of [`${base}/`, base]) {
      seen = []
      const refs = allBlocks(fx.torrent)
      const r = await run(fx, refs, { url, maxBlocksPerRequest: 2 })
      expectSource(fx, r.blocks, refs.length)
      expect(seen).toEqual([
        { path: '/Multi Ü/a b.bin', range: `bytes=0-${BLOCK + 99}` },
        { path: '/Multi Ü/sub/ñandú 日本.bin', range: `bytes=0-${PIECE - BLOCK - 101}` },
        { path: '/Multi Ü/sub/ñandú 日本.bin', range: `bytes=${PIECE - BLOCK - 100}-${2 * PIECE - BLOCK - 101}` },
        { path: '/Multi Ü/sub/ñandú 日本.bin', range: `bytes=${2 * PIECE - BLOCK - 100}-${2 * PIECE - 1}` }
      ])
    }
  })

  it('padding files are never requested and read as zeros', async () => {
    const fx = padded('padded', [BLOCK + 10, PIECE + 3])
    const refs = allBlocks(fx.torrent)
    const r = await run(fx, refs, { url: base })
    expectSource(fx, r.blocks, refs.length)
    expect(seen.every((s) => !s.path.includes('.pad'))).toBe(true)
    expect(seen.map((s) => [s.path, s.range])).toEqual([
      ['/padded/f0.bin', `bytes=0-${BLOCK + 9}`],
      ['/padded/f1.bin', `bytes=0-${PIECE - 1}`],
      ['/padded/f1.bin', `bytes=${PIECE}-${PIECE + 2}`]
    ])
  })

  it('accepts a 200 with exactly the whole file and slices it', async () => {
    const fx = singleFile('whole.bin', PIECE + 777)
    hook = (req, res, path) => {
      res.writeHead(200).end(readFileSync(join(root, path)))
      return true
    }
    const refs = allBlocks(fx.torrent)
    const r = await run(fx, refs, { url: `${base}/whole.bin` })
    expectSource(fx, r.blocks, refs.length)
    expect(r.warnings).toEqual([])
  })

  it('refuses a 200 whose file is over maxResponseBytes', async () => {
    const fx = singleFile('big.bin', PIECE)
    hook = (req, res, path) => { res.writeHead(200).end(readFileSync(join(root, path))); return true }
    const refs = allBlocks(fx.torrent)
    const r = await run(fx, refs, { url: `${base}/big.bin`, maxResponseBytes: PIECE - 1, maxFailures: 2 })
    expect(r.blocks).toEqual([])
    expect(r.warnings.at(-1)).toMatch(/over .*giving up/)
  })

  it('a 404 gives the web seed up at once, releasing the blocks', async () => {
    const fx = singleFile('present.bin', PIECE)
    const refs = allBlocks(fx.torrent)
    const r = await run(fx, refs, { url: `${base}/missing.bin` })
    expect(r.blocks).toEqual([])
    expect(seen).toHaveLength(1)
    expect(r.released).toEqual(refs)
    expect(r.warnings).toHaveLength(1)
    expect(r.warnings[0]).toMatch(/HTTP 404.*giving up/)
  })

  it('a body longer than asked is cut off, retried, then given up after maxFailures', async () => {
    const fx = singleFile('long.bin', PIECE)
    hook = (req, res) => {
      res.writeHead(206, { 'Content-Range': `bytes 0-${PIECE - 1}/${PIECE}` })
      res.end(new Uint8Array(PIECE + 1))
      return true
    }
    const delays: number[] = []
    const refs = allBlocks(fx.torrent)
    const r = await run(fx, refs, { url: `${base}/long.bin`, maxFailures: 3, retryDelayMs: (n) => { delays.push(n); return 0 } })
    expect(r.blocks).toEqual([])
    expect(seen).toHaveLength(3)
    expect(delays).toEqual([1, 2])
    expect(r.released).toHaveLength(3 * refs.length)
    expect(r.warnings).toHaveLength(3)
    expect(r.warnings[2]).toMatch(/longer.*giving up after 3/)
  })

  it('a short body and a wrong Content-Range are failures too', async () => {
    const fx = singleFile('short.bin', PIECE)
    let n = 0
    hook = (req, res) => {
      n++
      if (n === 1) res.writeHead(206, { 'Content-Range': `bytes 0-${PIECE - 1}/${PIECE}` }).end(new Uint8Array(10))
      else if (n === 2) res.writeHead(206, { 'Content-Range': `bytes 1-${PIECE}/${PIECE + 1}` }).end(new Uint8Array(PIECE))
      else return false
      return true
    }
    const refs = allBlocks(fx.torrent)
    const r = await run(fx, refs, { url: `${base}/short.bin` })
    expectSource(fx, r.blocks, refs.length)
    expect(r.warnings.map((w) => /short|body of|Content-Range/.test(w))).toEqual([true, true])
  })

  it('a 500 is retried and then succeeds', async () => {
    const fx = singleFile('flaky.bin', PIECE)
    let n = 0
    hook = (req, res) => { if (n++ > 0) return false; res.writeHead(500).end(); return true }
    const refs = allBlocks(fx.torrent)
    const r = await run(fx, refs, { url: `${base}/flaky.bin` })
    expectSource(fx, r.blocks, refs.length)
    expect(r.released).toEqual(refs)
    expect(r.warnings).toHaveLength(1)
    expect(r.warnings[0]).toMatch(/HTTP 500 .*; retrying/)
  })

  it('a server that hangs times out and the request is retried', async () => {
    const fx = singleFile('slow.bin', PIECE)
    let n = 0
    hook = () => n++ === 0 // the first request is never answered
    const refs = allBlocks(fx.torrent)
    const r = await run(fx, refs, { url: `${base}/slow.bin`, timeoutMs: 150 })
    expectSource(fx, r.blocks, refs.length)
    expect(r.warnings[0]).toMatch(/within 150 ms .*; retrying/)
  })

  it('abort during a hanging request ends the iterable without error and releases the blocks', async () => {
    const fx = singleFile('hang.bin', PIECE)
    const ac = new AbortController()
    hook = () => { ac.abort(); return true }
    const released: BlockRef[] = []
    const refs = allBlocks(fx.torrent)
    const got: WebSeedBlock[] = []
    for await (const b of webSeedBlocks({ url: `${base}/hang.bin`, torrent: fx.torrent, key: 'ws', next: (max) => refs.slice(0, max), release: (rs) => released.push(...rs), signal: ac.signal, agent })) got.push(b)
    expect(got).toEqual([])
    expect(released).toEqual(refs)
  })

  it('abort while idle (next gave nothing) ends the iterable', async () => {
    const fx = singleFile('idle.bin', PIECE)
    const ac = new AbortController()
    let asked = 0
    const it = webSeedBlocks({ url: `${base}/idle.bin`, torrent: fx.torrent, key: 'ws', next: () => { if (++asked === 2) ac.abort(); return [] }, release: () => {}, idleDelayMs: 1, signal: ac.signal })
    const got: WebSeedBlock[] = []
    for await (const b of it) got.push(b)
    expect(got).toEqual([])
    expect(asked).toBe(2)
    expect(seen).toEqual([])
  })

  it('fetches only when pulled, and releases blocks not taken when the consumer stops', async () => {
    const fx = singleFile('pull.bin', 2 * PIECE)
    const refs = allBlocks(fx.torrent)
    const queue = [...refs]
    const released: BlockRef[] = []
    const it = webSeedBlocks({ url: `${base}/pull.bin`, torrent: fx.torrent, key: 'ws', next: (max) => queue.splice(0, max), release: (rs) => released.push(...rs), agent })
    expect(seen).toEqual([])
    const first = await it.next()
    expect(first.done).toBe(false)
    expect(seen).toHaveLength(1)
    await it.return(undefined)
    expect(seen).toHaveLength(1)
    expect(released).toEqual([refs[1]])
    expect(queue).toEqual(refs.slice(2))
  })

  it('an unsupported scheme gives up with a warning', async () => {
    const fx = singleFile('ftp.bin', PIECE)
    const r = await run(fx, allBlocks(fx.torrent), { url: 'ftp://127.0.0.1/ftp.bin' })
    expect(r.blocks).toEqual([])
    expect(r.warnings[0]).toMatch(/unsupported scheme.*giving up/)
  })

  it('throws UsageError for invalid options', async () => {
    const fx = singleFile('opt.bin', PIECE)
    const it = webSeedBlocks({ url: base, torrent: fx.torrent, key: 'ws', next: () => [], release: () => {}, timeoutMs: 0 })
    await expect(it.next()).rejects.toMatchObject({ name: 'UsageError', code: 'bad-option' })
  })
})
