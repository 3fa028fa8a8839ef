/**
 * The v1 file list of an `info` dictionary, read as libtorrent 2.0 reads it:
 * padding files may lack a `path`, symlinks take no room in the piece stream,
 * and files whose sanitised paths collide are renamed (`bar.txt` →
 * `bar.1.txt`) instead of refusing the torrent.
 * @see BEP 3, BEP 47
 */
import { utf8Lenient } from '../bencode/read-dict.js'
import type { BDict, BValue } from '../bencode/types.js'
import { isBDict } from '../bencode/types.js'
import { MetainfoError } from '../errors.js'
import type { TorrentFile } from './types.js'
import { sanitizePath, sanitizeSymlinkTarget, type SanitizeOptions } from './sanitize-path.js'

/** Where what was tolerated is reported: one human-readable line each. */
export type ToleratedLog = string[]

export interface FileListLimits {
  readonly maxFileLength: number
  readonly path: SanitizeOptions
}

/** A file as read from one entry, before offsets are assigned. */
export interface RawFile {
  readonly path: string[]
  readonly originalPath: readonly string[]
  readonly length: number
  attr: string
  readonly padding: boolean
  symlinkPath?: readonly string[]
}

const fail = (code: string, message: string, details?: Record<string, unknown>): MetainfoError =>
  new MetainfoError(code, message, details === undefined ? {} : { details })

/**
 * At most this many `file renamed:` lines for paths changed by sanitising,
 * and as many again for renames after collisions; one last line counts the rest.
 */
export const MAX_RENAME_LINES = 32

/** Logs up to {@link MAX_RENAME_LINES} lines, then counts; `finish` adds `and N more files renamed`. */
function renameLog (log: ToleratedLog): { add: (line: string) => void, finish: () => void } {
  let count = 0
  return {
    add: (line) => { if (count++ < MAX_RENAME_LINES) log.push(line) },
    finish: () => { if (count > MAX_RENAME_LINES) log.push(`and ${count - MAX_RENAME_LINES} more files renamed`) }
  }
}

/** BitComet's padding files carry no `p` attribute, only this in their name (libtorrent flags them too). */
const BITCOMET_PAD = '_____padding_file_'

/** A short description of a bencoded value's type, for error messages. Never throws. */
export function typeName (v: BValue | undefined): string {
  if (v === undefined) return 'missing'
  if (typeof v === 'number' || typeof v === 'bigint') return 'an integer'
  if (v instanceof Uint8Array) return 'a byte string'
  return Array.isArray(v) ? 'a list' : 'a dictionary'
}

/** BEP 47 `attr`, decoded leniently; empty when absent or not a string. */
export function readAttr (entry: BDict): string {
  return entry.attr instanceof Uint8Array ? utf8Lenient(entry.attr) : ''
}

/**
 * A file's length: 0 for a symlink (whatever it says), else a non-negative
 * integer up to `maxFileLength`.
 * @throws MetainfoError `bad-file-length`
 */
export function readLength (entry: BDict, attr: string, index: number, maxFileLength: number, log: ToleratedLog, label: string): number {
  const length = entry.length
  if (attr.includes('l')) {
    if (length !== undefined && length !== 0) log.push(`symlink ${label} states a length of ${String(typeof length === 'object' ? typeName(length) : length)}; it takes no room`)
    return 0
  }
  if (typeof length !== 'number' || length < 0 || length > maxFileLength) {
    throw fail('bad-file-length', `file length must be an integer in 0..${maxFileLength}, got ${typeof length === 'number' ? length : typeName(length)}`, { file: index })
  }
  return length
}

/**
 * Read every entry of `info.files`. `name` is the sanitised torrent name, used
 * only for BitComet padding detection. Each path that sanitising changes is
 * logged (`file renamed: ../evil -> evil`, relative to the torrent folder;
 * padding files are not), at most {@link MAX_RENAME_LINES} lines.
 * @throws MetainfoError `bad-file`, `bad-file-length`, `missing-path`,
 *   `bad-path`; PathError `path-too-deep`
 */
export function readFileList (list: readonly BValue[], name: string, limits: FileListLimits, log: ToleratedLog): RawFile[] {
  const renamed = renameLog(log)
  const files = list.map((entry, index) => {
    if (!isBDict(entry)) throw fail('bad-file', `file entry is ${typeName(entry)}, not a dictionary`, { file: index })
    const file = readEntry(entry, index, name, limits, log)
    if (!file.padding && !sameStrings(file.path, file.originalPath)) renamed.add(`file renamed: ${file.originalPath.join('/')} -> ${file.path.join('/')}`)
    return file
  })
  renamed.finish()
  return files
}

function readEntry (entry: BDict, index: number, name: string, limits: FileListLimits, log: ToleratedLog): RawFile {
  let attr = readAttr(entry)
  const raw = rawPath(entry, index)
  let padding = attr.includes('p')
  const length = readLength(entry, attr, index, limits.maxFileLength, log, `#${index}`)
  let path: string[]
  let originalPath: string[]
  if (raw === undefined) {
    if (!padding) throw fail('missing-path', 'file entry has no path', { file: index })
    path = ['.pad', String(length)]
    originalPath = path
    log.push(`padding file #${index} has no path`)
  } else {
    path = sanitizePath(raw, limits.path)
    originalPath = raw.map(utf8Lenient)
  }
  if (!padding && [name, ...path].join('/').includes(BITCOMET_PAD)) padding = true
  let symlinkPath: string[] | undefined
  if (attr.includes('l')) {
    symlinkPath = readSymlink(entry, index, limits.path)
    if (symlinkPath === undefined) attr = attr.replaceAll('l', '')
  }
  const file: RawFile = { path, originalPath, length, attr, padding }
  return symlinkPath === undefined ? file : { ...file, symlinkPath }
}

/** `path.utf-8` when it is a list, else `path`; undefined when neither is a non-empty list. */
function rawPath (entry: BDict, index: number): Uint8Array[] | undefined {
  const p = Array.isArray(entry['path.utf-8']) ? entry['path.utf-8'] : entry.path
  if (!Array.isArray(p) || p.length === 0) return undefined
  if (!p.every((c) => c instanceof Uint8Array)) throw fail('bad-path', 'a path component is not a byte string', { file: index })
  return p as Uint8Array[]
}

/** A symlink's sanitised target; undefined (a plain empty file) when absent or unsafe. */
function readSymlink (entry: BDict, index: number, opts: SanitizeOptions): string[] | undefined {
  const target = entry['symlink path']
  if (!Array.isArray(target)) return undefined
  if (!target.every((t) => t instanceof Uint8Array)) throw fail('bad-path', 'a symlink path component is not a byte string', { file: index })
  return sanitizeSymlinkTarget(target as Uint8Array[], opts)
}

/**
 * Give contiguous offsets to the files, in order, as compact objects (a
 * 100,000-file torrent keeps them all for as long as it runs): every file of
 * one shape, path arrays of their exact size, `originalPath` the very array
 * of `path` when the two are equal, and one string per distinct directory
 * component.
 * @throws MetainfoError `total-too-large`
 */
export function assignOffsets (files: readonly RawFile[]): { files: TorrentFile[], total: number } {
  let total = 0
  const names = new Map<string, string>()
  const out = files.map((f, index) => {
    const path = compactPath(f.path, names)
    const originalPath = sameStrings(f.path, f.originalPath) ? path : f.originalPath.slice()
    const file: TorrentFile = f.symlinkPath === undefined
      ? { path, originalPath, length: f.length, offset: total, attr: f.attr, padding: f.padding }
      : { path, originalPath, length: f.length, offset: total, attr: f.attr, padding: f.padding, symlinkPath: f.symlinkPath }
    total += f.length
    if (total > Number.MAX_SAFE_INTEGER) throw fail('total-too-large', 'total length overflows', { file: index })
    return file
  })
  return { files: out, total }
}

/** A copy of `path` of its exact length, its directory components shared through `names`. */
function compactPath (path: readonly string[], names: Map<string, string>): string[] {
  const out = new Array<string>(path.length)
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string
    if (i === path.length - 1) { out[i] = c; continue }
    const known = names.get(c)
    if (known === undefined) names.set(c, c)
    out[i] = known ?? c
  }
  return out
}

function sameStrings (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i])
}

/** ASCII lower case: libtorrent compares paths for collisions this way, so `A.txt` and `a.txt` collide. */
function foldCase (path: string): string {
  return path.replace(/[A-Z]+/g, (m) => m.toLowerCase())
}

/**
 * Rename files whose paths collide with an earlier file or with any
 * directory (padding files' directories included; ASCII case ignored), as
 * libtorrent does: `dir/bar.txt` becomes `dir/bar.1.txt`, then `.2`…, the
 * number going before the last extension. Padding files themselves are left
 * alone (they are never written). Each rename is logged, at most
 * {@link MAX_RENAME_LINES} lines.
 */
export function renameCollisions (files: RawFile[], log: ToleratedLog): void {
  const renamed = renameLog(log)
  const taken = new Set<string>()
  for (const f of files) {
    for (let i = 1; i < f.path.length; i++) taken.add(foldCase(f.path.slice(0, i).join('/')))
  }
  for (const f of files) {
    if (f.padding) continue
    const key = f.path.join('/')
    if (!taken.has(foldCase(key))) { taken.add(foldCase(key)); continue }
    const leaf = f.path[f.path.length - 1] as string
    const dot = leaf.lastIndexOf('.')
    const base = dot < 0 ? leaf : leaf.slice(0, dot)
    const ext = dot < 0 ? '' : leaf.slice(dot)
    const dir = f.path.slice(0, -1)
    for (let n = 1; ; n++) {
      const candidate = [...dir, `${base}.${n}${ext}`]
      const k = candidate.join('/')
      if (taken.has(foldCase(k))) continue
      taken.add(foldCase(k))
      renamed.add(`file renamed: ${key} -> ${k}`)
      f.path.splice(0, f.path.length, ...candidate)
      break
    }
  }
  renamed.finish()
}

/**
 * A symlink must point at another file or a directory of the torrent (padding
 * included; its target is relative to the torrent's root, checked before
 * renames); any other becomes a plain empty file, as libtorrent neutralises
 * it, and is logged.
 * @see BEP 47
 */
export function dropDanglingSymlinks (files: RawFile[], log: ToleratedLog): void {
  if (!files.some(f => f.symlinkPath !== undefined)) return
  const present = new Set<string>()
  for (const f of files) {
    for (let i = 1; i <= f.path.length; i++) present.add(f.path.slice(0, i).join('/'))
  }
  for (const f of files) {
    if (f.symlinkPath === undefined) continue
    const target = f.symlinkPath.join('/')
    if (present.has(target) && target !== f.path.join('/')) continue
    log.push(`symlink ${f.path.join('/')} points outside the torrent (${target}); it is an empty file`)
    delete f.symlinkPath
    f.attr = f.attr.replaceAll('l', '')
  }
}
