import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Files of the fixture folder `content/`, with lengths and pattern seeds. */
export const FIXTURE_FILES: Readonly<Record<string, readonly [number, number]>> = {
  'a.txt': [1000, 1],
  'a/x': [40000, 2],
  'a-b/x': [5, 3],
  'sub/deeper/b.bin': [70000, 4],
  'sub/empty': [0, 5]
}

function pattern (n: number, mul: number, add: number): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = (i * mul + add) & 0xff
  return b
}

/** Writes `dir/content/…` and `dir/single.bin`, the content the fixtures in test/fixtures/metainfo were made from. */
export function writeFixtureContent (dir: string): void {
  for (const [p, [n, seed]] of Object.entries(FIXTURE_FILES)) {
    const full = join(dir, 'content', p)
    mkdirSync(join(full, '..'), { recursive: true })
    writeFileSync(full, pattern(n, 31, seed * 7))
  }
  writeFileSync(join(dir, 'single.bin'), pattern(100000, 13, 5))
}

export const FIXTURE_HASHES = {
  'mk-folder.torrent': 'd58980f283d3e738c4ec4eecc59663142a76561b',
  'mk-single.torrent': '5925ac5470e4bf995f1c8109b45e3018e9cbd374',
  'lt-v1-folder.torrent': 'a12f3322f8e35bc43a71569d9e69af7a029ce7cd',
  'lt-hybrid-folder.torrent': '1fdbcb31bf7c6e5459088aa2074b59076e161979'
} as const
