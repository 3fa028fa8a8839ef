import { join, relative, resolve, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PathError } from '../../../lib/errors.js'
import { sanitizeComponent, sanitizePath, sanitizeSymlinkTarget } from '../../../lib/metainfo/sanitize-path.js'
import { throwsCode } from './helpers.js'

const utf8 = new TextEncoder()
const bytes = (...parts: string[]): Uint8Array[] => parts.map((p) => utf8.encode(p))

function staysInside (path: string[]): void {
  const root = resolve('/download/root')
  const rel = relative(root, resolve(root, join(...path)))
  expect(rel.startsWith('..')).toBe(false)
  expect(rel.split(sep)[0]).not.toBe('')
}

describe('sanitizePath', () => {
  it('B14: drops .. and . so the path stays under the root', () => {
    const p = sanitizePath(['..', '..', '.ssh', 'authorized_keys'])
    expect(p).toEqual(['.ssh', 'authorized_keys'])
    staysInside(p)
    expect(sanitizePath(['a', '.', 'b', '..'])).toEqual(['a', 'b'])
    expect(sanitizePath(bytes('..', '..'))).toEqual(['_'])
  })

  it('B15: separators inside an element are neutralised', () => {
    const p = sanitizePath(['x/../../../../Startup/evil.exe'])
    expect(p).toEqual(['x_.._.._.._.._Startup_evil.exe'])
    expect(sanitizePath(['a\\..\\..\\b'])).toEqual(['a_.._.._b'])
    staysInside(p)
  })

  it('B17: an absolute path becomes root-relative', () => {
    expect(sanitizePath(['/etc/passwd'])).toEqual(['_etc_passwd'])
    expect(sanitizePath(['', 'etc', 'passwd'])).toEqual(['etc', 'passwd'])
  })

  it('B18: drive letters and NTFS streams lose their colon', () => {
    expect(sanitizePath(['C:'])).toEqual(['C_'])
    expect(sanitizePath(['c:\\x'])).toEqual(['c__x'])
    expect(sanitizePath(['file.txt:stream'])).toEqual(['file.txt_stream'])
  })

  it('B19: Windows device names are prefixed, trailing dots and spaces stripped', () => {
    expect(sanitizePath(['CON'])).toEqual(['_CON'])
    expect(sanitizePath(['nul.txt'])).toEqual(['_nul.txt'])
    expect(sanitizePath(['com1'])).toEqual(['_com1'])
    expect(sanitizePath(['LPT9.tar.gz'])).toEqual(['_LPT9.tar.gz'])
    expect(sanitizePath(['CON .txt'])).toEqual(['_CON .txt'])
    expect(sanitizePath(['console'])).toEqual(['console'])
    expect(sanitizePath(['name. . '])).toEqual(['name'])
    expect(sanitizePath(['aux.'])).toEqual(['_aux'])
  })

  it('B20: empty elements, NUL, control characters and invalid UTF-8', () => {
    expect(sanitizePath(['a', '', 'b'])).toEqual(['a', 'b'])
    expect(sanitizePath([])).toEqual(['_'])
    expect(sanitizePath(['a\u0000b', 'c\u0007\u001b[31m', 'd\u007f\u0085'])).toEqual(['a_b', 'c__[31m', 'd__'])
    expect(sanitizePath([new Uint8Array([0x61, 0xff, 0xfe, 0x62])])).toEqual(['a__b'])
    expect(sanitizePath([new Uint8Array([0xc3])])).toEqual(['_'])
    expect(sanitizePath(['\uD800x'])).toEqual(['_x'])
    expect(sanitizePath(['...'])).toEqual(['_'])
  })

  it('B21: bidi overrides and isolates are removed', () => {
    expect(sanitizePath(['evil\u202Etxt.exe'])).toEqual(['eviltxt.exe'])
    expect(sanitizePath(['\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069x'])).toEqual(['x'])
  })

  it('B22: a 300-byte element is truncated to 255 bytes keeping its extension', () => {
    const [long] = sanitizePath(['a'.repeat(296) + '.mkv'])
    expect(long).toBe('a'.repeat(251) + '.mkv')
    const [multi] = sanitizePath(['é'.repeat(200) + '.txt']) as [string]
    expect(utf8.encode(multi).length).toBeLessThanOrEqual(255)
    expect(multi.endsWith('.txt')).toBe(true)
    expect(multi.includes('\uFFFD')).toBe(false)
    const [noExt] = sanitizePath(['b'.repeat(300)])
    expect(noExt).toBe('b'.repeat(255))
    expect(sanitizeComponent('abcdef.x', { maxElementBytes: 4 })).toBe('ab.x')
  })

  it('B24: 1000 directories deep is rejected; 100 is fine', () => {
    throwsCode(() => sanitizePath(Array(1000).fill('d') as string[]), PathError, 'path-too-deep')
    expect(sanitizePath(Array(100).fill('d') as string[])).toHaveLength(100)
    throwsCode(() => sanitizePath(['a', 'b', 'c'], { maxDepth: 2 }), PathError, 'path-too-deep')
  })

  it('is stable: sanitising twice changes nothing', () => {
    for (const c of ['CON', 'nul.txt', 'a'.repeat(300) + '.txt', 'x/../y', 'a. ', '\u202Eab']) {
      const once = sanitizePath([c])
      expect(sanitizePath(once)).toEqual(once)
    }
  })
})

describe('sanitizeSymlinkTarget', () => {
  it('B25: an absolute target or one escaping the root is refused', () => {
    expect(sanitizeSymlinkTarget(['', 'etc', 'passwd'])).toBeUndefined()
    expect(sanitizeSymlinkTarget(['/etc/passwd'])).toBeUndefined()
    expect(sanitizeSymlinkTarget(['C:', 'Windows'])).toBeUndefined()
    expect(sanitizeSymlinkTarget(['..', 'outside'])).toBeUndefined()
    expect(sanitizeSymlinkTarget(['a', '..', '..', 'outside'])).toBeUndefined()
    expect(sanitizeSymlinkTarget(['a/../../x'])).toBeUndefined()
    expect(sanitizeSymlinkTarget([])).toBeUndefined()
  })

  it('B25: a target inside the root is resolved and sanitised', () => {
    expect(sanitizeSymlinkTarget(bytes('dir', '..', 'file.txt'))).toEqual(['file.txt'])
    expect(sanitizeSymlinkTarget(['dir', 'CON'])).toEqual(['dir', '_CON'])
  })
})
