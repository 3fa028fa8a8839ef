import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../lib/errors.js'
import type { TorrentFile } from '../../../lib/metainfo/types.js'
import { percentEncodeComponent, webSeedFileUrl } from '../../../lib/webseed/web-seed-url.js'

function file (originalPath: string[], path = originalPath): TorrentFile {
  return { path, originalPath, length: 1, offset: 0, attr: '', padding: false }
}

describe('percentEncodeComponent', () => {
  it.each([
    ['plain-Name_1.0~x', 'plain-Name_1.0~x'],
    ['a b', 'a%20b'],
    ["!'()*", '%21%27%28%29%2A'],
    ['é', '%C3%A9'],
    ['日本', '%E6%97%A5%E6%9C%AC'],
    ['a/b?c#d%e&f+g', 'a%2Fb%3Fc%23d%25e%26f%2Bg'],
    ['😀', '%F0%9F%98%80']
  ])('%j → %j', (input, out) => {
    expect(percentEncodeComponent(input)).toBe(out)
  })
})

describe('webSeedFileUrl', () => {
  const single = { name: 'movie.mkv', multiFile: false, files: [file(['movie file.mkv'], ['movie file.mkv'])] }
  const multi = {
    name: 'My Album',
    multiFile: true,
    files: [file(['cd 1', '01 Été.flac'], ['cd 1', '01 Été.flac']), file(['notes.txt'])]
  }

  it('single file: a base ending in / gets the (original) file name appended', () => {
    expect(webSeedFileUrl('http://h/dir/', single, 0)).toBe('http://h/dir/movie%20file.mkv')
  })

  it('single file: any other base is the file itself', () => {
    expect(webSeedFileUrl('http://h/dir/some.mkv', single, 0)).toBe('http://h/dir/some.mkv')
  })

  it('multi file: base + name + path, each component encoded, / added when missing', () => {
    expect(webSeedFileUrl('http://h/pub/', multi, 0)).toBe('http://h/pub/My%20Album/cd%201/01%20%C3%89t%C3%A9.flac')
    expect(webSeedFileUrl('http://h/pub', multi, 0)).toBe('http://h/pub/My%20Album/cd%201/01%20%C3%89t%C3%A9.flac')
    expect(webSeedFileUrl('http://h/pub', multi, 1)).toBe('http://h/pub/My%20Album/notes.txt')
  })

  it('uses the original, unsanitised components', () => {
    const t = { name: 'x', multiFile: true, files: [file(['a:b*?.txt'], ['a_b__.txt'])] }
    expect(webSeedFileUrl('http://h/', t, 0)).toBe('http://h/x/a%3Ab%2A%3F.txt')
  })

  it('throws UsageError for a bad file index or an empty base', () => {
    for (const i of [-1, 2, 0.5, Number.NaN]) {
      expect(() => webSeedFileUrl('http://h/', multi, i)).toThrow(UsageError)
    }
    expect(() => webSeedFileUrl('', multi, 0)).toThrowError(expect.objectContaining({ code: 'bad-url' }))
  })
})
