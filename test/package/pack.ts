import { execFile } from 'node:child_process'
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

/** The repository root. */
export const ROOT = join(import.meta.dirname, '../..')

const run = promisify(execFile)

/** What the repository's files are copied from to pack: everything `npm pack` reads or the build needs. */
const PACKED_INPUTS = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'bin', 'lib', 'operators', 'pipelines']

/** One file of `npm pack --json`. */
export interface PackedFile { readonly path: string, readonly size: number }

/** What `npm pack --json` says about the tarball. */
export interface Packed {
  readonly filename: string
  readonly size: number
  readonly unpackedSize: number
  readonly integrity: string
  readonly files: readonly PackedFile[]
}

/** Runs a command, resolving with its stdout; rejects with its stderr in the message. */
export async function sh (file: string, args: readonly string[], cwd: string, timeoutMs = 60_000, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout } = await run(file, [...args], { cwd, timeout: timeoutMs, env, maxBuffer: 16 << 20 })
    return stdout
  } catch (e) {
    const { stdout = '', stderr = '' } = e as { stdout?: string, stderr?: string }
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}: ${(e as Error).message}\n${stdout}\n${stderr}`)
  }
}

/**
 * Packs the package as `npm pack` does (its `prepack` and `prepare` scripts
 * build a fresh dist/), from a copy of the checkout in `work/src` so the
 * checkout's own dist/ is never rebuilt under a running test. The tarball
 * lands in `work`.
 */
export async function packPackage (work: string): Promise<Packed> {
  const src = join(work, 'src')
  await mkdir(src)
  for (const name of PACKED_INPUTS) await cp(join(ROOT, name), join(src, name), { recursive: true }).catch((e: unknown) => { if ((e as { code?: string }).code !== 'ENOENT') throw e })
  await symlink(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir')
  const out = await sh('npm', ['pack', '--json', '--pack-destination', work], src, 120_000)
  const [packed] = JSON.parse(out.slice(out.indexOf('['))) as [Packed]
  return packed
}

interface LockEntry {
  readonly version: string
  readonly integrity?: string
  readonly resolved?: string
  readonly license?: string
  readonly dependencies?: Record<string, string>
  readonly optionalDependencies?: Record<string, string>
  readonly bin?: Record<string, string>
  readonly engines?: Record<string, string>
  readonly os?: readonly string[]
  readonly cpu?: readonly string[]
  readonly optional?: boolean
}

/** The lockfile key `dep` resolves to from the package at `from` (node_modules lookup, innermost first). */
function resolveKey (packages: Record<string, LockEntry>, from: string, dep: string): string | undefined {
  let dir = from
  for (;;) {
    const key = `${dir === '' ? '' : `${dir}/`}node_modules/${dep}`
    if (packages[key] !== undefined) return key
    if (dir === '') return undefined
    const at = dir.lastIndexOf('/node_modules/')
    dir = at === -1 ? '' : dir.slice(0, at)
  }
}

/** The repository lockfile's entries for `names` and everything they depend on, without dev flags. */
function lockClosure (packages: Record<string, LockEntry>, names: readonly string[]): Record<string, LockEntry> {
  const out: Record<string, LockEntry> = {}
  const queue: Array<[string, string]> = names.map((n) => ['', n])
  while (queue.length > 0) {
    const [from, dep] = queue.shift() as [string, string]
    const key = resolveKey(packages, from, dep)
    if (key === undefined) {
      if (Object.hasOwn(packages[from]?.optionalDependencies ?? {}, dep)) continue
      throw new Error(`${dep} (needed by ${from === '' ? 'the consumer' : from}) is not in package-lock.json`)
    }
    if (out[key] !== undefined) continue
    const { version, integrity, resolved, license, dependencies, optionalDependencies, bin, engines, os, cpu, optional } = packages[key] as LockEntry
    out[key] = { version, integrity, resolved, license, dependencies, optionalDependencies, bin, engines, os, cpu, optional } as LockEntry
    for (const d of Object.keys({ ...dependencies, ...optionalDependencies })) queue.push([key, d])
  }
  return out
}

/**
 * Makes `dir` a project that depends on the packed tarball (and on `extra`,
 * packages of the repository's lockfile, at its versions), with a lockfile
 * copied from the repository's, and installs it with `npm ci --offline`: the
 * packages come from the npm cache that `npm ci` filled in the checkout, so no
 * network is used.
 */
export async function installTarball (dir: string, packed: Packed, extra: readonly string[]): Promise<void> {
  await mkdir(dir)
  const repoLock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>, bin: Record<string, string>, engines: Record<string, string>, license: string, version: string }
  const tarball = `file:../${packed.filename}`
  const deps: Record<string, string> = { rxtorrent: tarball }
  for (const name of extra) deps[name] = (repoLock.packages[`node_modules/${name}`] as LockEntry).version
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: deps },
    'node_modules/rxtorrent': {
      version: manifest.version, resolved: tarball, integrity: packed.integrity, license: manifest.license,
      dependencies: manifest.dependencies, bin: manifest.bin, engines: manifest.engines
    },
    ...lockClosure(repoLock.packages, [...Object.keys(manifest.dependencies), ...extra])
  }
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: deps }, null, 2))
  await writeFile(join(dir, 'package-lock.json'), JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }, null, 2))
  try {
    await sh('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], dir, 120_000)
  } catch (e) {
    throw new Error(`cannot install the tarball offline (run \`npm ci\` in the checkout to fill the npm cache): ${(e as Error).message}`)
  }
}
