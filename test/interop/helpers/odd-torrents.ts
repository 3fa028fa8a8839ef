/**
 * A seeded generator of odd but plausible .torrent files, for the metainfo
 * differential test against libtorrent: keys out of order and duplicated,
 * trailing bytes, colliding and hostile names, padding files with and
 * without a path, symlinks with and without a length, zero-length files,
 * wrong-typed fields, and hybrids whose v2 half is broken or disagrees.
 * The bencode writer here is raw on purpose: dictionaries are lists of pairs
 * written in the order given, so the odd encodings can be produced.
 */
import { seededRandom } from '../../../lib/choke/seeded-random.js'

/** A bencode value whose dictionaries keep their pair order (and duplicates). */
export type Raw = number | string | Uint8Array | Raw[] | { readonly pairs: ReadonlyArray<readonly [string | Uint8Array, Raw]> }

const te = new TextEncoder()

/** Dictionary with pairs sorted by key bytes (canonical). */
export function dict (entries: Record<string, Raw | undefined>): Raw {
  const pairs = Object.entries(entries).filter((e): e is [string, Raw] => e[1] !== undefined)
  pairs.sort((a, b) => compare(te.encode(a[0]), te.encode(b[0])))
  return { pairs }
}

function compare (a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number)
  return a.length - b.length
}

/** Rewrites the digits of an integer or a string length (to pad them with zeros). */
export type NumberStyle = (kind: 'int' | 'str', digits: string) => string

/** Encode, keeping dictionary pair order; `style` may rewrite each number's digits. */
export function encodeRaw (v: Raw, style: NumberStyle = (_, d) => d): Uint8Array {
  const out: number[] = []
  const put = (b: Uint8Array): void => { for (const x of b) out.push(x) }
  const walk = (x: Raw): void => {
    if (typeof x === 'number') put(te.encode(`i${x < 0 ? '-' : ''}${style('int', String(Math.abs(x)))}e`))
    else if (typeof x === 'string' || x instanceof Uint8Array) {
      const b = typeof x === 'string' ? te.encode(x) : x
      put(te.encode(`${style('str', String(b.length))}:`)); put(b)
    } else if (Array.isArray(x)) { out.push(0x6c); x.forEach(walk); out.push(0x65) } else {
      out.push(0x64)
      for (const [k, val] of x.pairs) { walk(k); walk(val) }
      out.push(0x65)
    }
  }
  walk(v)
  return new Uint8Array(out)
}

/** What a generated torrent is, for the test's messages. */
export interface OddTorrent {
  readonly label: string
  readonly bytes: Uint8Array
}

type Rand = () => number
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T
const chance = (r: Rand, p: number): boolean => r() < p

const NAMES: ReadonlyArray<string | Uint8Array> = [
  'a.txt', 'bar.txt', 'bar.txt', 'Bar.txt', 'x.tar.gz', '.bashrc', 'dir', 'a', 'b', 'noext',
  '', '.', '..', '...', 'a/b', 'a\\b', '/', 'trail  ', 'dots..', 'ctl\u0001x', 'tab\tx', 'co:lon', 'CON', 'nul.txt',
  '\u202eevil.exe', 'iso\u2066x', 'del\u007fx', 'c1\u0085x', 'é', 'ünïcödé.txt', '\u{1F600}.png', 'sp ace', '_____padding_file_0_', 'É.txt', 'é.txt', 'DIR',
  new Uint8Array([0xff, 0xfe, 0x2e, 0x74]), new Uint8Array([0xe2, 0x82, 0x61]), new Uint8Array([0xc0, 0x80, 0x61]),
  new Uint8Array([0xed, 0xa0, 0x80, 0x61]), new Uint8Array([0xf8, 0x88, 0x80, 0x80, 0x80, 0x61]), new Uint8Array([0x80, 0x61])
]

function longName (r: Rand): string | Uint8Array {
  const n = 230 + Math.floor(r() * 20)
  const stem = pick(r, ['x', 'é', '\u{1F600}', 'a.b'])
  const body = stem.repeat(Math.ceil(n / stem.length)).slice(0, n)
  return body + pick(r, ['', '.txt', '.verylongext', '.a.b', '.'])
}

function component (r: Rand): string | Uint8Array {
  if (chance(r, 0.1)) return longName(r)
  if (chance(r, 0.05)) return Uint8Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(r() * 256))
  return pick(r, NAMES)
}

function path (r: Rand): Raw[] {
  const depth = 1 + Math.floor(r() * (chance(r, 0.3) ? 3 : 1))
  return Array.from({ length: depth }, () => component(r))
}

const hashes = (n: number): Uint8Array => new Uint8Array(20 * n).fill(0xab)

interface FileSpec { pairs: Record<string, Raw | undefined>, room: number }

function fileEntry (r: Rand): FileSpec {
  const length = pick(r, [0, 1, 100, 16384, 20000, 1 + Math.floor(r() * 50000)])
  const kind = r()
  if (kind < 0.1) {
    const withPath = chance(r, 0.5)
    return { pairs: { length, attr: 'p', path: withPath ? ['.pad', String(length)] : undefined }, room: length }
  }
  if (kind < 0.2) {
    const target = pick<Raw[] | undefined>(r, [['a.txt'], ['dir', 'a'], ['..', '..', 'etc'], undefined, ['x/y']])
    const len = pick<Raw | undefined>(r, [undefined, 0, 500])
    return { pairs: { attr: 'l', path: path(r), 'symlink path': target, length: len }, room: 0 }
  }
  const attr = chance(r, 0.1) ? pick(r, ['x', 'h', 'xh']) : undefined
  const pairs: Record<string, Raw | undefined> = { length, path: path(r), attr }
  if (chance(r, 0.05)) pairs['path.utf-8'] = pick<Raw>(r, [[], ['utf8.txt'], 'x', [7]])
  if (chance(r, 0.08)) {
    // a field of an odd type or value
    const key = pick(r, ['length', 'path', 'attr', 'symlink path'])
    pairs[key] = pick<Raw>(r, [-1, 7, 'x', [7], [], dict({ a: 1 }), ['a', 7]])
    pairs.attr = key === 'symlink path' ? 'l' : pairs.attr
  }
  return { pairs, room: typeof pairs.length === 'number' && pairs.length > 0 ? pairs.length : 0 }
}

/** Possibly reorder, duplicate or corrupt the pairs of a dictionary. */
function oddDict (r: Rand, entries: Record<string, Raw | undefined>, tags: string[]): Raw {
  const d = dict(entries) as { pairs: Array<readonly [string, Raw]> }
  const pairs = [...d.pairs]
  if (chance(r, 0.2)) { pairs.reverse(); tags.push('reversed') }
  if (chance(r, 0.1) && pairs.length > 0) {
    const [k] = pick(r, pairs)
    pairs.push([k, pick<Raw>(r, ['dup', 7, ['dup']])])
    tags.push(`dup ${k}`)
  }
  return { pairs }
}

/** A v1 torrent with odd names, layout, encoding and types. */
function v1Torrent (r: Rand): OddTorrent {
  const tags: string[] = []
  const pieceLength = pick(r, [16384, 32768, 20000])
  const multi = chance(r, 0.75)
  const info: Record<string, Raw | undefined> = { 'piece length': pieceLength, name: chance(r, 0.1) ? longName(r) : component(r) }
  let room = 0
  if (multi) {
    const files = Array.from({ length: 1 + Math.floor(r() * 5) }, () => fileEntry(r))
    room = files.reduce((n, f) => n + f.room, 0)
    info.files = files.map((f) => oddDict(r, f.pairs, tags))
    if (chance(r, 0.05)) { info.length = room; tags.push('length+files') }
  } else {
    room = pick(r, [0, 1, 100, 40000])
    info.length = room
  }
  if (chance(r, 0.1)) { info['name.utf-8'] = component(r); tags.push('name.utf-8') }
  if (chance(r, 0.1)) { info.private = pick<Raw>(r, [1, 0, 2, '1']); tags.push('private') }
  let pieces = Math.ceil(room / pieceLength)
  if (chance(r, 0.05)) { pieces += 1; tags.push('bad piece count') }
  info.pieces = hashes(pieces)
  wrongType(r, info, tags)
  return finish(r, oddDict(r, info, tags), tags)
}

function wrongType (r: Rand, info: Record<string, Raw | undefined>, tags: string[]): void {
  if (!chance(r, 0.1)) return
  const key = pick(r, ['piece length', 'name', 'pieces', 'files', 'length', 'name.utf-8', 'private'])
  if (info[key] === undefined && key !== 'name.utf-8' && key !== 'private') return
  info[key] = pick<Raw>(r, [[1], 'x', dict({ a: 1 }), 5, 0, -1, '', new Uint8Array(19)])
  tags.push(`wrong type ${key}`)
}

/**
 * Numbers as libtorrent 2.0.8 reads them but BEP 3 forbids: integers and
 * string lengths padded with zeros (up to and past libtorrent's 20 and 16
 * digits), negative zero (`i-0e`, `i-00e`); a few tokens or all of them.
 */
function numberStyle (r: Rand, tags: string[]): NumberStyle | undefined {
  if (!chance(r, 0.15)) return undefined
  const kind = pick(r, ['int', 'str', 'both', 'neg-zero', 'int-limit', 'str-limit'] as const)
  tags.push(`zeros ${kind}`)
  const p = pick(r, [0.1, 0.5, 1])
  const pad = (digits: string, width: number): string => '0'.repeat(Math.max(0, width - digits.length)) + digits
  return (k, digits) => {
    if (!chance(r, p)) return digits
    if (kind === 'neg-zero') return k === 'int' && digits === '0' ? pick(r, ['-0', '-00', '00']) : digits
    if (kind === 'int-limit') return k === 'int' ? pad(digits, pick(r, [19, 20, 21])) : digits
    if (kind === 'str-limit') return k === 'str' ? pad(digits, pick(r, [15, 16, 17])) : digits
    if (kind !== 'both' && kind !== k) return digits
    return '0'.repeat(1 + Math.floor(r() * 3)) + digits
  }
}

function finish (r: Rand, info: Raw, tags: string[]): OddTorrent {
  const unsorted = chance(r, 0.2)
  const style = numberStyle(r, tags)
  const zero = style === undefined ? {} : { 'x zero': 0 }
  const outer = unsorted
    ? { pairs: [['info', info], ['announce', 'http://127.0.0.1:1/announce'], ...Object.entries(zero)] as const }
    : dict({ announce: 'http://127.0.0.1:1/announce', info, ...zero })
  if (unsorted) tags.push('unsorted outer')
  let bytes = encodeRaw(outer, style)
  if (chance(r, 0.15)) {
    const tail = pick(r, ['\n', '\r\n', 'garbage', 'e', 'd1:ai1ee'])
    bytes = new Uint8Array([...bytes, ...te.encode(tail)])
    tags.push(`trailing ${JSON.stringify(tail)}`)
  }
  return { label: tags.join(', ') || 'plain', bytes }
}

/** A hybrid (v1 + v2) torrent, valid or with its v2 half broken or disagreeing. */
function hybridTorrent (r: Rand): OddTorrent {
  const tags: string[] = ['hybrid']
  const pl = pick(r, [16384, 32768])
  const n = 1 + Math.floor(r() * 3)
  const names = ['a.bin', 'b.bin', 'c.bin'].slice(0, n)
  const sizes = names.map(() => pick(r, [0, 100, 16384, 40000]))
  const v1: Raw[] = []
  const pads = new Set<Raw>()
  const tree: Record<string, Raw> = {}
  let total = 0
  names.forEach((nm, i) => {
    const size = sizes[i] as number
    v1.push(dict({ length: size, path: [nm] }))
    tree[nm] = dict({ '': dict({ length: size, 'pieces root': size === 0 ? undefined : new Uint8Array(32).fill(i + 1) }) })
    total += size
    const pad = size % pl === 0 ? 0 : pl - (size % pl)
    if (pad > 0 && i < n - 1) {
      const entry = dict({ length: pad, attr: 'p', path: ['.pad', String(pad)] })
      v1.push(entry)
      pads.add(entry)
      total += pad
    }
  })
  const info: Record<string, Raw | undefined> = { name: 'h', 'piece length': pl, files: v1, 'file tree': dict(tree), 'meta version': 2, pieces: hashes(Math.ceil(total / pl)) }
  const layers: Record<string, Raw> = {}
  const breakKind = pick(r, ['none', 'none', 'length', 'name', 'meta1', 'meta3', 'no-meta', 'tree-str', 'no-root', 'layer-len', 'drop-pad', 'pl', 'odd-name', 'odd-name', 'layers-str'])
  tags.push(breakKind)
  if (breakKind === 'odd-name') {
    // the same odd name in both halves
    const odd = pick(r, NAMES.filter((x): x is string => typeof x === 'string'))
    tags.push(JSON.stringify(odd))
    v1[0] = dict({ length: sizes[0] as number, path: [odd] })
    tree[odd] = tree[names[0] as string] as Raw
    delete tree[names[0] as string]
  }
  if (breakKind === 'length') tree[names[0] as string] = dict({ '': dict({ length: (sizes[0] as number) + 1, 'pieces root': new Uint8Array(32).fill(9) }) })
  if (breakKind === 'name') { tree.zzz = tree[names[0] as string] as Raw; delete tree[names[0] as string] }
  if (breakKind === 'meta1') info['meta version'] = 1
  if (breakKind === 'meta3') info['meta version'] = 3
  if (breakKind === 'no-meta') info['meta version'] = undefined
  if (breakKind === 'no-root') tree[names[0] as string] = dict({ '': dict({ length: 5 }) })
  if (breakKind === 'drop-pad') info.files = v1.filter((f) => !pads.has(f))
  if (breakKind === 'pl') { info['piece length'] = 3 * pl; info.pieces = hashes(Math.ceil(total / (3 * pl))) }
  info['file tree'] = breakKind === 'tree-str' ? 'x' : dict(tree)
  sizes.forEach((size, i) => {
    if (size <= pl) return
    const count = Math.ceil(size / pl)
    layers[String.fromCharCode(i + 1).repeat(32)] = new Uint8Array(32 * count - (breakKind === 'layer-len' ? 1 : 0))
  })
  const outer = dict({ info: dict(info), 'piece layers': breakKind === 'layers-str' ? 'x' : Object.keys(layers).length > 0 ? dict(layers) : undefined })
  return { label: tags.join(', '), bytes: encodeRaw(outer) }
}

/** `count` odd torrents from `seed`, about one in six a hybrid. */
export function oddTorrents (seed: number, count: number): OddTorrent[] {
  const r = seededRandom(seed)
  return Array.from({ length: count }, () => chance(r, 0.17) ? hybridTorrent(r) : v1Torrent(r))
}

