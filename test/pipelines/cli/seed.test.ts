/**
 * `rxtorrent seed` refuses to be a seeder that serves nothing, fails at once
 * on a port in use, and stops by itself at `--seed-time` (as does
 * `download --seed-time`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../pipelines/cli/main.js'
import { fakeIo } from './fake-io.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-cli-seed-'))
const torrent = join(root, 'one.torrent')
const data = join(root, 'data')
let busy: Server
let busyPort = 0

beforeAll(async () => {
  mkdirSync(data)
  const bytes = new Uint8Array(100_000)
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 13) % 251
  writeFileSync(join(data, 'one.bin'), bytes)
  mkdirSync(join(root, 'empty'))
  expect(await main(['create', join(data, 'one.bin'), '-o', torrent, '--piece-length', '16384'], fakeIo())).toBe(0)
  busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  busyPort = (busy.address() as { port: number }).port
})
afterAll(async () => {
  await new Promise((resolve) => busy.close(resolve))
  rmSync(root, { recursive: true, force: true })
})

describe('rxtorrent seed: checks before serving', () => {
  it('--data naming a missing folder: exit 2', async () => {
    const io = fakeIo()
    expect(await main(['seed', torrent, '--data', join(root, 'nowhere'), '--port', '0'], io)).toBe(2)
    expect(io.err()).toBe(`rxtorrent: --data ${join(root, 'nowhere')} does not exist\n`)
  })

  it('--data naming a file: exit 2', async () => {
    const io = fakeIo()
    expect(await main(['seed', torrent, '--data', join(data, 'one.bin'), '--port', '0'], io)).toBe(2)
    expect(io.err()).toMatch(/^rxtorrent: --data .*one\.bin is a file, not a folder/)
  })

  it('data where no piece verifies: exit 1, not a seeder that serves nothing', async () => {
    const io = fakeIo()
    expect(await main(['seed', torrent, '--data', join(root, 'empty'), '--port', '0', '--host', '127.0.0.1'], io)).toBe(1)
    expect(io.err()).toBe(`rxtorrent: no piece of one.bin verified in ${join(root, 'empty')}: nothing to seed (--data is the folder that holds one.bin)\n`)
    expect(io.out()).not.toMatch(/seeding/)
  })

  it('a port in use fails at once, before the data is checked: exit 1', async () => {
    const io = fakeIo()
    expect(await main(['seed', torrent, '--data', data, '--port', String(busyPort), '--host', '127.0.0.1'], io)).toBe(1)
    expect(io.err()).toBe(`rxtorrent: port ${busyPort} is in use on 127.0.0.1: stop what uses it or choose another with --port\n`)
    expect(io.out()).toBe('')
    const json = fakeIo()
    expect(await main(['seed', torrent, '--data', data, '--port', String(busyPort), '--host', '127.0.0.1', '--json'], json)).toBe(1)
    expect(JSON.parse(json.out())).toMatchObject({ type: 'error', code: 'port-in-use' })
  })

  it('bad --seed-ratio, --seed-time, --upload-limit and --upload-slots values: exit 2', async () => {
    for (const [flag, value] of [['--seed-ratio', '-1'], ['--seed-time', 'soon'], ['--upload-limit', 'fast'], ['--upload-slots', '0'], ['--upload-slots', 'many']] as const) {
      const io = fakeIo()
      expect(await main(['seed', torrent, '--data', data, `${flag}=${value}`], io)).toBe(2)
      expect(io.err()).toMatch(new RegExp(`^rxtorrent: (bad )?${flag}`))
    }
  })
})

describe('--seed-time stops seeding by itself with exit 0', { timeout: 20_000 }, () => {
  it('seed --seed-time 0.03 (1.8 s)', async () => {
    const io = fakeIo()
    expect(await main(['seed', torrent, '--data', data, '--port', '0', '--host', '127.0.0.1', '--seed-time', '0.03', '--json'], io)).toBe(0)
    const records = io.out().trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string, elapsedMs?: number, stopped?: string })
    expect(records.filter((r) => r.type === 'listening')).toHaveLength(1)
    expect(records.at(-1)?.type).toBe('done')
    expect(records.at(-1)?.stopped).toBe('seed time reached: seeded 0.03 min, uploaded 0 B')
    const seeding = records.filter((r) => r.type === 'progress')
    expect(seeding.at(-1)?.elapsedMs).toBeGreaterThanOrEqual(1800)
  })

  it('download --seed-time 0.03 over complete data, in plain mode, says why it stopped', async () => {
    const io = fakeIo()
    expect(await main(['download', torrent, '--out', data, '--port', '0', '--host', '127.0.0.1', '--seed-time', '0.03'], io)).toBe(0)
    expect(io.err()).toMatch(/^rxtorrent: seed time reached: seeded 0\.03 min, uploaded 0 B; stopped seeding$/m)
  })

  it('download --seed-time 0 does not seed at all (aria2: no seeding after the download)', async () => {
    const io = fakeIo()
    expect(await main(['download', torrent, '--out', data, '--seed-time', '0', '--json'], io)).toBe(0)
    const records = io.out().trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string })
    expect(records.at(-1)?.type).toBe('done')
  })
})
