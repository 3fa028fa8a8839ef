/**
 * The CLI reads odd .torrent files as libtorrent does and says what it
 * tolerated: `info --json` lists it, `info`, `download` and `seed` print one
 * warning line each on stderr; a field of the wrong type exits 2 with a
 * typed, one-line reason.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encode } from '../../../lib/bencode/encode.js'
import { main } from '../../../pipelines/cli/main.js'
import { fakeIo } from './fake-io.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-cli-tolerated-'))
const canonical = join(root, 'album.torrent')
const trailing = join(root, 'trailing.torrent')
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

/** A torrent whose info is written by hand (bencode of `info`), under `announce`. */
function handMade (name: string, info: Record<string, unknown>): string {
  const file = join(root, name)
  writeFileSync(file, encode({ info } as never))
  return file
}

beforeAll(async () => {
  const album = join(root, 'data', 'album')
  mkdirSync(album, { recursive: true })
  writeFileSync(join(album, 'a.bin'), new Uint8Array(50_000).map((_, i) => i % 251))
  expect(await main(['create', album, '-o', canonical, '--piece-length', '16384'], fakeIo())).toBe(0)
  // libtorrent and Transmission open a .torrent with a newline after it
  writeFileSync(trailing, new Uint8Array([...readFileSync(canonical), 0x0a]))
})

describe('CLI: odd torrents read as libtorrent reads them', { timeout: 30_000 }, () => {
  it('info --json lists what was tolerated and prints nothing on stderr', async () => {
    const io = fakeIo()
    expect(await main(['info', trailing, '--json'], io)).toBe(0)
    const record = JSON.parse(io.out()) as { infoHash: string, tolerated?: string[] }
    expect(record.tolerated).toEqual(['trailing bytes after the torrent (ignored)'])
    expect(io.err()).toBe('')
    const plain = fakeIo()
    await main(['info', canonical, '--json'], plain)
    expect((JSON.parse(plain.out()) as { infoHash: string }).infoHash).toBe(record.infoHash)
    expect(plain.out()).not.toContain('tolerated')
  })

  it('info without --json prints one warning line per tolerated thing on stderr', async () => {
    const file = handMade('renamed.torrent', {
      name: 'folder',
      'piece length': 16384,
      files: [{ length: 10, path: ['a', 'bar.txt'] }, { length: 10, path: ['a', 'bar.txt'] }],
      pieces: new Uint8Array(20)
    })
    const io = fakeIo()
    expect(await main(['info', file], io)).toBe(0)
    expect(io.out()).toContain('folder/a/bar.1.txt')
    expect(io.err()).toBe(`rxtorrent: warning: ${file}: file renamed: a/bar.txt -> a/bar.1.txt\n`)
    const json = fakeIo()
    await main(['info', file, '--json'], json)
    expect(JSON.parse(json.out())).toMatchObject({ tolerated: ['file renamed: a/bar.txt -> a/bar.1.txt'] })
  })

  it('warnings escape control characters of hostile names', async () => {
    const file = handMade('escape.torrent', { name: '\u202e\u0000', 'piece length': 16384, files: [{ length: 10, path: ['x'] }], pieces: new Uint8Array(20) })
    const io = fakeIo()
    expect(await main(['info', file], io)).toBe(0)
    expect(io.err()).toContain('the name "\\u202e\\u0000" is not a usable folder name')
    expect(io.err()).not.toMatch(/[\u0000\u202e]/)
  })

  it('download prints the warnings, then completes from the data already there', async () => {
    const io = fakeIo()
    expect(await main(['download', trailing, '--out', join(root, 'data'), '--quiet'], io)).toBe(0)
    expect(io.err()).toBe(`rxtorrent: warning: ${trailing}: trailing bytes after the torrent (ignored)\n`)
  })

  it('download --json gives each tolerated thing as a warning record on stdout, not a line on stderr', async () => {
    const io = fakeIo()
    expect(await main(['download', trailing, '--out', join(root, 'data'), '--json'], io)).toBe(0)
    const records = io.out().trim().split('\n').map((l) => JSON.parse(l) as { type: string, message?: string })
    expect(records.filter((r) => r.type === 'warning')).toEqual([{ type: 'warning', message: `${trailing}: trailing bytes after the torrent (ignored)` }])
    expect(io.err()).toBe('')
  })

  it('seed prints the warnings and serves', async () => {
    const io = fakeIo()
    const seeding = main(['seed', trailing, '--data', join(root, 'data'), '--port', '0', '--host', '127.0.0.1'], io)
    await io.waitForStdout(/on 127\.0\.0\.1:\d+/)
    // One warning line (the plain progress lines that follow are not warnings).
    expect(io.err().split('\n').filter((l) => l.startsWith('rxtorrent:'))).toEqual([`rxtorrent: warning: ${trailing}: trailing bytes after the torrent (ignored)`])
    expect(io.raise('SIGTERM')).toBe(true)
    expect(await seeding).toBe(0)
  })

  it('item 6: a piece length of the wrong type exits 2 with a typed one-line reason', async () => {
    for (const [name, pl, type] of [['pl-list', [16384], 'a list'], ['pl-dict', { a: 1 }, 'a dictionary'], ['pl-string', '16384', 'a byte string']] as const) {
      const file = handMade(`${name}.torrent`, { name: 'x', 'piece length': pl, length: 10, pieces: new Uint8Array(20) })
      for (const cmd of [['info', file], ['download', file, '--out', join(root, 'out')], ['seed', file, '--data', root]]) {
        const io = fakeIo()
        expect(await main(cmd, io)).toBe(2)
        expect(io.err()).toBe(`rxtorrent: ${file} is not a valid torrent file: piece length must be an integer in 1..536870912, got ${type}\n`)
      }
    }
  })
})
