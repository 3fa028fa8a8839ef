import { createServer, type Server } from 'node:http'
import { lastValueFrom } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTorrent } from '../../lib/metainfo/create-torrent.js'
import { parseTorrent } from '../../lib/metainfo/parse-torrent.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import { download } from '../../pipelines/download.js'
import { nodeHasher, sha1 } from '../../pipelines/node/hasher.js'
import type { TorrentWarning } from '../../pipelines/types.js'
import { makeData } from './swarm-helpers.js'

/** Serves `files` (path → bytes) with Range support; `corrupt` flips a byte in every answer. */
function rangeServer (files: Map<string, Uint8Array>, state: { corrupt: boolean, requests: number }): Server {
  return createServer((req, res) => {
    state.requests++
    const body = files.get(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname))
    if (body === undefined) { res.statusCode = 404; res.end(); return }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '')
    const start = m === null ? 0 : Number(m[1])
    const end = m === null ? body.length - 1 : Math.min(Number(m[2]), body.length - 1)
    const slice = Buffer.from(body.subarray(start, end + 1))
    if (state.corrupt && slice.length > 0) slice[0] = (slice[0] as number) ^ 0xff
    res.statusCode = m === null ? 200 : 206
    if (m !== null) res.setHeader('Content-Range', `bytes ${start}-${end}/${body.length}`)
    res.setHeader('Content-Length', slice.length)
    res.end(slice)
  })
}

describe('BEP 19 web seeds in the download pipeline', () => {
  const data = makeData(9 * 32768 + 500, 61)
  const split = 100000
  const files = new Map([['/seeds/album/a.bin', data.subarray(0, split)], ['/seeds/album/b.bin', data.subarray(split)]])
  const good = { corrupt: false, requests: 0 }
  const bad = { corrupt: true, requests: 0 }
  let goodServer: Server
  let badServer: Server
  let goodUrl = ''
  let badUrl = ''

  beforeAll(async () => {
    goodServer = rangeServer(files, good)
    badServer = rangeServer(files, bad)
    await new Promise<void>((r) => goodServer.listen(0, '127.0.0.1', r))
    await new Promise<void>((r) => badServer.listen(0, '127.0.0.1', r))
    goodUrl = `http://127.0.0.1:${(goodServer.address() as { port: number }).port}/seeds/`
    badUrl = `http://127.0.0.1:${(badServer.address() as { port: number }).port}/seeds/`
  })
  afterAll(() => { goodServer.close(); badServer.close() })

  function torrentWith (urls: string[]): ReturnType<typeof parseTorrent> {
    const hashes = new Uint8Array(Math.ceil(data.length / 32768) * 20)
    for (let i = 0; i * 32768 < data.length; i++) hashes.set(sha1(data.subarray(i * 32768, (i + 1) * 32768)), i * 20)
    return parseTorrent(createTorrent({ name: 'album', multiFile: true, files: [{ path: ['a.bin'], length: split }, { path: ['b.bin'], length: data.length - split }], pieceLength: 32768, pieceHashes: hashes, webSeeds: urls }), { sha1 })
  }

  it('downloads a multi-file torrent from its url-list alone, verified piece by piece', async () => {
    const torrent = torrentWith([goodUrl])
    const out = new MemoryStorage(data.length)
    const last = await lastValueFrom(download(torrent, { out: '', storage: out, hasher: nodeHasher, trackers: false }))
    expect(last.piecesVerified).toBe(torrent.pieceCount)
    expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
    expect(good.requests).toBeGreaterThan(0)
  })

  it('a web seed serving corrupt data fails its pieces; nothing unverified is kept and a good one completes the download', async () => {
    const torrent = torrentWith([badUrl, goodUrl])
    const out = new MemoryStorage(data.length)
    const warnings: TorrentWarning[] = []
    const last = await lastValueFrom(download(torrent, { out: '', storage: out, hasher: nodeHasher, trackers: false, onWarning: (w) => warnings.push(w) }))
    expect(last.piecesVerified).toBe(torrent.pieceCount)
    expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
    expect(last.hashFailures).toBeGreaterThan(0)
    expect(warnings.some((w) => /failed its hash/.test(w.message))).toBe(true)
  })
})
