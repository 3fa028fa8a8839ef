/**
 * Source layouts for the interop tests and the per-test workspace: a temp
 * directory with `src/<name>` (the complete data, which is also the seeders'
 * save path), `out/` for the downloader, and the .torrent file.
 */
import { join } from 'node:path'
import { compareFiles, compareTrees, makeTempDir, removeDir, writeDeterministicFile, writeTree } from './data.js'
import type { FileSpec } from './data.js'
import { makeTorrent } from './torrents.js'
import type { TorrentCreator } from './torrents.js'

/** A single-file torrent's content, or a multi-file torrent's tree. */
export type Layout =
  | { kind: 'single', name: string, size: number }
  | { kind: 'multi', name: string, files: readonly FileSpec[] }

/** One test's directories and .torrent. */
export interface Workspace {
  root: string
  /** Seeders' save path: holds `<name>`. */
  src: string
  /** Downloaders' save path. */
  out: string
  torrent: string
  layout: Layout
  /** Compares `out/<name>` with `src/<name>`; returns the differences. */
  compare: (outDir?: string) => Promise<string[]>
  /** Total bytes of content. */
  totalSize: number
}

const workspaces = new Set<string>()

/**
 * Writes the data for `layout` (deterministic, seeded by `seed`) and a
 * .torrent for it made by `creator`, announcing to `trackers` if any.
 */
export async function makeWorkspace (layout: Layout, creator: TorrentCreator, pieceLength: number, seed: string,
  trackers: readonly string[] = []): Promise<Workspace> {
  const root = await makeTempDir()
  workspaces.add(root)
  const src = join(root, 'src')
  const out = join(root, 'out')
  if (layout.kind === 'single') await writeDeterministicFile(join(src, layout.name), layout.size, seed)
  else await writeTree(join(src, layout.name), layout.files, seed)
  const torrent = join(root, `${layout.name}.torrent`)
  await makeTorrent(creator, join(src, layout.name), torrent, pieceLength, trackers)
  const totalSize = layout.kind === 'single' ? layout.size : layout.files.reduce((n, f) => n + f.size, 0)
  return {
    root,
    src,
    out,
    torrent,
    layout,
    totalSize,
    compare: async (outDir = out) => {
      if (layout.kind === 'multi') return await compareTrees(join(src, layout.name), join(outDir, layout.name))
      const diff = await compareFiles(join(src, layout.name), join(outDir, layout.name))
      return diff === undefined ? [] : [diff]
    }
  }
}

/** Removes every workspace made so far. */
export async function removeWorkspaces (): Promise<void> {
  for (const root of workspaces) await removeDir(root)
  workspaces.clear()
}

const KiB = 1024
const MiB = 1024 * KiB

/** A multi-file tree with zero-length files first, in a subdirectory and last. */
export function mixedTree (scale: number): FileSpec[] {
  return [
    { path: '0-empty-first.dat', size: 0 },
    { path: 'a.bin', size: Math.round(0.7 * MiB * scale) + 3 },
    { path: 'sub/b.bin', size: Math.round(1.3 * MiB * scale) + 7 },
    { path: 'sub/empty.txt', size: 0 },
    { path: 'sub/deeper/c.txt', size: 17 },
    { path: 'z.bin', size: Math.round(0.5 * MiB * scale) + 11 },
    { path: 'zz-empty-last.dat', size: 0 }
  ]
}

export { KiB, MiB }
