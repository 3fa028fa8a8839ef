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

  it('B15: separators inside an element are removed, as libtorrent does', () => {
    const p = sanitizePath(['x/../../../../Startup/evil.exe'])
    expect(p).toEqual(['x........Startupevil.exe'])
    expect(sanitizePath(['a\\..\\..\\b'])).toEqual(['a....b'])
    expect(sanitizePath(['a/b', '/', '//'])).toEqual(['ab'])
    staysInside(p)
  })

  it('B17: an absolute path becomes root-relative', () => {
    expect(sanitizePath(['/etc/passwd'])).toEqual(['etcpasswd'])
    expect(sanitizePath(['', 'etc', 'passwd'])).toEqual(['_', 'etc', 'passwd'])
  })

  it('B18/B19: colons, device names and trailing dots and spaces are kept on POSIX, as libtorrent keeps them', () => {
    expect(sanitizePath(['C:', 'file.txt:stream', 'CON', 'nul.txt', 'trail  ', 'dots..'])).toEqual(['C:', 'file.txt:stream', 'CON', 'nul.txt', 'trail  ', 'dots..'])
  })

  it('B18/B19: with windows, colons become _, device names are prefixed, trailing dots and spaces stripped', () => {
    const w = { windows: true }
    expect(sanitizePath(['C:'], w)).toEqual(['C_'])
    expect(sanitizePath(['c:\\x'], w)).toEqual(['c_x'])
    expect(sanitizePath(['file.txt:stream'], w)).toEqual(['file.txt_stream'])
    expect(sanitizePath(['a?b<c>d"e|f*g'], w)).toEqual(['a_b_c_d_e_f_g'])
    expect(sanitizePath(['CON'], w)).toEqual(['_CON'])
    expect(sanitizePath(['nul.txt'], w)).toEqual(['_nul.txt'])
    expect(sanitizePath(['com1'], w)).toEqual(['_com1'])
    expect(sanitizePath(['console'], w)).toEqual(['console'])
    expect(sanitizePath(['name. . '], w)).toEqual(['name'])
    expect(sanitizePath(['aux.'], w)).toEqual(['_aux'])
    expect(sanitizePath(['. .'], w)).toEqual(['_'])
  })

  it('B20: empty elements become _, NUL is removed, other controls and each invalid UTF-8 sequence become _', () => {
    expect(sanitizePath(['a', '', 'b'])).toEqual(['a', '_', 'b'])
    expect(sanitizePath([])).toEqual(['_'])
    expect(sanitizePath(['a\u0000b', 'c\u0007\u001b[31m', 'd\u007f\u0085'])).toEqual(['ab', 'c__[31m', 'd\u007f\u0085'])
    expect(sanitizePath([new Uint8Array([0x61, 0xff, 0xfe, 0x62])])).toEqual(['a__b'])
    expect(sanitizePath([new Uint8Array([0xc3])])).toEqual(['_'])
    // a lead byte consumes the bytes it announces (or the rest), valid or not
    expect(sanitizePath([new Uint8Array([0xe2, 0x82, 0x61, 0x61])])).toEqual(['_a'])
    expect(sanitizePath([new Uint8Array([0xf8, 0x80, 0x80, 0x80, 0x80, 0x61])])).toEqual(['_a'])
    expect(sanitizePath([new Uint8Array([0xfd, 0x80, 0x66])])).toEqual(['__f'])
    expect(sanitizePath([new Uint8Array([0xed, 0xa0, 0x80, 0x61])])).toEqual(['_a'])
    expect(sanitizePath(['\uD800x'])).toEqual(['_x'])
    expect(sanitizePath(['\uFFFDx'])).toEqual(['\uFFFDx'])
    expect(sanitizePath(['...', '.', '..'])).toEqual(['...'])
  })

  it('B21: bidi overrides and marks are removed (isolates kept, as libtorrent keeps them)', () => {
    expect(sanitizePath(['evil\u202Etxt.exe'])).toEqual(['eviltxt.exe'])
    expect(sanitizePath(['\u202A\u202B\u202C\u202D\u200E\u200Fx'])).toEqual(['x'])
    expect(sanitizePath(['\u2066x'])).toEqual(['\u2066x'])
    expect(sanitizePath(['\u202E'])).toEqual(['_'])
  })

  it('B22: a long element is cut at 240 bytes, keeping an extension from its last 10 bytes', () => {
    expect(sanitizePath(['a'.repeat(296) + '.mkv'])).toEqual(['a'.repeat(240) + '.mkv'])
    expect(sanitizePath(['b'.repeat(300)])).toEqual(['b'.repeat(240)])
    expect(sanitizePath(['c'.repeat(300) + '.verylongext'])).toEqual(['c'.repeat(240)])
    expect(sanitizePath(['x'.repeat(239) + '.txt'])).toEqual(['x'.repeat(239) + '.'])
    const [multi] = sanitizePath(['é'.repeat(200) + '.txt']) as [string]
    expect(multi).toBe('é'.repeat(120) + '.txt')
    expect(utf8.encode(multi).length).toBe(244)
    expect(sanitizeComponent('abcdef.x', { maxElementBytes: 4 })).toBe('abcd.x')
    expect(sanitizeComponent('é'.repeat(300), { windows: true })).toBe('é'.repeat(240))
  })

  it('B24: 1000 directories deep is rejected; 100 is fine', () => {
    throwsCode(() => sanitizePath(Array(1000).fill('d') as string[]), PathError, 'path-too-deep')
    expect(sanitizePath(Array(100).fill('d') as string[])).toHaveLength(100)
    throwsCode(() => sanitizePath(['a', 'b', 'c'], { maxDepth: 2 }), PathError, 'path-too-deep')
  })

  it('is stable: sanitising twice changes nothing', () => {
    for (const c of ['CON', 'nul.txt', 'a'.repeat(300) + '.txt', 'x'.repeat(239) + '.txt', 'x/../y', 'a. ', '\u202Eab']) {
      const once = sanitizePath([c])
      expect(sanitizePath(once)).toEqual(once)
      const win = sanitizePath([c], { windows: true })
      expect(sanitizePath(win, { windows: true })).toEqual(win)
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
    expect(sanitizeSymlinkTarget(['dir', 'CON'], { windows: true })).toEqual(['dir', '_CON'])
  })
})
