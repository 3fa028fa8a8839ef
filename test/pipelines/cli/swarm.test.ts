import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../pipelines/cli/main.js'
import { fakeIo } from './fake-io.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-cli-swarm-'))
const torrent = join(root, 'album.torrent')
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

beforeAll(async () => {
  const album = join(root, 'data', 'album')
  mkdirSync(join(album, 'sub'), { recursive: true })
  const a = new Uint8Array(200_000)
  for (let i = 0; i < a.length; i++) a[i] = (i * 31 + 7) % 251
  writeFileSync(join(album, 'sub', 'a.bin'), a)
  writeFileSync(join(album, 'b.txt'), 'hello '.repeat(5000))
  writeFileSync(join(album, 'zero'), '')
  expect(await main(['create', album, '-o', torrent, '--piece-length', '32768'], fakeIo())).toBe(0)
})

// The first test loads (and transforms) the whole pipeline on first use: allow for it.
describe('rxtorrent seed and download on loopback', { timeout: 30_000 }, () => {
  it('downloads from an in-process seed, then both stop cleanly', async () => {
    const seedIo = fakeIo()
    const seeding = main(['seed', torrent, '--data', join(root, 'data'), '--port', '0', '--host', '127.0.0.1'], seedIo)
    const [, port] = await seedIo.waitForStdout(/on 127\.0\.0\.1:(\d+)/)
    expect(seedIo.out()).toMatch(/^verified 8\/8 pieces/m)

    // Once with the default writes (direct where the file system allows), once through the page cache.
    for (const [name, flags] of [['out', []], ['out-cached', ['--no-direct-io']]] as const) {
      const out = join(root, name)
      const io = fakeIo()
      const dl = main(['download', torrent, '--out', out, '--peer', `127.0.0.1:${port ?? ''}`, '--json', ...flags], io)
      const code = await dl
      expect(io.err()).toBe('')
      expect(code).toBe(0)
      const last = JSON.parse(io.out().trimEnd().split('\n').at(-1) ?? '{}') as { type?: string }
      expect(last.type).toBe('done')
      for (const f of ['sub/a.bin', 'b.txt', 'zero']) {
        expect(readFileSync(join(out, 'album', f))).toEqual(readFileSync(join(root, 'data', 'album', f)))
      }
    }

    expect(seedIo.raise('SIGTERM')).toBe(true)
    expect(await seeding).toBe(0)
  })

  it('seed warns when data is missing and serves the rest', async () => {
    // The album without b.txt: the pieces holding only a.bin still verify.
    const partial = join(root, 'partial', 'album', 'sub')
    mkdirSync(partial, { recursive: true })
    writeFileSync(join(partial, 'a.bin'), readFileSync(join(root, 'data', 'album', 'sub', 'a.bin')))
    const io = fakeIo()
    const seeding = main(['seed', torrent, '--data', join(root, 'partial'), '--port', '0', '--host', '127.0.0.1'], io)
    await io.waitForStdout(/on 127\.0\.0\.1:\d+/)
    expect(io.out()).toMatch(/^verified [1-7]\/8 pieces/m)
    expect(io.err()).toMatch(/^rxtorrent: warning: [1-7] pieces are missing or bad/m)
    io.raise('SIGINT')
    expect(await seeding).toBe(0)
  })

  it('SIGINT before completion stops the download with exit 130 and a one-line reason', async () => {
    const sockets: Socket[] = []
    const silent = createServer(s => { sockets.push(s) })
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as { port: number }).port
    try {
      const io = fakeIo()
      const run = main(['download', torrent, '--out', join(root, 'interrupted'), '--peer', `127.0.0.1:${port}`, '--json'], io)
      await io.waitForStdout(/"type":"progress"/)
      io.raise('SIGINT')
      expect(await run).toBe(130)
      expect(io.err()).toMatch(/^rxtorrent: stopped by SIGINT before the download completed; 0 of 8 pieces verified\n$/)
      const io2 = fakeIo()
      const run2 = main(['download', torrent, '--out', join(root, 'interrupted'), '--peer', `127.0.0.1:${port}`, '--quiet'], io2)
      await new Promise(resolve => setImmediate(resolve))
      // A signal may arrive before the first progress: the run still stops cleanly.
      while (!io2.raise('SIGTERM')) await new Promise(resolve => setImmediate(resolve))
      expect(await run2).toBe(143)
    } finally {
      for (const s of sockets) s.destroy()
      silent.close()
    }
  })
})
