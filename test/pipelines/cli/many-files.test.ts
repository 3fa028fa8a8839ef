import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../pipelines/cli/main.js'
import { describeExit, ManagedProcess, REPO_ROOT, stopAll } from '../../interop/helpers/processes.js'
import { fakeIo } from './fake-io.js'

// A torrent with far more files than the process may open: 5,000 files of
// 1-4 KiB, a few of 0 bytes and a few of 300 KB, in 256 KiB pieces (one piece
// spans about a hundred files). Seeded and downloaded by `rxtorrent` child
// processes under `ulimit -n 256`.
const FILES = 5000
const LIMIT = 256
const root = mkdtempSync(join(tmpdir(), 'rxt-many-'))
const data = join(root, 'data')
const torrent = join(root, 'many.torrent')
const CLI = resolve(REPO_ROOT, 'bin/rxtorrent.js')

afterAll(async () => {
  await stopAll()
  rmSync(root, { recursive: true, force: true })
})

/** A deterministic byte source (a linear congruential generator). */
function generator (seed: number): () => number {
  let s = seed
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    return s >>> 16
  }
}

beforeAll(async () => {
  const next = generator(11)
  const album = join(data, 'many')
  for (let i = 0; i < FILES; i++) {
    const dir = join(album, `d${i % 50}`)
    if (i < 50) mkdirSync(dir, { recursive: true })
    const length = i % 997 === 0 ? 0 : i % 1000 === 1 ? 300_000 : 1024 + next() % 3072
    const bytes = new Uint8Array(length)
    for (let j = 0; j < length; j++) bytes[j] = next() & 0xff
    writeFileSync(join(dir, `f${i}.bin`), bytes)
  }
  const io = fakeIo()
  expect(await main(['create', album, '-o', torrent, '--piece-length', '262144'], io), io.err()).toBe(0)
}, 60_000)

/** `node bin/rxtorrent.js <args>` under `ulimit -n 256`. */
function limitedCli (label: string, args: readonly string[]): ManagedProcess {
  return new ManagedProcess('bash', ['-c', `ulimit -n ${LIMIT} && exec "$@"`, 'limited', process.execPath, CLI, ...args], { label })
}

/** Relative path → bytes of every file under `dir`. */
function tree (dir: string, prefix = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = join(prefix, entry.name)
    if (entry.isDirectory()) for (const [k, v] of tree(dir, rel)) out.set(k, v)
    else out.set(rel, readFileSync(join(dir, rel)))
  }
  return out
}

describe(`a ${FILES}-file torrent under ulimit -n ${LIMIT}`, { timeout: 60_000 }, () => {
  it('is seeded (checked, then served) and downloaded byte for byte by child processes, with and without direct I/O', async () => {
    const seed = limitedCli('seed', ['seed', torrent, '--data', data, '--port', '0', '--host', '127.0.0.1'])
    const line = await seed.waitFor(() => seed.lines.find(l => / on 127\.0\.0\.1:\d+$/.test(l)), 30_000, 'the listening line')
    expect(seed.stdout).toMatch(/^verified (\d+)\/\1 pieces/m)
    const port = /:(\d+)$/.exec(line)?.[1] ?? ''

    const want = tree(join(data, 'many'))
    expect(want.size).toBe(FILES)
    // Direct writes where the file system allows them, then through the page cache only.
    for (const [name, flags] of [['out', []], ['out-cached', ['--no-direct-io']]] as const) {
      const out = join(root, name)
      const download = limitedCli('download', ['download', torrent, '--out', out, '--peer', `127.0.0.1:${port}`, '--quiet', ...flags])
      const exit = await download.exited
      expect(describeExit(exit), download.diagnostics() + seed.diagnostics()).toBe('code 0')
      const got = tree(join(out, 'many'))
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort())
      for (const [rel, bytes] of want) {
        if (!bytes.equals(got.get(rel) as Buffer)) expect.fail(`${rel} differs (${name})`)
      }
      expect(statSync(join(out, 'many', 'd0', 'f0.bin')).size).toBe(0)
    }
    expect(seed.hasExited, seed.diagnostics()).toBe(false)
    expect(await seed.stop()).toMatchObject({ code: 0 })
  })
})
