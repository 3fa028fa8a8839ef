import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consumerTsconfig, CONSUMER_SOURCE } from './consumer.js'
import { installTarball, packPackage, ROOT, sh, type Packed } from './pack.js'

/** The tarball's bound, gzipped: 1.3 MB (it is ~0.99 MB: compiled JavaScript, declarations, maps and the sources they point at, the engine, session with its limits and UDP socket, and simulator included); it catches tests, benchmarks or data packed by mistake. */
const MAX_PACKED_BYTES = 1_300_000
/** The bound on the unpacked files: 5.5 MB (~4.15 MB now, 1,360 files; none of them tests, benchmarks or data). */
const MAX_UNPACKED_BYTES = 5_500_000

/** What the tarball may hold: the manifest, the readme and licence, the bin, dist/ of the three layers, and their TypeScript sources. */
const ALLOWED = /^(package\.json|README\.md|LICENSE|bin\/rxtorrent\.js|dist\/(lib|operators|pipelines)\/[\w./-]+\.(js|js\.map|d\.ts|d\.ts\.map)|(lib|operators|pipelines)\/[\w./-]+\.ts)$/
/** What it must never hold, wherever it sits: tests, property tests, benchmarks, CI, docs. */
const FORBIDDEN = /(^|\/)(test|tests|property-tests|bench|\.ci|docs|fixtures)\/|\.(test|spec)\.[jt]s$/

const node = process.execPath

/**
 * Packs the package as it would be published, installs the tarball into a
 * fresh project with no network (`npm ci --offline` from the npm cache), and
 * uses it as a user would: plain Node, require(), strict TypeScript, the CLI.
 */
describe('the npm package', () => {
  let work: string
  let packed: Packed
  let consumer: string

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'rxtorrent-package-'))
    packed = await packPackage(work)
    consumer = join(work, 'consumer')
    await installTarball(consumer, packed, ['@types/node', 'rxjs'])
  }, 180_000)

  afterAll(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true })
  })

  it(`holds only the build, its sources and the bin, under ${MAX_PACKED_BYTES} bytes`, () => {
    const paths = packed.files.map((f) => f.path)
    expect(paths.filter((p) => FORBIDDEN.test(p))).toEqual([])
    expect(paths.filter((p) => !ALLOWED.test(p))).toEqual([])
    for (const layer of ['pipelines', 'operators', 'lib', 'pipelines/sim']) {
      for (const ext of ['js', 'd.ts', 'js.map', 'd.ts.map']) expect(paths).toContain(`dist/${layer}/index.${ext}`)
      expect(paths).toContain(`${layer}/index.ts`)
    }
    expect(paths).toContain('dist/pipelines/cli/main.js')
    expect(paths).toContain('bin/rxtorrent.js')
    expect(paths).not.toContain('tsconfig.json')
    expect(packed.size).toBeLessThanOrEqual(MAX_PACKED_BYTES)
    expect(packed.unpackedSize).toBeLessThanOrEqual(MAX_UNPACKED_BYTES)
  })

  it('depends only on what it runs, and its declarations import no untyped module', async () => {
    const installed = JSON.parse(await readFile(join(consumer, 'node_modules/rxtorrent/package.json'), 'utf8')) as { dependencies: Record<string, string> }
    expect(Object.keys(installed.dependencies).sort()).toEqual(['bencode', 'it-pipe', 'rxjs'])
    const modules = await readdir(join(consumer, 'node_modules'))
    for (const dev of ['tsx', 'esbuild', 'typescript', 'vitest', 'fast-check']) expect(modules).not.toContain(dev)
    const dts = packed.files.map((f) => f.path).filter((p) => p.endsWith('.d.ts'))
    for (const path of dts) {
      const text = await readFile(join(consumer, 'node_modules/rxtorrent', path), 'utf8')
      expect(text, path).not.toMatch(/from 'bencode'|import\('bencode'\)/)
    }
  })

  it('ships the sources its source maps and declaration maps point at', async () => {
    const paths = new Set(packed.files.map((f) => f.path))
    const maps = [...paths].filter((p) => p.endsWith('.map'))
    expect(maps.length).toBeGreaterThan(100)
    const missing: string[] = []
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(join(consumer, 'node_modules/rxtorrent', map), 'utf8')) as { sources: string[] }
      for (const source of sources) {
        const target = posix.join(posix.dirname(map), source)
        if (!paths.has(target)) missing.push(`${map} -> ${target}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('imports from every entry point under plain node and downloads from an in-process seed', async () => {
    await writeFile(join(consumer, 'download.mjs'), await readFile(join(ROOT, 'test/package/fixtures/download.mjs')))
    const out = await sh(node, ['download.mjs'], consumer)
    expect(out).toMatch(/^downloaded 81797 bytes, 5\/5 pieces$/m)
  }, 60_000)

  it('runs a simulated swarm from rxtorrent/sim under plain node', async () => {
    await writeFile(join(consumer, 'sim.mjs'), await readFile(join(ROOT, 'test/package/fixtures/sim.mjs')))
    const out = await sh(node, ['sim.mjs'], consumer)
    expect(out).toMatch(/^simulated 3\/3 leechers, complete: true$/m)
  }, 60_000)

  it('loads with require() (Node 20.19 and later load ESM from require)', async () => {
    await writeFile(join(consumer, 'require.cjs'), [
      "const { download } = require('rxtorrent')",
      "const { decodeFrames } = require('rxtorrent/operators')",
      "const { Bitfield } = require('rxtorrent/lib')",
      "const { simulateSwarm } = require('rxtorrent/sim')",
      'console.log(typeof download, typeof decodeFrames, typeof Bitfield, typeof simulateSwarm)'
    ].join('\n'))
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
    if (major > 20 || (major === 20 && minor >= 19)) {
      expect((await sh(node, ['require.cjs'], consumer)).trim()).toBe('function function function function')
    } else {
      await expect(sh(node, ['require.cjs'], consumer)).rejects.toThrow(/ES Module/)
    }
  }, 30_000)

  it.each(['node16', 'bundler'] as const)('compiles a strict TypeScript consumer (%s resolution, skipLibCheck off) and runs it', async (resolution) => {
    await writeFile(join(consumer, 'index.ts'), CONSUMER_SOURCE)
    await writeFile(join(consumer, `tsconfig.${resolution}.json`), consumerTsconfig(resolution))
    await sh(node, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', `tsconfig.${resolution}.json`], consumer, 90_000)
    const result = JSON.parse(await sh(node, [`out-${resolution}/index.js`], consumer)) as Record<string, unknown>
    expect(result).toEqual({ pieces: 4, frame: 'interested', range: { start: 0, end: 9 }, decodeFrames: 'function', streamTorrent: 'function', httpPort: 0, simulateSwarm: 'function' })
  }, 90_000)

  it('installs a rxtorrent command that runs the compiled CLI: --version, and create then info', async () => {
    const bin = join(consumer, 'node_modules/.bin/rxtorrent')
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    expect((await sh(bin, ['--version'], consumer)).trim()).toBe(`rxtorrent ${version}`)
    await writeFile(join(consumer, 'file.bin'), new Uint8Array(40_000).map((_, i) => i & 0xff))
    const created = (await sh(bin, ['create', 'file.bin', '-o', 'file.torrent', '--piece-length', '16384'], consumer)).trim()
    const info = JSON.parse(await sh(bin, ['info', 'file.torrent', '--json'], consumer)) as Record<string, unknown>
    expect(info).toMatchObject({ name: 'file.bin', length: 40_000, pieceLength: 16384, pieceCount: 3 })
    expect(created).toContain(info['infoHash'] as string)
  }, 30_000)
})
