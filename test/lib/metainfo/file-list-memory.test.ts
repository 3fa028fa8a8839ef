import { describe, expect, it } from 'vitest'
import { hashes, multiInfo, parse } from './helpers.js'

// A torrent keeps its file list for as long as it runs: with 100,000 files
// every byte per file counts (ADVERSARIAL: issue 11, one handle and a lot of
// memory per file).
describe('the parsed file list is compact', () => {
  it('shares one array for path and originalPath when sanitising changed nothing, and keeps both when it did', () => {
    const t = parse(multiInfo({
      files: [{ length: 10, path: ['dir', 'a.txt'] }, { length: 10, path: ['dir', 'b\u0001.txt'] }],
      pieces: hashes(1)
    }))
    const [same, changed] = t.files
    expect(same?.originalPath).toBe(same?.path)
    expect(same?.path).toEqual(['dir', 'a.txt'])
    expect(changed?.path).toEqual(['dir', 'b_.txt'])
    expect(changed?.originalPath).toEqual(['dir', 'b\u0001.txt'])
  })

  it('keeps the renamed path apart from the original one after a collision', () => {
    const t = parse(multiInfo({
      files: [{ length: 10, path: ['bar.txt'] }, { length: 10, path: ['bar.txt'] }],
      pieces: hashes(1)
    }))
    expect(t.files.map(f => f.path)).toEqual([['bar.txt'], ['bar.1.txt']])
    expect(t.files.map(f => f.originalPath)).toEqual([['bar.txt'], ['bar.txt']])
  })
})
