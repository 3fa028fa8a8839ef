/**
 * Resume data for the one-torrent commands: `seed` and `download` of one
 * .torrent keep it in `$XDG_STATE_HOME/rxtorrent` by default (or `--state
 * DIR`), so a restart whose files match the record checks nothing; the
 * display is the one-torrent display; `--no-state` keeps none and checks.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../pipelines/cli/main.js'
import { fakeIo } from './fake-io.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-cli-state-'))
const data = join(root, 'data')
const file = join(data, 'one.bin')
const torrent = join(root, 'one.torrent')
const xdg = join(root, 'xdg')
let infoHash = ''

beforeAll(async () => {
  mkdirSync(data)
  const b = new Uint8Array(5 * 16384 + 300)
  for (let i = 0; i < b.length; i++) b[i] = (i * 31 + 7) % 253
  writeFileSync(file, b)
  const io = fakeIo()
  expect(await main(['create', file, '-o', torrent, '--piece-length', '16384'], io)).toBe(0)
  infoHash = /[0-9a-f]{40}/.exec(io.out())?.[0] ?? ''
  process.env.XDG_STATE_HOME = xdg
})

afterAll(() => { rmSync(root, { recursive: true, force: true }) })

/** `seed` until its check is reported, then SIGTERM; the verified count it printed. */
async function seedOnce (extra: string[]): Promise<{ code: number, verified: string, err: string }> {
  const io = fakeIo()
  const run = main(['seed', torrent, '--data', data, '--port', '0', '--host', '127.0.0.1', ...extra], io)
  await io.waitForStdout(/seeding .* on /)
  while (!io.raise('SIGTERM')) await new Promise((resolve) => setImmediate(resolve))
  const code = await run
  return { code, verified: /verified (\d+\/\d+) pieces/.exec(io.out())?.[1] ?? '', err: io.err() }
}

/** Flip one byte of the data, keeping its size and mtime: only a check can see it. */
function corruptQuietly (path = file): void {
  const ns = statSync(path, { bigint: true }).mtimeNs
  const bytes = readFileSync(path)
  bytes[20_000] = (bytes[20_000] as number) ^ 0xff
  writeFileSync(path, bytes)
  // The exact mtime back (utimes takes float seconds, which can lose the last nanoseconds).
  execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, path])
  expect(statSync(path, { bigint: true }).mtimeNs).toBe(ns)
}

describe('resume data for one torrent', () => {
  it('seed keeps it in $XDG_STATE_HOME/rxtorrent by default; a restart trusts it; --no-state checks', async () => {
    const first = await seedOnce([])
    expect(first.code).toBe(0)
    expect(first.verified).toBe('6/6')
    expect(statSync(join(xdg, 'rxtorrent', `${infoHash}.resume`)).isFile()).toBe(true)
    expect(existsSync(join(xdg, 'rxtorrent', `${infoHash}.torrent`))).toBe(true)
    corruptQuietly()
    // The record and the file's size and mtime agree: nothing is read, so the flipped byte goes unseen.
    const trusted = await seedOnce([])
    expect(trusted.verified, trusted.err).toBe('6/6')
    // Without resume data the check reads everything and finds it.
    const checked = await seedOnce(['--no-state'])
    expect(checked.verified).toBe('5/6')
    expect(checked.err).toMatch(/1 pieces are missing or bad/)
    corruptQuietly()
  })

  it('download of one .torrent writes its record under --state, with the one-torrent display; a second run trusts it (no peer needed), --no-state checks and cannot finish', async () => {
    const out = join(root, 'out')
    mkdirSync(out)
    writeFileSync(join(out, 'one.bin'), readFileSync(file))
    const state = join(root, 'state')
    const io = fakeIo()
    // No peer is needed: the check finds every piece in place.
    expect(await main(['download', torrent, '--out', out, '--state', state, '--json'], io), io.err()).toBe(0)
    expect(io.out()).not.toMatch(/"type":"totals"/)
    expect(statSync(join(state, `${infoHash}.resume`)).isFile()).toBe(true)
    // A flipped byte a check would find (and, with no peer, fail on): the record is trusted instead.
    corruptQuietly(join(out, 'one.bin'))
    const again = fakeIo()
    expect(await main(['download', torrent, '--out', out, '--state', state, '--json'], again), again.err()).toBe(0)
    expect(again.out()).toMatch(/"type":"done"/)
    const checked = fakeIo()
    expect(await main(['download', torrent, '--out', out, '--no-state', '--json'], checked)).toBe(1)
  })
})
