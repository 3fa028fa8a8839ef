/**
 * Makes metainfo paths safe to join under a download directory on any
 * platform. Every file path, the torrent name and every symlink target go
 * through here before anything else sees them.
 * @see BEP 3 (`path`), BEP 47 (`symlink path`), BEP 52
 */
import { LIMITS } from '../constants.js'
import { PathError } from '../errors.js'

/** Options of {@link sanitizePath}. */
export interface SanitizeOptions {
  /** Most components accepted before sanitising. Default `LIMITS.maxPathDepth` (100). */
  readonly maxDepth?: number
  /** Longest component in UTF-8 bytes after sanitising. Default `LIMITS.maxPathElementBytes` (255). */
  readonly maxElementBytes?: number
}

const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true })
const utf8 = new TextEncoder()

/** C0 and C1 controls, DEL, separators, `:` (drive letters, NTFS streams), U+FFFD and lone surrogates → `_`. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f/\\:\uFFFD]|[\uD800-\uDFFF]/gu
/** Bidi embeddings, overrides and isolates, plus the marks: removed. */
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g
const TRAILING = /[. ]+$/
/** Windows device names, matched on the part before the first dot. */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i
/** Longest extension kept when truncating, in bytes (with its dot). */
const MAX_EXTENSION_BYTES = 32

/**
 * Sanitise a path given as components (raw bytes from metainfo, or strings).
 *
 * Per component: bytes decode leniently as UTF-8; `.` and `..` are dropped;
 * `/`, `\`, `:`, control characters, U+FFFD and lone surrogates become `_`;
 * bidi controls are removed; trailing dots and spaces are stripped; an empty
 * result is dropped; a Windows device name (`CON`, `nul.txt`, `COM1`…) gets a
 * `_` prefix; a component over `maxElementBytes` is truncated on a character
 * boundary, keeping its extension. A path left with no component becomes
 * `['_']`. The result is stable: sanitising it again returns it unchanged, and
 * joining it under a root never leaves the root.
 * @throws PathError `path-too-deep` when there are more than `maxDepth` components.
 * @see BEP 3, BEP 52
 */
export function sanitizePath (components: readonly Uint8Array[] | readonly string[], options: SanitizeOptions = {}): string[] {
  const maxDepth = options.maxDepth ?? LIMITS.maxPathDepth
  if (components.length > maxDepth) {
    throw new PathError('path-too-deep', `path of ${components.length} components exceeds ${maxDepth}`, { details: { depth: components.length } })
  }
  const out: string[] = []
  for (const c of components) {
    const safe = sanitizeComponent(c, options)
    if (safe !== undefined) out.push(safe)
  }
  return out.length === 0 ? ['_'] : out
}

/**
 * Sanitise one component as {@link sanitizePath} does; `undefined` when it is
 * dropped (empty, `.`, `..`, or nothing left after sanitising). Never throws.
 */
export function sanitizeComponent (component: Uint8Array | string, options: SanitizeOptions = {}): string | undefined {
  const maxBytes = options.maxElementBytes ?? LIMITS.maxPathElementBytes
  let s = typeof component === 'string' ? component : lenientUtf8.decode(component)
  if (s === '.' || s === '..') return undefined
  s = s.replace(BIDI, '').replace(UNSAFE, '_')
  // Truncation, stripping and the device-name prefix can each expose another
  // case; a few rounds reach a fixed point (each round only shortens or adds
  // the one prefix that makes the name non-reserved).
  for (let round = 0; round < 4; round++) {
    const before = s
    s = s.replace(TRAILING, '')
    if (s === '') return undefined
    if (RESERVED.test((s.split('.')[0] ?? '').trimEnd())) s = '_' + s
    s = truncate(s, maxBytes)
    if (s === before) break
  }
  return s
}

/** Cut `s` to at most `maxBytes` UTF-8 bytes on a code point boundary, keeping a short extension. */
function truncate (s: string, maxBytes: number): string {
  if (utf8.encode(s).length <= maxBytes) return s
  const dot = s.lastIndexOf('.')
  let ext = dot > 0 ? s.slice(dot) : ''
  if (utf8.encode(ext).length > MAX_EXTENSION_BYTES) ext = ''
  const stem = ext === '' ? s : s.slice(0, dot)
  const budget = maxBytes - utf8.encode(ext).length
  let used = 0
  let cut = ''
  for (const ch of stem) {
    const n = utf8.encode(ch).length
    if (used + n > budget) break
    used += n
    cut += ch
  }
  return cut + ext
}

/**
 * Resolve a BEP 47 `symlink path` (components relative to the torrent root)
 * and sanitise it. Returns `undefined` for a target that is absolute (a
 * leading empty component, `/`, `\` or a drive letter) or that climbs above
 * the root with `..`; such a link must not be created.
 * @throws PathError `path-too-deep` as {@link sanitizePath}
 * @see BEP 47
 */
export function sanitizeSymlinkTarget (components: readonly Uint8Array[] | readonly string[], options: SanitizeOptions = {}): string[] | undefined {
  const maxDepth = options.maxDepth ?? LIMITS.maxPathDepth
  if (components.length > maxDepth) {
    throw new PathError('path-too-deep', `symlink path of ${components.length} components exceeds ${maxDepth}`)
  }
  const raw = components.map((c) => typeof c === 'string' ? c : lenientUtf8.decode(c))
  const first = raw[0]
  if (first === undefined || first === '' || /^[/\\]/.test(first) || /^[a-z]:/i.test(first)) return undefined
  const resolved: string[] = []
  for (const c of raw) {
    // A separator inside a component would be neutralised, but in a link target
    // it more likely means traversal: refuse rather than guess.
    if (/[/\\]/.test(c)) return undefined
    if (c === '' || c === '.') continue
    if (c === '..') {
      if (resolved.pop() === undefined) return undefined
      continue
    }
    resolved.push(c)
  }
  if (resolved.length === 0) return undefined
  return sanitizePath(resolved, options)
}
