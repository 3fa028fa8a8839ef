import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encode } from '../lib/bencode/encode.js'
import { decode } from '../lib/bencode/decode.js'
import type { BEncodable, BValue } from '../lib/bencode/types.js'
import { BencodeError, MetainfoError, PathError } from '../lib/errors.js'
import { parseInfoDict } from '../lib/metainfo/parse-info-dict.js'
import { parseTorrent } from '../lib/metainfo/parse-torrent.js'
import { sanitizePath } from '../lib/metainfo/sanitize-path.js'
import type { Torrent } from '../lib/metainfo/types.js'

const sha1 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(d).digest())
const utf8 = new TextEncoder()
const fixtures = ['mk-folder.torrent', 'mk-single.torrent', 'lt-v1-folder.torrent', 'lt-hybrid-folder.torrent']
  .map((f) => new Uint8Array(readFileSync(join(import.meta.dirname, '../test/fixtures/metainfo', f))))

const ROOT = resolve('/download/root')
/** Never in a sanitised component (libtorrent's rules on POSIX: separators, controls, bidi overrides and marks). */
const FORBIDDEN = /[\u0000-\u001f/\\\u202A-\u202E\u200E\u200F]/

/** A sanitised path must be safe on its own and stay under a root. */
function checkSafePath (path: readonly string[]): void {
  expect(path.length).toBeGreaterThan(0)
  for (const c of path) {
    expect(c).not.toBe('')
    expect(c).not.toBe('.')
    expect(c).not.toBe('..')
    expect(FORBIDDEN.test(c)).toBe(false)
    expect(utf8.encode(c).length).toBeLessThanOrEqual(255)
  }
  const rel = relative(ROOT, resolve(ROOT, ...path))
  expect(rel === '' || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)).toBe(false)
}

/** Parsing may only return a Torrent or throw one of our typed errors. */
function parsesOrTypedError (parse: () => Torrent): boolean {
  let t: Torrent
  try {
    t = parse()
  } catch (e) {
    expect(e instanceof MetainfoError || e instanceof BencodeError || e instanceof PathError).toBe(true)
    return false
  }
  checkSafePath([t.name])
  for (const f of t.files) {
    checkSafePath(f.path)
    if (f.symlinkPath !== undefined) checkSafePath(f.symlinkPath)
  }
  expect(t.pieceHashes.length).toBe(20 * t.pieceCount)
  expect(t.files.reduce((n, f) => n + f.length, 0)).toBe(t.length)
  return true
}

/** Path components biased towards the hostile ones. */
const component = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('..', '.', '', '/', '\\', 'C:', 'CON', 'nul.txt', 'a/../..', '\u202E', '\u0000', ' . ', '...', 'COM1.tar.gz', '\uD800', 'x'.repeat(300) + '.ext'),
  fc.array(fc.constantFrom('.', '/', '\\', ':', ' ', 'a', '\u0000', '\u202E', 'é', '\u{1F600}', 'CON'), { maxLength: 12 }).map((a) => a.join('')),
  fc.string({ unit: 'binary', minLength: 250, maxLength: 300 })
)
/** Encodable components: well-formed strings (bencode cannot carry lone surrogates) or raw bytes. */
const wellFormed = component.filter((c) => !/[\uD800-\uDFFF]/u.test(c))
const rawComponent = fc.oneof(wellFormed, fc.uint8Array({ maxLength: 30 }))

describe('sanitizePath properties', () => {
  it('never yields .., separators, control or bidi characters, or empty components; stays under the root; is stable below the cut', () => {
    fc.assert(fc.property(fc.array(component, { maxLength: 12 }), (parts) => {
      const p = sanitizePath(parts)
      checkSafePath(p)
      // stable below the cut (libtorrent's cut of long names is not idempotent)
      if (p.every((c) => utf8.encode(c).length < 240)) expect(sanitizePath(p)).toEqual(p)
    }), { numRuns: 2000 })
  })

  it('accepts raw bytes, including invalid UTF-8, with the same guarantees', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }), (parts) => {
      const p = sanitizePath(parts)
      checkSafePath(p)
      // stable below the cut (libtorrent's cut of long names is not idempotent)
      if (p.every((c) => utf8.encode(c).length < 240)) expect(sanitizePath(p)).toEqual(p)
    }), { numRuns: 1000 })
  })

  it('more than 100 components is a PathError', () => {
    fc.assert(fc.property(fc.integer({ min: 101, max: 400 }), (n) => {
      expect(() => sanitizePath(Array(n).fill('d') as string[])).toThrow(PathError)
    }), { numRuns: 50 })
  })
})

/** Info dicts whose fields are sometimes right, sometimes anything. */
const anything: fc.Arbitrary<BEncodable> = fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.uint8Array({ maxLength: 60 }), fc.string({ maxLength: 8 }), fc.constant([]), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }))
/** Mostly a plausible value, sometimes anything. */
const mostly = <T extends BEncodable>(good: fc.Arbitrary<T>): fc.Arbitrary<BEncodable> => fc.oneof({ arbitrary: good, weight: 5 }, { arbitrary: anything, weight: 1 })
const fileEntry = fc.record({
  length: mostly(fc.integer({ min: 0, max: 40000 })),
  path: mostly(fc.array(rawComponent, { minLength: 1, maxLength: 5 })),
  attr: fc.option(fc.constantFrom('p', 'l', 'x', 'h', 'lp'), { nil: undefined, freq: 2 }),
  'symlink path': fc.option(fc.array(rawComponent, { maxLength: 4 }), { nil: undefined, freq: 2 })
}, { requiredKeys: [] })
const layout = fc.oneof(
  { arbitrary: fc.record({ length: mostly(fc.integer({ min: 0, max: 100000 })) }), weight: 3 },
  { arbitrary: fc.record({ files: mostly(fc.array(fileEntry, { maxLength: 5 })) }), weight: 3 },
  { arbitrary: fc.record({ length: anything, files: anything }), weight: 1 },
  { arbitrary: fc.constant({}), weight: 1 }
)
const infoDict = fc.tuple(fc.record({
  name: mostly(rawComponent),
  'piece length': mostly(fc.constantFrom(1000, 16384, 32768, 2 ** 29, 0, -1)),
  pieces: mostly(fc.integer({ min: 0, max: 8 }).map((n) => new Uint8Array(20 * n))),
  private: fc.option(mostly(fc.constant(1)), { nil: undefined })
}, { requiredKeys: ['name', 'piece length'] }), layout).map(([base, l]): Record<string, BEncodable | undefined> => ({ ...base, ...l }))

/** Fixes `pieces` to the length the files need, so validation goes past the hash check more often. */
function withMatchingPieces (info: Record<string, BEncodable | undefined>): Record<string, BEncodable | undefined> {
  const pl = info['piece length']
  if (typeof pl !== 'number' || pl <= 0) return info
  let total = typeof info.length === 'number' ? info.length : 0
  if (Array.isArray(info.files)) {
    total = 0
    for (const f of info.files as BEncodable[]) if (typeof f === 'object' && f !== null && !Array.isArray(f) && !(f instanceof Uint8Array) && typeof (f as Record<string, unknown>).length === 'number') total += (f as Record<string, number>).length as number
  }
  const n = Math.ceil(total / pl)
  return n > 5000 ? info : { ...info, pieces: new Uint8Array(20 * n) }
}

describe('metainfo parsing properties', () => {
  it('arbitrary bytes give a Torrent or a typed error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => {
      parsesOrTypedError(() => parseTorrent(bytes, { sha1 }))
      parsesOrTypedError(() => parseInfoDict(bytes, sha1))
    }), { numRuns: 3000 })
  })

  it('mutated real torrents give a Torrent or a typed error', () => {
    const mutation = fc.record({ which: fc.nat(fixtures.length - 1), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('flip', 'insert', 'delete', 'truncate') })
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
      let bytes = fixtures[(muts[0] as { which: number }).which] as Uint8Array
      for (const m of muts) {
        const at = m.at % bytes.length
        if (m.kind === 'flip') { bytes = bytes.slice(); bytes[at] = m.byte }
        if (m.kind === 'insert') bytes = new Uint8Array([...bytes.subarray(0, at), m.byte, ...bytes.subarray(at)])
        if (m.kind === 'delete') bytes = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + 1)])
        if (m.kind === 'truncate') bytes = bytes.subarray(0, at)
        if (bytes.length === 0) return
      }
      parsesOrTypedError(() => parseTorrent(bytes, { sha1 }))
    }), { numRuns: 3000 })
  })

  it('structurally random info dicts give a Torrent or a typed error, the same from .torrent and from metadata', () => {
    let parsed = 0
    fc.assert(fc.property(infoDict, fc.boolean(), (raw, fix) => {
      const info = fix ? withMatchingPieces(raw) : raw
      const infoBytes = encode(info)
      if (parsesOrTypedError(() => parseTorrent(encode({ info }), { sha1 }))) parsed++
      parsesOrTypedError(() => parseInfoDict(infoBytes, sha1))
      let a: string | undefined
      let b: string | undefined
      try { a = JSON.stringify(parseTorrent(encode({ info }), { sha1 }).files) } catch (e) { a = (e as Error).name + (e as { code?: string }).code }
      try { b = JSON.stringify(parseInfoDict(infoBytes, sha1).files) } catch (e) { b = (e as Error).name + (e as { code?: string }).code }
      expect(a).toBe(b)
    }), { numRuns: 3000 })
    // the generator must reach valid torrents too, not only rejections
    expect(parsed).toBeGreaterThan(300)
  })
})

/** Re-encode a decoded canonical dictionary with its keys in the order `order` gives. */
function reorder (bytes: Uint8Array, order: (keys: string[]) => string[]): Uint8Array {
  const te = new TextEncoder()
  const out: number[] = []
  const walk = (v: BValue): void => {
    if (typeof v === 'number' || typeof v === 'bigint') out.push(...te.encode(`i${v}e`))
    else if (v instanceof Uint8Array) out.push(...te.encode(`${v.length}:`), ...v)
    else if (Array.isArray(v)) { out.push(0x6c); v.forEach(walk); out.push(0x65) } else {
      out.push(0x64)
      for (const k of order(Object.keys(v))) { walk(te.encode(k)); walk(v[k] as BValue) }
      out.push(0x65)
    }
  }
  walk(decode(bytes))
  return new Uint8Array(out)
}

describe('reading torrents as libtorrent does', () => {
  it('keys in any order and bytes after the torrent give the same torrent, hashed over the info bytes as received', () => {
    // the v1 fixtures (the hybrid's piece layers have binary keys, which this re-encoder cannot keep)
    const v1 = fixtures.slice(0, 3)
    const canonical = v1.map((f) => parseTorrent(f, { sha1 }))
    fc.assert(fc.property(fc.nat(v1.length - 1), fc.integer(), fc.uint8Array({ maxLength: 8 }), (which, seed, tail) => {
      const shuffle = (keys: string[]): string[] => {
        const out = [...keys]
        let s = seed
        for (let i = out.length - 1; i > 0; i--) {
          s = (Math.imul(s, 1103515245) + 12345) | 0
          const j = (s >>> 0) % (i + 1)
          ;[out[i], out[j]] = [out[j] as string, out[i] as string]
        }
        return out
      }
      const odd = new Uint8Array([...reorder(v1[which] as Uint8Array, shuffle), ...tail])
      const t = parseTorrent(odd, { sha1 })
      const c = canonical[which] as Torrent
      expect(t.files).toEqual(c.files)
      expect(t.name).toBe(c.name)
      expect(t.pieceHashes).toEqual(c.pieceHashes)
      expect(t.infoHash).toEqual(sha1(t.infoBytes))
      const text = new TextDecoder('latin1').decode(odd)
      expect(text.includes(new TextDecoder('latin1').decode(t.infoBytes))).toBe(true)
      if (tail.length > 0) expect(t.tolerated).toContain('trailing bytes after the torrent (ignored)')
      if (t.tolerated === undefined) expect(t.infoHash).toEqual(c.infoHash)
    }), { numRuns: 500 })
  })
})
