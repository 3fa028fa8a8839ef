import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeExit, stopAll } from '../../interop/helpers/processes.js'
import { maxRssMiB, spawnMeasuredCli, writeManyFiles, writeMaxRssReporter, type ManyFiles } from './many-files-fixture.js'

// Memory per file: a 100,000-file torrent (0-1 KiB each, 16 KiB pieces) is
// read, checked and seeded, and part of it downloaded, by `rxtorrent` child
// processes, each under 400 MiB of peak RSS (it was 1.25 GB). The whole
// download is measured by `bench/many-files.ts` (too long for the suite).
const FILES = 100_000
const LIMIT_MIB = 400
const root = mkdtempSync(join(tmpdir(), 'rxt-many-mem-'))
let many: ManyFiles
let reporter: string

beforeAll(() => {
  many = writeManyFiles(root, { files: FILES, maxLength: 1024, pieceLength: 16384 })
  reporter = writeMaxRssReporter(root)
}, 60_000)

// Deleting 100,000 files takes seconds, more on a loaded machine.
afterAll(async () => {
  await stopAll()
  rmSync(root, { recursive: true, force: true })
}, 120_000)

describe(`a ${FILES.toLocaleString('en')}-file torrent`, { timeout: 90_000 }, () => {
  it(`is listed by info under ${LIMIT_MIB} MiB`, async () => {
    const info = spawnMeasuredCli('info', reporter, ['info', many.torrent, '--json'])
    const exit = await info.exited
    expect(describeExit(exit), info.diagnostics()).toBe('code 0')
    const rss = maxRssMiB(info)
    expect(rss, info.diagnostics()).toBeDefined()
    console.info(`info: peak RSS ${rss?.toFixed(0) ?? '?'} MiB`)
    expect(rss).toBeLessThan(LIMIT_MIB)
  })

  it(`is checked and seeded, and 200 of its files downloaded from it, each process under ${LIMIT_MIB} MiB, within 256 descriptors`, async () => {
    const seed = spawnMeasuredCli('seed', reporter, ['seed', many.torrent, '--data', many.data, '--port', '0', '--host', '127.0.0.1'], 256)
    const line = await seed.waitFor(() => seed.lines.find(l => / on 127\.0\.0\.1:\d+$/.test(l)), 60_000, 'the listening line')
    expect(seed.stdout).toMatch(/^verified (\d+)\/\1 pieces/m)
    const port = /:(\d+)$/.exec(line)?.[1] ?? ''

    const out = join(root, 'out')
    const download = spawnMeasuredCli('download', reporter, ['download', many.torrent, '--out', out, '--peer', `127.0.0.1:${port}`, '--only', 'd0007/*', '--quiet'], 256)
    const exit = await download.exited
    expect(describeExit(exit), download.diagnostics() + seed.diagnostics()).toBe('code 0')
    for (const i of [1400, 1500, 1599]) {
      const rel = join(many.name, 'd0007', `f${String(i).padStart(7, '0')}.dat`)
      expect(readFileSync(join(out, rel)).equals(readFileSync(join(many.data, rel))), rel).toBe(true)
    }
    expect(await seed.stop(10_000)).toMatchObject({ code: 0 })

    const seedRss = maxRssMiB(seed)
    const downloadRss = maxRssMiB(download)
    expect(seedRss, seed.diagnostics()).toBeDefined()
    expect(downloadRss, download.diagnostics()).toBeDefined()
    console.info(`seed: peak RSS ${seedRss?.toFixed(0) ?? '?'} MiB; download: ${downloadRss?.toFixed(0) ?? '?'} MiB`)
    expect(seedRss).toBeLessThan(LIMIT_MIB)
    expect(downloadRss).toBeLessThan(LIMIT_MIB)
  })
})
