/**
 * Several torrents in one command, one session, one port: `seed --torrents
 * DIR --data DIR` serves a folder of torrents (one without data skipped);
 * `download a b magnet --out DIR` fetches them all; a torrent that cannot
 * finish makes the exit code 1 and is named; `--state` lets a restart skip
 * the check, `--no-state` does not.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../pipelines/cli/main.js'
import { fakeIo, type FakeIo } from './fake-io.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-cli-many-'))
const data = join(root, 'data')
const torrents = join(root, 'torrents')
const hashes: Record<string, string> = {}
// No test may write into the real ~/.local/state.
process.env.XDG_STATE_HOME = join(root, 'xdg')

function bytes (n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = (i * seed + 11) % 251
  return b
}

async function create (path: string, name: string): Promise<void> {
  const io = fakeIo()
  expect(await main(['create', path, '-o', join(torrents, `${name}.torrent`), '--piece-length', '16384'], io)).toBe(0)
  hashes[name] = /[0-9a-f]{40}/.exec(io.out())?.[0] ?? ''
}

let seedIo: FakeIo
let seeding: Promise<number>
let seedPort = ''

beforeAll(async () => {
  mkdirSync(join(data, 'gamma', 'sub'), { recursive: true })
  mkdirSync(torrents)
  writeFileSync(join(data, 'alpha.bin'), bytes(150_000, 7))
  writeFileSync(join(data, 'beta.bin'), bytes(90_001, 13))
  writeFileSync(join(data, 'gamma', 'sub', 'one.bin'), bytes(70_000, 17))
  writeFileSync(join(data, 'gamma', 'two.txt'), 'two '.repeat(9000))
  await create(join(data, 'alpha.bin'), 'alpha')
  await create(join(data, 'beta.bin'), 'beta')
  await create(join(data, 'gamma'), 'gamma')
  // A torrent whose data is not under --data: the seed skips it.
  mkdirSync(join(root, 'elsewhere'))
  writeFileSync(join(root, 'elsewhere', 'delta.bin'), bytes(40_000, 19))
  await create(join(root, 'elsewhere', 'delta.bin'), 'delta')
  seedIo = fakeIo()
  seeding = main(['seed', '--torrents', torrents, '--data', data, '--port', '0', '--host', '127.0.0.1', '--no-state'], seedIo)
  await seedIo.waitForStdout(/seeding [^]*seeding [^]*seeding .*\n/)
  seedPort = /on 127\.0\.0\.1:(\d+)/.exec(seedIo.out())?.[1] ?? ''
}, 60_000)

afterAll(async () => {
  seedIo.raise('SIGTERM')
  await seeding
  rmSync(root, { recursive: true, force: true })
})

function same (out: string, ...path: string[]): void {
  expect(readFileSync(join(out, ...path))).toEqual(readFileSync(join(data, ...path)))
}

describe('several torrents in one command', { timeout: 60_000 }, () => {
  it('seed --torrents DIR serves every torrent with data on one port and skips the one without', () => {
    const out = seedIo.out()
    for (const name of ['alpha', 'beta', 'gamma']) expect(out).toContain(`seeding ${name}${name === 'gamma' ? '' : '.bin'} (${hashes[name] ?? ''}) on 127.0.0.1:${seedPort}\n`)
    expect(out).toMatch(/^verified 10\/10 pieces of alpha\.bin/m)
    expect(out).not.toContain('delta')
    expect(seedIo.err()).toMatch(/^rxtorrent: warning: .*delta\.torrent: no data for delta\.bin in .*; skipped$/m)
  })

  it('downloads two torrents and a magnet in one command; every --json progress line names its torrent', async () => {
    const out = join(root, 'out-all')
    const io = fakeIo()
    const magnet = `magnet:?xt=urn:btih:${hashes.gamma ?? ''}&x.pe=127.0.0.1:${seedPort}`
    const code = await main(['download', join(torrents, 'alpha.torrent'), join(torrents, 'beta.torrent'), magnet, '--out', out, '--peer', `127.0.0.1:${seedPort}`, '--json', '--no-state'], io)
    expect(io.err()).toBe('')
    expect(code).toBe(0)
    same(out, 'alpha.bin')
    same(out, 'beta.bin')
    same(out, 'gamma', 'sub', 'one.bin')
    same(out, 'gamma', 'two.txt')
    const records = io.out().trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string, infoHash?: string, complete?: number, torrents?: number })
    const progress = records.filter((r) => r.type === 'progress')
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.every((r) => Object.values(hashes).includes(r.infoHash ?? ''))).toBe(true)
    expect(new Set(records.filter((r) => r.type === 'done').map((r) => r.infoHash))).toEqual(new Set([hashes.alpha, hashes.beta, hashes.gamma]))
    expect(records.at(-1)).toMatchObject({ type: 'totals', torrents: 3, complete: 3 })
  })

  it('two downloaders fetch two torrents from the one seeding port at once', async () => {
    const runs = ['alpha', 'beta'].map(async (name) => {
      const io = fakeIo()
      const code = await main(['download', join(torrents, `${name}.torrent`), '--out', join(root, `out-${name}`), '--peer', `127.0.0.1:${seedPort}`, '--quiet'], io)
      return { code, err: io.err() }
    })
    expect(await Promise.all(runs)).toEqual([{ code: 0, err: '' }, { code: 0, err: '' }])
    same(join(root, 'out-alpha'), 'alpha.bin')
    same(join(root, 'out-beta'), 'beta.bin')
  })

  it('exit 1 when one torrent cannot finish, naming it; the others complete', async () => {
    const out = join(root, 'out-partial')
    const io = fakeIo()
    const code = await main(['download', join(torrents, 'alpha.torrent'), join(torrents, 'delta.torrent'), '--out', out, '--peer', `127.0.0.1:${seedPort}`, '--no-state'], io)
    expect(code).toBe(1)
    expect(io.err()).toMatch(/^rxtorrent: delta\.bin did not complete: [^\n]+$/m)
    expect(io.err()).not.toMatch(/alpha\.bin did not complete/)
    same(out, 'alpha.bin')
  })

  it('on a terminal: one line per torrent and a total line, redrawn in place', async () => {
    const io = fakeIo({ tty: true, columns: 100 })
    const code = await main(['download', join(torrents, 'alpha.torrent'), join(torrents, 'beta.torrent'), '--out', join(root, 'out-tty'), '--peer', `127.0.0.1:${seedPort}`, '--no-state'], io)
    expect(code).toBe(0)
    const err = io.err()
    expect(err).toMatch(/alpha\.bin {16}seeding {5}100\.0% /)
    expect(err).toMatch(/beta\.bin {17}seeding {5}100\.0% /)
    expect(err).toContain('total: 2/2 complete')
    expect(err).toContain('\x1b[2A\x1b[J')
    expect(err.endsWith('\n')).toBe(true)
  })

  it('--state: a restart trusts the resume data and reads nothing; --no-state checks every piece', async () => {
    const out = join(root, 'out-state')
    const state = join(root, 'state')
    const peer = ['--peer', `127.0.0.1:${seedPort}`]
    const files = [join(torrents, 'alpha.torrent'), join(torrents, 'beta.torrent')]
    expect(await main(['download', ...files, '--out', out, ...peer, '--state', state, '--quiet'], fakeIo())).toBe(0)
    expect(statSync(join(state, `${hashes.alpha ?? ''}.resume`)).isFile()).toBe(true)
    // One byte changed, size and mtime kept: only a read would notice.
    const file = join(out, 'alpha.bin')
    // Half a millisecond in: seconds as a double would otherwise round below the recorded millisecond.
    const mtime = (Math.floor(statSync(file).mtimeMs) + 0.5) / 1000
    const changed = readFileSync(file)
    changed[5] = (changed[5] ?? 0) ^ 0xff
    writeFileSync(file, changed)
    utimesSync(file, mtime, mtime)
    // No peer: the restart completes from the resume data alone.
    const trusted = fakeIo()
    expect(await main(['download', ...files, '--out', out, '--state', state, '--json'], trusted), trusted.out() + trusted.err()).toBe(0)
    const done = trusted.out().split('\n').filter((l) => l.includes('"type":"done"')).map((l) => JSON.parse(l) as { piecesVerified: number })
    expect(done.map((d) => d.piecesVerified).sort((x, y) => x - y)).toEqual([6, 10])
    // Without state the check reads the file, finds the bad piece, and no peer can replace it.
    const checked = fakeIo()
    expect(await main(['download', ...files, '--out', out, '--no-state', '--quiet'], checked)).toBe(1)
    expect(checked.err()).toMatch(/^rxtorrent: alpha\.bin did not complete: /m)
  })

  it('seed: a torrent where no piece verifies is skipped, the other served; --seed-time stops each, then exit 0', async () => {
    const mixed = join(root, 'mixed')
    mkdirSync(mixed)
    writeFileSync(join(mixed, 'alpha.bin'), readFileSync(join(data, 'alpha.bin')))
    writeFileSync(join(mixed, 'beta.bin'), new Uint8Array(90_001))
    const io = fakeIo()
    const code = await main(['seed', join(torrents, 'alpha.torrent'), join(torrents, 'beta.torrent'), '--data', mixed, '--port', '0', '--host', '127.0.0.1', '--seed-time', '0.002', '--json', '--no-state'], io)
    expect(code).toBe(0)
    const records = io.out().trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string, infoHash?: string, message?: string, stopped?: string })
    expect(records.filter((r) => r.type === 'listening').map((r) => r.infoHash)).toEqual([hashes.alpha])
    expect(records.find((r) => r.type === 'warning')).toMatchObject({ infoHash: hashes.beta, message: `no piece of beta.bin verified in ${mixed}; skipped` })
    expect(records.find((r) => r.type === 'done')).toMatchObject({ infoHash: hashes.alpha, stopped: expect.stringMatching(/^seed time reached/) as unknown })
  })

  it('download --seed-time: each torrent seeds after it completes, then stops by itself; exit 0', async () => {
    const io = fakeIo()
    const code = await main(['download', join(torrents, 'alpha.torrent'), join(torrents, 'beta.torrent'), '--out', join(root, 'out-seeding'), '--peer', `127.0.0.1:${seedPort}`, '--seed-time', '0.002', '--json', '--no-state'], io)
    expect(code).toBe(0)
    const stopped = io.out().trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string, infoHash?: string, stopped?: string }).filter((r) => r.type === 'done' && r.stopped !== undefined)
    expect(new Set(stopped.map((r) => r.infoHash))).toEqual(new Set([hashes.alpha, hashes.beta]))
    same(join(root, 'out-seeding'), 'alpha.bin')
  })

  it('SIGINT before every torrent completed: exit 130, naming those left', async () => {
    const sockets: Socket[] = []
    const silent = createServer((s) => { sockets.push(s) })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const io = fakeIo()
      const run = main(['download', join(torrents, 'alpha.torrent'), join(torrents, 'beta.torrent'), '--out', join(root, 'out-int'), '--peer', `127.0.0.1:${(silent.address() as { port: number }).port}`, '--json', '--no-state'], io)
      await io.waitForStdout(/"type":"progress"/)
      while (!io.raise('SIGINT')) await new Promise((resolve) => setImmediate(resolve))
      expect(await run).toBe(130)
      expect(io.err()).toBe('rxtorrent: stopped by SIGINT before 2 of 2 torrents completed: alpha.bin, beta.bin\n')
    } finally {
      for (const s of sockets) s.destroy()
      silent.close()
    }
  })

  it('resume data goes to $XDG_STATE_HOME/rxtorrent by default; one torrent with --state keeps it there, with the one-torrent display', async () => {
    const peer = ['--peer', `127.0.0.1:${seedPort}`]
    expect(await main(['download', join(torrents, 'alpha.torrent'), join(torrents, 'beta.torrent'), '--out', join(root, 'out-default'), ...peer, '--quiet'], fakeIo())).toBe(0)
    for (const name of ['alpha', 'beta']) expect(statSync(join(root, 'xdg', 'rxtorrent', `${hashes[name] ?? ''}.resume`)).isFile()).toBe(true)
    const io = fakeIo()
    expect(await main(['download', join(torrents, 'beta.torrent'), '--out', join(root, 'out-one'), ...peer, '--state', join(root, 'state-one'), '--json'], io)).toBe(0)
    expect(statSync(join(root, 'state-one', `${hashes.beta ?? ''}.resume`)).isFile()).toBe(true)
    expect(io.out()).not.toMatch(/"type":"totals"/)
    expect(io.out()).toMatch(/^\{"type":"done",/m)
  })

  it('--help shows the several-torrent forms, --state and --no-state', async () => {
    const download = fakeIo()
    expect(await main(['download', '--help'], download)).toBe(0)
    expect(download.out()).toContain('rxtorrent download <torrent|URL|magnet> <torrent|URL|magnet>... --out <dir>')
    const seed = fakeIo()
    expect(await main(['seed', '--help'], seed)).toBe(0)
    expect(seed.out()).toContain('rxtorrent seed <file.torrent>... [--torrents <folder>] --data <dir>')
    for (const text of [download.out(), seed.out()]) expect(text).toMatch(/--state DIR[^]*--no-state/)
  })

  it('usage errors: --state with --no-state, --only with several torrents, one torrent twice, a folder with nothing to seed', async () => {
    const a = join(torrents, 'alpha.torrent')
    const cases: Array<[string[], number, RegExp]> = [
      [['download', a, join(torrents, 'beta.torrent'), '--out', join(root, 'x'), '--state', join(root, 's'), '--no-state'], 2, /--state and --no-state cannot be combined/],
      [['download', a, join(torrents, 'beta.torrent'), '--out', join(root, 'x'), '--only', '0'], 2, /--only selects files of one torrent/],
      [['download', a, a, '--out', join(root, 'x')], 2, /is the same torrent as/],
      [['seed', '--torrents', join(root, 'elsewhere'), '--data', data, '--port', '0', '--host', '127.0.0.1'], 1, /nothing to seed/]
    ]
    for (const [argv, code, message] of cases) {
      const io = fakeIo()
      expect(await main(argv, io), argv.join(' ')).toBe(code)
      expect(io.err()).toMatch(message)
    }
  })
})
