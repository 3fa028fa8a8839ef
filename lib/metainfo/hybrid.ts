/**
 * The v2 half of a hybrid torrent, checked as libtorrent 2.0 checks it: a
 * torrent whose v2 half is broken, or describes other files than its v1
 * half, is refused. rxtorrent transfers hybrids over their v1 half.
 * @see BEP 52 (`meta version`, `file tree`, `piece layers`), BEP 47 (padding)
 */
import { utf8Lenient } from '../bencode/read-dict.js'
import type { BDict, BValue } from '../bencode/types.js'
import { isBDict } from '../bencode/types.js'
import { MetainfoError } from '../errors.js'
import type { TorrentFile } from './types.js'
import { sanitizePath, type SanitizeOptions } from './sanitize-path.js'

/** What the v1 half says, after sanitising and renaming. */
export interface V1Half {
  readonly name: string
  readonly multiFile: boolean
  readonly pieceLength: number
  readonly files: readonly TorrentFile[]
}

/** One file of a v2 `file tree`. */
interface V2File {
  readonly path: readonly string[]
  readonly length: number
  /** The `pieces root` decoded leniently (as `piece layers` keys are), absent for empty files and symlinks. */
  readonly root?: string
}

const fail = (code: string, message: string): MetainfoError => new MetainfoError(code, message)
const MIN_V2_PIECE_LENGTH = 16384
const utf8 = new TextEncoder()

/**
 * Check the v2 half of `info` against its v1 half; returns the v2 files'
 * expected piece-layer sizes by `pieces root` (empty for a v1 torrent).
 * @throws MetainfoError `bad-meta-version` (v2 keys without `meta version` 2,
 *   or an unknown version), `bad-file-tree`, `bad-piece-length` (a v2 piece
 *   length is a power of two of at least 16 KiB), `hybrid-mismatch`
 * @see BEP 52
 */
export function checkHybrid (info: BDict, v1: V1Half, path: SanitizeOptions): Map<string, number> {
  const version = info['meta version']
  const tree = info['file tree']
  if (version === undefined || version === 1) {
    if (tree !== undefined) throw fail('bad-meta-version', 'the torrent has v2 keys (file tree) but no meta version 2')
    return new Map()
  }
  if (version !== 2) throw fail('bad-meta-version', 'unknown meta version')
  if (!isBDict(tree)) throw fail('bad-file-tree', 'the v2 torrent has no file tree')
  const pl = v1.pieceLength
  if (pl < MIN_V2_PIECE_LENGTH || (pl & (pl - 1)) !== 0) throw fail('bad-piece-length', `a v2 piece length is a power of two of at least 16 KiB, got ${pl}`)
  const v2 = flattenTree(tree, path)
  compareHalves(v1, v2)
  const layers = new Map<string, number>()
  for (const f of v2) if (f.root !== undefined && f.length > pl) layers.set(f.root, 32 * Math.ceil(f.length / pl))
  return layers
}

/**
 * Check a torrent's `piece layers` against the sizes {@link checkHybrid}
 * expects: each layer is a byte string of whole 32-byte hashes, of the right
 * count for its file. Layers may be missing (they are fetched from peers);
 * a `piece layers` that is not a dictionary is ignored, as libtorrent does.
 * @throws MetainfoError `bad-piece-layers`
 * @see BEP 52
 */
export function checkPieceLayers (layers: BValue | undefined, expected: ReadonlyMap<string, number>): void {
  // libtorrent ignores a piece layers that is not a dictionary
  if (!isBDict(layers) || expected.size === 0) return
  for (const [root, value] of Object.entries(layers)) {
    const want = expected.get(root)
    if (!(value instanceof Uint8Array) || value.length % 32 !== 0 || (want !== undefined && value.length !== want)) {
      throw fail('bad-piece-layers', 'a piece layer is invalid')
    }
  }
}

/** The files of a `file tree` in tree order (keys by their bytes), with paths sanitised. */
function flattenTree (tree: BDict, path: SanitizeOptions): V2File[] {
  if (tree[''] !== undefined) throw fail('bad-file-tree', 'the file tree root is a file')
  const out: V2File[] = []
  const maxDepth = path.maxDepth ?? 100
  const walk = (node: BDict, at: string[]): void => {
    if (at.length > maxDepth) throw fail('bad-file-tree', `the file tree is deeper than ${maxDepth}`)
    for (const key of sortedKeys(node)) {
      const child = node[key]
      if (!isBDict(child)) throw fail('bad-file-tree', 'a file tree node is not a dictionary')
      const leaf = child['']
      if (leaf === undefined) { walk(child, [...at, key]); continue }
      if (Object.keys(child).length !== 1 || !isBDict(leaf)) throw fail('bad-file-tree', 'a file tree leaf has siblings or is not a dictionary')
      // libtorrent finds such a file unlike its v1 twin (or, when empty, puts it at the folder's own path)
      if (key === '.' || key === '..') throw fail('bad-file-tree', `a v2 file is named "${key}"`)
      out.push(readLeaf(leaf, sanitizePath([...at, key], path)))
    }
  }
  walk(tree, [])
  if (out.length === 0) throw fail('bad-file-tree', 'the file tree has no files')
  return out
}

function readLeaf (leaf: BDict, path: string[]): V2File {
  const attr = leaf.attr instanceof Uint8Array ? utf8Lenient(leaf.attr) : ''
  if (attr.includes('p')) throw fail('bad-file-tree', 'a v2 file is a padding file')
  const symlink = attr.includes('l') && Array.isArray(leaf['symlink path'])
  const length = attr.includes('l') ? 0 : leaf.length
  if (typeof length !== 'number' || length < 0) throw fail('bad-file-tree', 'a v2 file has no valid length')
  if (symlink || (length === 0 && leaf['pieces root'] === undefined)) return { path, length }
  const root = leaf['pieces root']
  if (!(root instanceof Uint8Array) || root.length !== 32 || (length > 0 && root.every((b) => b === 0))) {
    throw fail('bad-file-tree', 'a v2 file has no pieces root')
  }
  return length === 0 ? { path, length } : { path, length, root: utf8Lenient(root) }
}

function sortedKeys (node: BDict): string[] {
  const keyed = Object.keys(node).map((k) => ({ k, b: utf8.encode(k) }))
  keyed.sort((x, y) => compareBytes(x.b, y.b))
  return keyed.map((x) => x.k)
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number)
  return a.length - b.length
}

/**
 * As libtorrent 2.0.8 compares the halves (worked out against it): leave out
 * the v1 padding entries (`attr` `p`), each of which must fill up to a piece
 * boundary from where it starts; what remains lines up index by index with
 * the v2 files, each pair both empty or padding (a BitComet-named v1 file is
 * padding), or the same non-empty file: path, size, and offset on the piece
 * boundary v2 puts it at. Empty files' names are not compared.
 */
function compareHalves (v1: V1Half, v2: readonly V2File[]): void {
  const mismatch = (why: string): MetainfoError => fail('hybrid-mismatch', `the v1 and v2 file metadata do not match: ${why}`)
  const pl = v1.pieceLength
  const files = v1.files.filter((f) => {
    if (!f.attr.includes('p')) return true
    if (f.offset % pl === 0 || (f.offset + f.length) % pl !== 0) throw mismatch(`a padding entry at ${f.offset} does not fill up to a piece boundary`)
    return false
  })
  if (files.length !== v2.length) throw mismatch(`${files.length} v1 files, ${v2.length} in v2`)
  let offset = 0
  v2.forEach((g, i) => {
    const f = files[i] as TorrentFile
    const v1Path = v1.multiFile ? f.path.join('/') : v1.name
    const relevant = !f.padding && f.length > 0
    if (g.length === 0) {
      if (relevant) throw mismatch(`${v1Path} is empty in v2`)
      return
    }
    if (!relevant) throw mismatch(`entry ${i} is empty or padding in v1, ${g.path.join('/')} in v2`)
    const at = Math.ceil(offset / pl) * pl
    offset = at + g.length
    const v2Path = !v1.multiFile && v2.length === 1 ? v1.name : g.path.join('/')
    if (v1Path !== v2Path) throw mismatch(`${v1Path} is ${v2Path} in v2`)
    if (f.length !== g.length) throw mismatch(`${v1Path} is ${f.length} bytes in v1, ${g.length} in v2`)
    if (f.offset !== at) throw mismatch(`${v1Path} is not aligned to a piece as in v2`)
  })
}
