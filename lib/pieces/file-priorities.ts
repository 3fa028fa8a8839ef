import { UsageError } from '../errors.js'
import { Bitfield } from './bitfield.js'

/** What {@link wantedPieces} needs of a file (a `TorrentFile` fits). */
export interface FileSpan {
  /** Absolute offset of the file's first byte in the torrent. */
  readonly offset: number
  readonly length: number
  /** BEP 47 padding file: never wanted for itself. */
  readonly padding: boolean
}

/** What {@link wantedPieces} needs of a torrent (a `Torrent` fits). */
export interface FileLayout {
  readonly files: readonly FileSpan[]
  readonly pieceLength: number
  readonly pieceCount: number
  readonly length: number
}

/**
 * The pieces to download for a file selection: a piece is wanted when it
 * overlaps a selected, non-padding file of non-zero length. A piece shared
 * by a skipped and a selected file is wanted (it cannot be verified
 * otherwise). Linear in files plus wanted pieces; never throws.
 * @see BEP 3 (piece layout), BEP 47 (padding files)
 */
export function wantedPieces (torrent: FileLayout, selected: (fileIndex: number) => boolean): Bitfield {
  const out = new Bitfield(torrent.pieceCount)
  if (torrent.pieceCount === 0 || !(torrent.pieceLength > 0)) return out
  const last = torrent.pieceCount - 1
  torrent.files.forEach((f, i) => {
    if (f.padding || !(f.length > 0) || !selected(i)) return
    const first = Math.min(last, Math.floor(f.offset / torrent.pieceLength))
    const end = Math.min(last, Math.floor((f.offset + f.length - 1) / torrent.pieceLength))
    for (let p = Math.max(0, first); p <= end; p++) out.set(p)
  })
  return out
}

/** What {@link selectFiles} needs of a file (a `TorrentFile` fits). */
export interface NamedFile {
  /** Path components below the torrent's root. */
  readonly path: readonly string[]
  readonly padding?: boolean
}

/**
 * The files chosen by `--only` arguments. Each argument (or comma-separated
 * part of one) is a file index (`0`), an inclusive index range (`2-4`), or a
 * glob on the `/`-joined path ({@link globMatch}); a glob without `/` is
 * matched against the file's last path component, so `*.mkv` finds files
 * in every directory. Globs never select padding files.
 * @throws UsageError `bad-only` when a part is empty, an index or range is out
 *   of bounds or reversed, or a glob matches no file.
 */
export function selectFiles (files: readonly NamedFile[], spec: readonly string[]): Set<number> {
  const out = new Set<number>()
  for (const arg of spec) {
    for (const raw of arg.split(',')) {
      const part = raw.trim()
      if (part === '') throw new UsageError('bad-only', `empty --only selection in ${JSON.stringify(arg)}`, { details: { spec: arg } })
      const range = /^(\d+)(?:-(\d+))?$/.exec(part)
      if (range !== null) {
        const from = Number(range[1])
        const to = range[2] === undefined ? from : Number(range[2])
        if (from > to || to >= files.length) {
          throw new UsageError('bad-only', `--only ${part}: the torrent has files 0..${files.length - 1}`, { details: { spec: part, files: files.length } })
        }
        for (let i = from; i <= to; i++) out.add(i)
        continue
      }
      const basename = !part.includes('/')
      let matched = 0
      files.forEach((f, i) => {
        if (f.padding === true) return
        const subject = basename ? (f.path[f.path.length - 1] ?? '') : f.path.join('/')
        if (globMatch(part, subject)) { out.add(i); matched++ }
      })
      if (matched === 0) throw new UsageError('bad-only', `--only ${part} matches no file`, { details: { spec: part } })
    }
  }
  return out
}

/**
 * Glob match of a `/`-separated path: `*` is any run of characters within
 * one component, `?` one character (not `/`), a component `**` any number
 * of whole components (including none); other characters match
 * themselves. Dynamic programming over components: O(pattern × path);
 * never throws.
 */
export function globMatch (pattern: string, path: string): boolean {
  const pat = pattern.split('/')
  const parts = path.split('/')
  // reach[j]: the pattern prefix consumed so far can end right before parts[j].
  let reach = new Array<boolean>(parts.length + 1).fill(false)
  reach[0] = true
  for (const seg of pat) {
    const next = new Array<boolean>(parts.length + 1).fill(false)
    if (seg === '**') {
      let on = false
      for (let j = 0; j <= parts.length; j++) { on = on || reach[j] === true; next[j] = on }
    } else {
      for (let j = 0; j < parts.length; j++) {
        if (reach[j] === true && componentMatch(seg, parts[j] as string)) next[j + 1] = true
      }
    }
    reach = next
  }
  return reach[parts.length] === true
}

/** Wildcard match of one component: `*` any run, `?` one character. Linear backtracking. */
function componentMatch (pat: string, s: string): boolean {
  let p = 0
  let i = 0
  let star = -1
  let mark = 0
  while (i < s.length) {
    const c = pat[p]
    if (c === '*') {
      star = p++
      mark = i
    } else if (c !== undefined && (c === '?' || c === s[i])) {
      p++
      i++
    } else if (star >= 0) {
      p = star + 1
      i = ++mark
    } else {
      return false
    }
  }
  while (p < pat.length && pat[p] === '*') p++
  return p === pat.length
}
