import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../pipelines/cli/main.js'
import { fakeIo } from './fake-io.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-cli-'))
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

/** Deterministic content: 70 000 bytes over three files (one empty) in a folder, plus a single file. */
function makeData (): void {
  const album = join(root, 'src', 'album')
  mkdirSync(join(album, 'cd1'), { recursive: true })
  const a = new Uint8Array(50_000)
  for (let i = 0; i < a.length; i++) a[i] = (i * 7) % 256
  writeFileSync(join(album, 'cd1', 'one.bin'), a)
  writeFileSync(join(album, 'two.txt'), 'x'.repeat(20_000))
  writeFileSync(join(album, 'empty'), '')
  writeFileSync(join(root, 'src', 'single.bin'), a.subarray(0, 30_000))
}

function libtorrentInfoHash (file: string): string | undefined {
  try {
    return execFileSync('/usr/bin/python3', ['-c', 'import libtorrent as lt,sys; print(lt.torrent_info(sys.argv[1]).info_hash())', file], { encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
}

beforeAll(makeData)

describe('rxtorrent help, version and usage errors', () => {
  it('prints help with --help and for each command', async () => {
    const io = fakeIo()
    expect(await main(['--help'], io)).toBe(0)
    expect(io.out()).toContain('Usage: rxtorrent <command>')
    for (const cmd of ['create', 'info', 'download', 'seed', 'demo']) {
      const io2 = fakeIo()
      expect(await main([cmd, '--help'], io2)).toBe(0)
      expect(io2.out()).toContain(`Usage: rxtorrent ${cmd}`)
      const io3 = fakeIo()
      expect(await main(['help', cmd], io3)).toBe(0)
      expect(io3.out()).toBe(io2.out())
    }
  })

  it('prints the package version', async () => {
    const io = fakeIo()
    expect(await main(['--version'], io)).toBe(0)
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as { version: string }
    expect(io.out()).toBe(`rxtorrent ${pkg.version}\n`)
  })

  // `npm ci` builds dist/ (prepare); a checkout without a build has nothing to run here.
  const built = ['dist/pipelines/cli/main.js', 'dist/pipelines/cli/main.bundle.js'].map((p) => join(import.meta.dirname, '../../..', p))
  it.skipIf(!built.every((p) => existsSync(p)))('prints the package version from the build and the bundle too (dist/ sits one level deeper)', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as { version: string }
    for (const entry of built) {
      const out = execFileSync(process.execPath, ['-e', `import(${JSON.stringify(entry)}).then(async (m) => { process.exitCode = await m.main(['--version']) })`], { encoding: 'utf8' })
      expect(out).toBe(`rxtorrent ${pkg.version}\n`)
    }
  })

  it('exits 2 with usage for no command, an unknown command, or an unknown flag', async () => {
    for (const argv of [[], ['frobnicate'], ['--frob'], ['info', 'x.torrent', '--frob'], ['create', 'x', '-o', 'y', '--announce'], ['info'], ['info', 'a', 'b']]) {
      const io = fakeIo()
      expect(await main(argv, io)).toBe(2)
      expect(io.err()).toMatch(/Usage: rxtorrent/)
      expect(io.out()).toBe('')
    }
  })

  it('explains a bad --peer and a missing --out in one line, exit 2', async () => {
    const io = fakeIo()
    expect(await main(['download', 'x.torrent', '--out', root, '--peer', 'nope'], io)).toBe(2)
    expect(io.err().split('\n')[0]).toBe("rxtorrent: bad --peer 'nope': expected host:port or [ipv6]:port with a port from 1 to 65535")
    const io2 = fakeIo()
    expect(await main(['download', 'x.torrent'], io2)).toBe(2)
    expect(io2.err().split('\n')[0]).toBe('rxtorrent: missing --out <dir>')
  })

  it('refuses --quiet with --json', async () => {
    const io = fakeIo()
    expect(await main(['download', 'x.torrent', '--out', root, '--quiet', '--json'], io)).toBe(2)
  })
})

describe('rxtorrent create and info', () => {
  it('creates a multi-file torrent whose info-hash matches libtorrent, and info shows it', async () => {
    const file = join(root, 'album.torrent')
    const io = fakeIo()
    const code = await main(['create', join(root, 'src', 'album'), '-o', file, '--announce', 'http://a.example/announce', '--announce', 'udp://b.example:6969',
      '--web-seed', 'http://ws.example/', '--piece-length', '16384', '--private', '--comment', 'hi'], io)
    expect(io.err()).toBe('')
    expect(code).toBe(0)
    const hash = io.out().trim()
    expect(hash).toMatch(/^[0-9a-f]{40}$/)
    const lt = libtorrentInfoHash(file)
    if (lt === undefined) console.log('libtorrent comparison skipped: /usr/bin/python3 has no libtorrent module')
    else expect(lt).toBe(hash)

    const info = fakeIo()
    expect(await main(['info', file, '--json'], info)).toBe(0)
    const record = JSON.parse(info.out()) as Record<string, unknown>
    expect(record).toMatchObject({
      type: 'torrent',
      name: 'album',
      infoHash: hash,
      length: 70_000,
      pieceLength: 16384,
      pieceCount: 5,
      private: true,
      trackers: [['http://a.example/announce'], ['udp://b.example:6969']],
      webSeeds: ['http://ws.example/'],
      comment: 'hi'
    })
    expect(record.files).toEqual([
      { path: 'album/cd1/one.bin', length: 50_000 },
      { path: 'album/empty', length: 0 },
      { path: 'album/two.txt', length: 20_000 }
    ])
    expect(info.out().trim().split('\n')).toHaveLength(1)

    const text = fakeIo()
    expect(await main(['info', file], text)).toBe(0)
    expect(text.out()).toContain(`info-hash:    ${hash}`)
    expect(text.out()).toContain('pieces:       5')
    expect(text.out()).toContain('private:      yes')
    expect(text.out()).toContain('  tier 2: udp://b.example:6969')
    expect(text.out()).toContain('album/cd1/one.bin')
  })

  it('creates a single-file torrent matching libtorrent', async () => {
    const file = join(root, 'single.torrent')
    const io = fakeIo()
    expect(await main(['create', join(root, 'src', 'single.bin'), '-o', file], io)).toBe(0)
    const lt = libtorrentInfoHash(file)
    if (lt !== undefined) expect(lt).toBe(io.out().trim())
    const info = fakeIo()
    await main(['info', file, '--json'], info)
    expect(JSON.parse(info.out())).toMatchObject({ name: 'single.bin', files: [{ path: 'single.bin', length: 30_000 }], trackers: [], private: false })
  })

  it('create: a missing path and a bad piece length exit 2', async () => {
    const io = fakeIo()
    expect(await main(['create', join(root, 'nope'), '-o', join(root, 'nope.torrent')], io)).toBe(2)
    expect(io.err()).toMatch(/^rxtorrent: /)
    expect(existsSync(join(root, 'nope.torrent'))).toBe(false)
    expect(await main(['create', join(root, 'src'), '-o', join(root, 'x.torrent'), '--piece-length', '1000'], fakeIo())).toBe(2)
    expect(await main(['create', join(root, 'src')], fakeIo())).toBe(2)
  })

  it('info describes a magnet link', async () => {
    const io = fakeIo()
    const magnet = 'magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=demo&tr=udp%3A%2F%2Ftracker.example%3A6969&ws=http%3A%2F%2Fws.example%2F&x.pe=127.0.0.1:6881&x.pe=%5B%3A%3A1%5D:51413'
    expect(await main(['info', magnet, '--json'], io)).toBe(0)
    expect(JSON.parse(io.out())).toEqual({
      type: 'magnet',
      infoHash: 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a',
      name: 'demo',
      trackers: ['udp://tracker.example:6969'],
      webSeeds: ['http://ws.example/'],
      peers: ['127.0.0.1:6881', '[::1]:51413']
    })
    const text = fakeIo()
    expect(await main(['info', magnet], text)).toBe(0)
    expect(text.out()).toContain('info-hash:    c12fe1c06bba254a9dc9f519b335aa7c1367a88a')
    expect(text.out()).toContain('  [::1]:51413')
  })

  it('info: bad input exits 2 with a one-line reason', async () => {
    const bad = join(root, 'bad.torrent')
    writeFileSync(bad, 'd4:infoi3ee')
    for (const arg of [bad, join(root, 'missing.torrent'), 'magnet:?xt=urn:btih:123']) {
      const io = fakeIo()
      expect(await main(['info', arg], io)).toBe(2)
      expect(io.err()).toMatch(/^rxtorrent: [^\n]+\n$/)
    }
  })
})

describe('rxtorrent download (no network)', () => {
  it('a magnet link with no peer and no tracker: exit 1 with a one-line reason', async () => {
    const io = fakeIo()
    expect(await main(['download', 'magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a', '--out', root, '--quiet'], io)).toBe(1)
    expect(io.err()).toMatch(/^rxtorrent: no peer to fetch the metadata from\n$/)
  })

  it('completes at once when the data is already there (--json ends with done)', async () => {
    const file = join(root, 'done.torrent')
    await main(['create', join(root, 'src', 'album'), '-o', file], fakeIo())
    const io = fakeIo()
    const code = await main(['download', file, '--out', join(root, 'src'), '--json'], io)
    expect(io.err()).toBe('')
    expect(code).toBe(0)
    const lines = io.out().trimEnd().split('\n').map(l => JSON.parse(l) as { type: string, piecesVerified?: number, pieceCount?: number })
    expect(lines.at(-1)).toMatchObject({ type: 'done', name: 'album' })
    expect(lines.at(-1)?.piecesVerified).toBe(lines.at(-1)?.pieceCount)
    expect(lines.slice(0, -1).every(l => l.type === 'progress')).toBe(true)
  })

  it('prints plain progress lines when stderr is not a terminal, and a redrawn line when it is', async () => {
    const file = join(root, 'plain.torrent')
    await main(['create', join(root, 'src', 'album'), '-o', file], fakeIo())
    const plain = fakeIo()
    expect(await main(['download', file, '--out', join(root, 'src')], plain)).toBe(0)
    expect(plain.out()).toBe('')
    expect(plain.err()).toMatch(/^seeding 100\.0% 5\/5 pieces /m)
    expect(plain.err()).not.toContain('\r')
    const tty = fakeIo({ tty: true, columns: 100 })
    expect(await main(['download', file, '--out', join(root, 'src')], tty)).toBe(0)
    expect(tty.err()).toContain('\r\x1b[2Kseeding     100.0% [')
    expect(tty.err().endsWith('\n')).toBe(true)
  })

  it('fails with exit 1 and one line when there is no peer to download from', async () => {
    const file = join(root, 'album2.torrent')
    await main(['create', join(root, 'src', 'album'), '-o', file], fakeIo())
    const io = fakeIo()
    expect(await main(['download', file, '--out', join(root, 'empty-out'), '--quiet'], io)).toBe(1)
    expect(io.err()).toMatch(/^rxtorrent: [^\n]+\n$/)
    expect(io.out()).toBe('')
  })
})
