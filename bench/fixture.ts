/**
 * The benchmarks' test data: one single-file torrent of deterministic bytes,
 * made by libtorrent's `create_torrent`, kept under `<dir>/<size>MiB-<piece>KiB/`
 * and reused by later runs with the same parameters. A torrent with
 * announce URLs (`trackers`) gets its own .torrent file over the same data.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { sha1File, writeDeterministicFile } from '../test/interop/helpers/data.js'
import { ltCreateTorrent } from '../test/interop/helpers/lt-peer.js'

/** The data and .torrent of one benchmark. */
export interface Prepared {
  /** The folder holding the data file (libtorrent's save path, and `rxtorrent seed --data`). */
  dataDir: string
  /** The .torrent file. */
  torrent: string
  /** The data file's name. */
  name: string
  /** SHA-1 of the whole data file, to check downloads against. */
  sha1: string
}

const SEED = 'rxtorrent-bench-v1'

/**
 * Generates the data and the .torrent once; later calls with the same
 * parameters reuse them. `trackers` are written as announce URLs (one tier
 * each) into a .torrent of their own, next to the one without trackers.
 */
export async function prepareTorrent (workDir: string, sizeMiB: number, pieceLengthKiB: number, trackers: readonly string[] = []): Promise<Prepared> {
  const tag = `${sizeMiB}MiB-${pieceLengthKiB}KiB`
  const base = join(workDir, tag)
  const dataDir = join(base, 'data')
  const name = `bench-${sizeMiB}MiB.bin`
  const plain = join(base, `${name}.torrent`)
  const stampPath = join(base, 'stamp.json')
  const stamp = { seed: SEED, sizeMiB, pieceLengthKiB, name }
  let sha1: string | undefined
  if (existsSync(stampPath) && existsSync(plain)) {
    const saved = JSON.parse(await readFile(stampPath, 'utf8')) as typeof stamp & { sha1: string }
    if (saved.seed === SEED && saved.sizeMiB === sizeMiB && saved.pieceLengthKiB === pieceLengthKiB) {
      console.log(`reusing ${base}`)
      sha1 = saved.sha1
    }
  }
  const file = join(dataDir, name)
  if (sha1 === undefined) {
    console.log(`generating ${sizeMiB} MiB of data in ${dataDir} …`)
    await rm(base, { recursive: true, force: true })
    await mkdir(dataDir, { recursive: true })
    await writeDeterministicFile(file, sizeMiB * 1024 * 1024, SEED)
    await ltCreateTorrent(file, plain, pieceLengthKiB * 1024)
    sha1 = await sha1File(file)
    await writeFile(stampPath, JSON.stringify({ ...stamp, sha1 }, null, 2))
  }
  if (trackers.length === 0) return { dataDir, torrent: plain, name, sha1 }
  const tag2 = createHash('sha1').update(trackers.join('\n')).digest('hex').slice(0, 10)
  const withTrackers = join(base, `${name}.trackers-${tag2}.torrent`)
  if (!existsSync(withTrackers)) {
    console.log(`making a .torrent announcing to ${trackers.join(', ')} …`)
    await ltCreateTorrent(file, withTrackers, pieceLengthKiB * 1024, trackers)
  }
  return { dataDir, torrent: withTrackers, name, sha1 }
}

/** `text` as a positive integer for option `--name`. @throws Error naming the option otherwise */
export function positiveInt (name: string, text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${text}`)
  return n
}
