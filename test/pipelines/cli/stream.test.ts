import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTorrent } from '../../../lib/metainfo/create-torrent.js'
import { main } from '../../../pipelines/cli/main.js'
import { STREAM_USAGE } from '../../../pipelines/cli/usage.js'
import { makeData, sha1 } from '../swarm-helpers.js'
import { fakeIo } from './fake-io.js'

const PIECE = 16384
const DATA = makeData(3 * PIECE + 100, 9)
let dir: string
let torrentPath: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxtorrent-stream-cli-'))
  const hashes = new Uint8Array(4 * 20)
  for (let i = 0; i < 4; i++) hashes.set(sha1(DATA.subarray(i * PIECE, (i + 1) * PIECE)), i * 20)
  torrentPath = join(dir, 'movie.torrent')
  await writeFile(torrentPath, createTorrent({ name: 'movie.mp4', multiFile: false, files: [{ path: ['movie.mp4'], length: DATA.length }], pieceLength: PIECE, pieceHashes: hashes }))
})
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

async function httpGet (url: string, range: string): Promise<{ status: number, type: string | undefined, body: Buffer }> {
  return await new Promise((resolve, reject) => {
    get(url, { headers: { Range: range } }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks) }) })
    }).on('error', reject)
  })
}

describe('rxtorrent stream', () => {
  it('--help prints the usage and exits 0', async () => {
    const io = fakeIo()
    expect(await main(['stream', '--help'], io)).toBe(0)
    expect(io.out()).toBe(STREAM_USAGE)
    const viaHelp = fakeIo()
    expect(await main(['help', 'stream'], viaHelp)).toBe(0)
    expect(viaHelp.out()).toContain('--http-port')
  })

  it.each([
    [['stream'], /missing a \.torrent file or magnet link/],
    [['stream', 'x.torrent', '--bogus'], /bogus/],
    [['stream', 'x.torrent', '--quiet', '--json'], /cannot be combined/],
    [['stream', 'x.torrent', '--file', 'two'], /bad --file 'two'/],
    [['stream', 'x.torrent', '--file', '-1'], /./],
    [['stream', 'x.torrent', '--http-port', '70000'], /bad --port '70000'/],
    [['stream', 'x.torrent', '--peer', 'nope'], /bad --peer 'nope'/],
    [['stream', 'x.torrent', '--out', ''], /--out needs a directory/],
    [['stream', 'x.torrent', '--download-limit', 'fast'], /--download-limit/],
    [['stream', 'x.torrent', '--upload-limit', '-3'], /--upload-limit/]
  ])('%j exits 2 with a reason', async (argv, reason) => {
    const io = fakeIo()
    expect(await main(argv, io)).toBe(2)
    expect(io.err()).toMatch(/^rxtorrent: /)
    expect(io.err()).toMatch(reason)
    // With --json the error is also one JSON record on stdout.
    if (argv.includes('--json')) expect(JSON.parse(io.out())).toMatchObject({ type: 'error', code: 'bad-args' })
    else expect(io.out()).toBe('')
  })

  it('a --file the torrent lacks exits 2 before anything runs', async () => {
    const io = fakeIo()
    expect(await main(['stream', torrentPath, '--file', '1', '--out', join(dir, 'unused')], io)).toBe(2)
    expect(io.err()).toMatch(/no file 1 in a torrent of 1 files/)
    expect(io.out()).toBe('')
  })

  it('serves data already on disk, prints its URL, and exits 0 on SIGINT', async () => {
    const out = join(dir, 'out')
    await mkdir(out, { recursive: true })
    await writeFile(join(out, 'movie.mp4'), DATA)
    const io = fakeIo()
    const run = main(['stream', torrentPath, '--out', out, '--http-host', '127.0.0.1', '--http-port', '0', '--quiet'], io)
    const [, url] = await io.waitForStdout(/stream: (http:\/\/127\.0\.0\.1:\d+\/)\n/) as [string, string]
    const r = await httpGet(url, `bytes=${PIECE - 50}-${PIECE + 49}`)
    expect(r.status).toBe(206)
    expect(r.type).toBe('video/mp4')
    expect(r.body.equals(Buffer.from(DATA.subarray(PIECE - 50, PIECE + 50)))).toBe(true)
    expect(io.raise('SIGINT')).toBe(true)
    expect(await run).toBe(0)
    await expect(httpGet(url, 'bytes=0-1')).rejects.toThrow()
  })

  it('takes the peer options of download: --port and --host to listen, rate limits', async () => {
    const out = join(dir, 'out-limits')
    await mkdir(out, { recursive: true })
    await writeFile(join(out, 'movie.mp4'), DATA)
    const io = fakeIo()
    const run = main(['stream', torrentPath, '--out', out, '--http-port', '0', '--port', '0', '--host', '127.0.0.1', '--download-limit', '2M', '--upload-limit', '500k', '--quiet'], io)
    const [, url] = await io.waitForStdout(/stream: (http:\/\/127\.0\.0\.1:\d+\/)\n/) as [string, string]
    const r = await httpGet(url, 'bytes=0-99')
    expect(r.status).toBe(206)
    expect(r.body.equals(Buffer.from(DATA.subarray(0, 100)))).toBe(true)
    expect(io.raise('SIGINT')).toBe(true)
    expect(await run).toBe(0)
  })

  it('--json prints the URL as a stream record', async () => {
    const out = join(dir, 'json-out')
    await mkdir(out, { recursive: true })
    await writeFile(join(out, 'movie.mp4'), DATA)
    const io = fakeIo()
    const run = main(['stream', torrentPath, '--out', out, '--json'], io)
    const [line] = await io.waitForStdout(/\{"type":"stream"[^\n]*\n/) as [string]
    expect(JSON.parse(line)).toMatchObject({ type: 'stream', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/) as unknown })
    io.raise('SIGTERM')
    expect(await run).toBe(0)
  })
})
