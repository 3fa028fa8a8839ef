/**
 * Errors a person can act on: each bad input gives its exact exit code and a
 * line that names the problem (issue 12, item 5).
 */
import { createServer, type Server } from 'node:http'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encode } from '../../../lib/bencode/encode.js'
import { LIMITS } from '../../../lib/constants.js'
import { main } from '../../../pipelines/cli/main.js'
import { fakeIo } from './fake-io.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-errors-'))
const notTorrent = join(root, 'x.torrent')
const v2Only = join(root, 'v2.torrent')
const good = join(root, 'good.torrent')
let server: Server
let base = ''

beforeAll(async () => {
  writeFileSync(notTorrent, 'hello\n')
  writeFileSync(v2Only, encode({ info: { name: 'data.bin', 'piece length': 16384, 'meta version': 2, 'file tree': { 'data.bin': { '': { length: 50000, 'pieces root': new Uint8Array(32).fill(7) } } } }, 'piece layers': {} }))
  mkdirSync(join(root, 'src'))
  writeFileSync(join(root, 'src', 'a.bin'), new Uint8Array(40_000).fill(3))
  expect(await main(['create', join(root, 'src', 'a.bin'), '-o', good], fakeIo())).toBe(0)
  server = createServer((req, res) => {
    if (req.url === '/good.torrent') { res.end(readFileSync(good)); return }
    if (req.url === '/huge.torrent') { res.writeHead(200, { 'content-length': String(LIMITS.maxTorrentFileSize + 1) }); res.end(); return }
    if (req.url === '/endless.torrent') {
      res.writeHead(200) // no length: streamed past the limit
      const chunk = new Uint8Array(1024 * 1024)
      let sent = 0
      const more = (): void => { while (sent <= LIMITS.maxTorrentFileSize) { sent += chunk.length; if (!res.write(chunk)) { res.once('drain', more); return } } res.end() }
      more()
      return
    }
    if (req.url === '/moved') { res.writeHead(302, { location: '/good.torrent' }); res.end(); return }
    res.writeHead(404); res.end('no')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  rmSync(root, { recursive: true, force: true })
})

async function run (argv: string[]): Promise<{ code: number, out: string, err: string }> {
  const io = fakeIo()
  const code = await main(argv, io)
  return { code, out: io.out(), err: io.err() }
}

describe('errors a person can act on', () => {
  it('a file that is not a torrent says so and names the file (exit 2)', async () => {
    for (const argv of [['info', notTorrent], ['download', notTorrent, '--out', root], ['seed', notTorrent, '--data', root]]) {
      const r = await run(argv)
      expect(r.code).toBe(2)
      expect(r.err).toBe(`rxtorrent: ${notTorrent} is not a torrent file: unexpected byte 0x68 at byte 0\n`)
    }
  })

  it('a v2-only torrent says v2 is not supported yet (exit 2)', async () => {
    const r = await run(['info', v2Only])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/^rxtorrent: .*v2\.torrent: a BitTorrent v2-only torrent .*v2 is not supported yet/)
    expect(r.err).not.toMatch(/pieces/)
    expect(r.err.split('\n')).toHaveLength(2)
  })

  it('an unknown flag prints one line naming it, then the usage (exit 2)', async () => {
    const r = await run(['download', good, '--out', root, '--bogus'])
    expect(r.code).toBe(2)
    const [first, second] = r.err.split('\n')
    expect(first).toBe("rxtorrent: unknown option '--bogus'")
    expect(second).toMatch(/^Usage: rxtorrent download /)
  })

  it('with --json every error is one JSON object on stdout', async () => {
    const cases: Array<{ argv: string[], code: number, errorCode: string, message: RegExp }> = [
      { argv: ['download', good, '--out', root, '--json', '--bogus'], code: 2, errorCode: 'bad-args', message: /^unknown option '--bogus'$/ },
      { argv: ['download', notTorrent, '--out', root, '--json'], code: 2, errorCode: 'not-a-torrent', message: /is not a torrent file/ },
      { argv: ['info', notTorrent, '--json'], code: 2, errorCode: 'not-a-torrent', message: /is not a torrent file/ },
      { argv: ['info', v2Only, '--json'], code: 2, errorCode: 'v2-unsupported', message: /v2 is not supported yet/ },
      { argv: ['seed', good, '--json'], code: 2, errorCode: 'bad-args', message: /^missing --data <dir>$/ },
      { argv: ['download', good, '--json', '--out', good], code: 2, errorCode: 'bad-out', message: /is a file/ }
    ]
    for (const c of cases) {
      const r = await run(c.argv)
      expect(r.code, c.argv.join(' ')).toBe(c.code)
      const lines = r.out.split('\n').filter((l) => l !== '')
      expect(lines, c.argv.join(' ')).toHaveLength(1)
      const record = JSON.parse(lines[0] as string)
      expect(record).toMatchObject({ type: 'error', code: c.errorCode })
      expect(record.message).toMatch(c.message)
      expect(r.err).not.toMatch(/Usage:/)
    }
  })

  it('--out that is a file is a usage error before any network work (exit 2)', async () => {
    for (const command of ['download', 'stream']) {
      const r = await run([command, `${base}/good.torrent`, '--out', good, '--peer', '127.0.0.1:1'])
      expect(r.code, command).toBe(2)
      expect(r.err, command).toBe(`rxtorrent: --out ${good} is a file, not a folder\n`)
      // A file where a folder to create would go is found before any network work too.
      const under = await run([command, `${base}/good.torrent`, '--out', join(good, 'sub', 'deeper'), '--peer', '127.0.0.1:1'])
      expect(under.code, command).toBe(2)
      expect(under.err, command).toBe(`rxtorrent: --out ${join(good, 'sub', 'deeper')} cannot be made: ${good} is a file, not a folder\n`)
    }
  })

  it('a .torrent given by http:// URL is fetched (redirects followed)', async () => {
    for (const url of [`${base}/good.torrent`, `${base}/moved`]) {
      const r = await run(['info', url, '--json'])
      expect(r.code).toBe(0)
      expect(JSON.parse(r.out)).toMatchObject({ name: 'a.bin', length: 40_000 })
    }
  })

  it('a .torrent URL is refused with a clear line: HTTP error, over the size limit, not a torrent, unreachable', async () => {
    const limit = LIMITS.maxTorrentFileSize
    const cases: Array<[string, number, string]> = [
      [`${base}/missing.torrent`, 2, `rxtorrent: cannot fetch ${base}/missing.torrent: HTTP 404 Not Found\n`],
      [`${base}/huge.torrent`, 2, `rxtorrent: cannot fetch ${base}/huge.torrent: it is ${limit + 1} bytes; a .torrent may be at most ${limit}\n`],
      [`${base}/endless.torrent`, 2, `rxtorrent: cannot fetch ${base}/endless.torrent: it is more than ${limit} bytes; a .torrent may be at most ${limit}\n`]
    ]
    for (const [url, code, line] of cases) {
      const r = await run(['info', url])
      expect(r.code, url).toBe(code)
      expect(r.err, url).toBe(line)
    }
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as { port: number }).port
    await new Promise((resolve) => closed.close(resolve))
    const unreachable = await run(['info', `http://127.0.0.1:${port}/x.torrent`])
    expect(unreachable.code).toBe(1)
    expect(unreachable.err).toMatch(new RegExp(`^rxtorrent: cannot fetch http://127\\.0\\.0\\.1:${port}/x\\.torrent: .*ECONNREFUSED.*\n$`))
  })
})
