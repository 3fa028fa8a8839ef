/**
 * The scale benchmark's test data: `count` single-file torrents of
 * deterministic bytes (`t0000.bin` …, all in one save path), their .torrent
 * files, and a list of the .torrent paths one a line. Kept under
 * `<dir>/scale-<count>x<size>KiB-<piece>KiB/` and reused by later runs with
 * the same parameters.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { deterministicBytes } from '../test/interop/helpers/data.js'
import { createTorrentFromPath } from '../pipelines/node/create-torrent.js'

/** Where the scale benchmark's torrents and data are. */
export interface ScaleFixture {
  /** The save path of every torrent (each torrent is one file in it). */
  readonly dataDir: string
  /** A text file listing the .torrent files, one path a line. */
  readonly list: string
  /** The .torrent files, in order. */
  readonly torrents: readonly string[]
  readonly count: number
  /** Bytes per torrent. */
  readonly size: number
  readonly pieceLength: number
}

const SEED = 'rxtorrent-scale-v1'

/** Generates the torrents once; later calls with the same parameters reuse them. */
export async function prepareScaleFixture (workDir: string, count: number, sizeKiB: number, pieceKiB: number): Promise<ScaleFixture> {
  const base = join(workDir, `scale-${count}x${sizeKiB}KiB-${pieceKiB}KiB`)
  const dataDir = join(base, 'data')
  const torrentDir = join(base, 'torrents')
  const list = join(base, 'torrents.txt')
  const stampPath = join(base, 'stamp.json')
  const stamp = JSON.stringify({ seed: SEED, count, sizeKiB, pieceKiB })
  const torrents = Array.from({ length: count }, (_, i) => join(torrentDir, `${name(i)}.torrent`))
  const fixture = { dataDir, list, torrents, count, size: sizeKiB * 1024, pieceLength: pieceKiB * 1024 }
  if (existsSync(stampPath) && await readFile(stampPath, 'utf8') === stamp) {
    console.log(`reusing ${base}`)
    return fixture
  }
  console.log(`generating ${count} torrents of ${sizeKiB} KiB in ${base} …`)
  await rm(base, { recursive: true, force: true })
  await mkdir(dataDir, { recursive: true })
  await mkdir(torrentDir, { recursive: true })
  for (let i = 0; i < count; i++) {
    const file = join(dataDir, `${name(i)}.bin`)
    await writeFile(file, deterministicBytes(`${SEED}-${i}`, sizeKiB * 1024))
    const { bytes } = await createTorrentFromPath(file, { pieceLength: pieceKiB * 1024 })
    await writeFile(torrents[i] as string, bytes)
  }
  await writeFile(list, torrents.join('\n') + '\n')
  await writeFile(stampPath, stamp)
  return fixture
}

function name (i: number): string {
  return `t${String(i).padStart(4, '0')}`
}
