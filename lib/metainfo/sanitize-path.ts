/**
 * Makes metainfo paths safe to join under a download directory, with the
 * same result as libtorrent 2.0, so that a folder saved by libtorrent is
 * found by rxtorrent and the other way round. Every file path, the torrent
 * name and every symlink target go through here before anything else sees
 * them.
 * @see BEP 3 (`path`), BEP 47 (`symlink path`), BEP 52
 */
import { LIMITS } from '../constants.js'
import { PathError } from '../errors.js'

/** Options of {@link sanitizePath}. */
export interface SanitizeOptions {
  /** Most components accepted before sanitising. Default `LIMITS.maxPathDepth` (100). */
  readonly maxDepth?: number
  /**
   * A component is cut once it reaches this many UTF-8 bytes (characters
   * with `windows`), keeping an extension found in its last 10 bytes, as
   * libtorrent does. Default 240; the result is at most 12 bytes longer.
   */
  readonly maxElementBytes?: number
  /**
   * Apply libtorrent's Windows rules too: `? < > " | * :` and backspace
   * become `_`, trailing dots and spaces are removed, and a device name
   * (`CON`, `nul.txt`, `COM1`…) gets a `_` prefix. Default `false`.
   */
  readonly windows?: boolean
}

/** Where libtorrent cuts a long component (bytes, or characters on Windows). */
export const TRUNCATE_AT = 240
/** An extension is kept when its dot lies in the last this-many bytes. */
const EXTENSION_WINDOW = 10

/** Removed, as libtorrent does: NUL, and the bidi embeddings, overrides and marks. */
const LT_FILTERED = new Set([0, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x200e, 0x200f])
const SLASH = 0x2f
const BACKSLASH = 0x5c
const DOT = 0x2e
const WINDOWS_INVALID = new Set([...'?<>"|*:\b'].map((c) => c.charCodeAt(0)))
/** Windows device names, matched on the part before the last dot. */
const RESERVED = /^(con|prn|aux|clock\$|nul|com[0-9]|lpt[0-9])$/i

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * Sanitise a path given as components (raw bytes from metainfo, or strings),
 * as libtorrent's `sanitize_append_path_element` does on each one: `.`, `..`
 * and components that are only removed characters are dropped; an empty
 * component becomes `_`; `/`, `\`, NUL and bidi controls are removed; other
 * control characters and each invalid UTF-8 sequence become `_`; a long component is
 * cut (see {@link SanitizeOptions.maxElementBytes}). A path left with no
 * component becomes `['_']`. Joining the result under a root never leaves it.
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
 * dropped (`.`, `..`, or nothing but removed characters). Never throws.
 */
export function sanitizeComponent (component: Uint8Array | string, options: SanitizeOptions = {}): string | undefined {
  const bytes = typeof component === 'string' ? encodeWithSurrogates(component) : component
  const windows = options.windows === true
  if (bytes.length === 1 && bytes[0] === DOT) return undefined
  if (bytes.length === 0) return '_'
  const limit = options.maxElementBytes ?? TRUNCATE_AT
  if (!windows && bytes.length < limit && isPlainAscii(bytes)) {
    // The common case, with the same result as the loop below and no garbage per byte.
    return bytes.length <= 2 && bytes.every(b => b === DOT) ? undefined : utf8Decoder.decode(bytes)
  }
  const out: number[] = []
  let added = 0
  let chars = 0
  let dots = 0
  let foundExtension = false
  for (let i = 0; i < bytes.length;) {
    const [cp, len] = parseCodePoint(bytes, i)
    const at = i
    i += len
    if (cp >= 0 && (cp === SLASH || cp === BACKSLASH || LT_FILTERED.has(cp))) continue
    if (cp < 0 || cp < 0x20 || (windows && WINDOWS_INVALID.has(cp))) {
      out.push(0x5f)
      added++
      chars++
      continue
    }
    for (let k = at; k < i; k++) out.push(bytes[k] as number)
    if (cp === DOT) dots++
    added += len
    chars++
    if ((windows ? chars : added) >= limit && !foundExtension) {
      const dot = extensionDot(bytes, at)
      if (dot < 0) break
      foundExtension = true
      i = dot
    }
  }
  if (added === dots && added <= 2) return undefined
  let s = utf8Decoder.decode(new Uint8Array(out))
  if (windows) {
    s = s.replace(/[. ]+$/, '')
    if (s === '') return undefined
    const dot = s.lastIndexOf('.')
    if (RESERVED.test(dot < 0 ? s : s.slice(0, dot))) s = '_' + s
  }
  return s
}

/** Whether every byte is printable ASCII (or DEL) other than `/` and `\\`: nothing to remove or replace. */
function isPlainAscii (bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number
    if (b < 0x20 || b > 0x7f || b === SLASH || b === BACKSLASH) return false
  }
  return true
}

/** Index of a dot in the last {@link EXTENSION_WINDOW} bytes, after `after`; -1 when none. */
function extensionDot (bytes: Uint8Array, after: number): number {
  for (let j = bytes.length - 1; j > Math.max(bytes.length - EXTENSION_WINDOW, after); j--) {
    if (bytes[j] === DOT) return j
  }
  return -1
}

/**
 * One code point at `i` as libtorrent 2.0.8's `parse_utf8_codepoint` reads
 * it: `[codePoint, byteLength]`, with a negative code point for an invalid
 * sequence. A lead byte announces 2 to 5 bytes (`0xf8`–`0xfb` five, never
 * valid) and that many are consumed, or the rest of the input when shorter,
 * whatever they hold; any other non-ASCII byte is one invalid byte.
 */
export function parseCodePoint (bytes: Uint8Array, i: number): [number, number] {
  const c = bytes[i] as number
  if (c < 0x80) return [c, 1]
  let n: number
  if ((c & 0xe0) === 0xc0) n = 2
  else if ((c & 0xf0) === 0xe0) n = 3
  else if ((c & 0xf8) === 0xf0) n = 4
  else if ((c & 0xfc) === 0xf8) n = 5
  else return [-1, 1]
  const left = bytes.length - i
  if (n > left) return [-1, left]
  if (n > 4) return [-1, n]
  let cp = c & (0x7f >> n)
  for (let k = 1; k < n; k++) {
    const b = bytes[i + k] as number
    if ((b & 0xc0) !== 0x80) return [-1, n]
    cp = (cp << 6) | (b & 0x3f)
  }
  const min = n === 2 ? 0x80 : n === 3 ? 0x800 : 0x10000
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return [-1, n]
  return [cp, n]
}

/** UTF-8 of a string, with each lone surrogate as an invalid byte (so it becomes `_`). */
function encodeWithSurrogates (s: string): Uint8Array {
  if (!/[\uD800-\uDFFF]/.test(s)) return utf8.encode(s)
  const parts: number[] = []
  for (const ch of s) {
    const code = ch.codePointAt(0) as number
    if (code >= 0xd800 && code <= 0xdfff) parts.push(0xff)
    else parts.push(...utf8.encode(ch))
  }
  return new Uint8Array(parts)
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
  const raw = components.map((c) => typeof c === 'string' ? c : utf8Decoder.decode(c))
  const first = raw[0]
  if (first === undefined || first === '' || /^[/\\]/.test(first) || /^[a-z]:/i.test(first)) return undefined
  const resolved: string[] = []
  for (const c of raw) {
    // A separator inside a component would be removed, but in a link target
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
