import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UsageError } from '../../../lib/errors.js'
import { pieceHash } from '../../../lib/metainfo/types.js'
import { createTorrentFromPath } from '../../../pipelines/node/create-torrent.js'
import { FIXTURE_FILES, FIXTURE_HASHES, writeFixtureContent } from '../../lib/metainfo/fixture-content.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rxtorrent-create-'))
  writeFixtureContent(dir)
})
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

function libtorrentInfoHash (file: string): string | undefined {
  if (!existsSync('/usr/bin/python3')) return undefined
  try {
    return execFileSync('/usr/bin/python3', ['-c', 'import sys, libtorrent as lt; print(lt.torrent_info(sys.argv[1]).info_hashes().v1)', file], { encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
}

describe('createTorrentFromPath', () => {
  it('a folder with nested dirs and a zero-length file hashes like mktorrent (same info-hash)', async () => {
    const { torrent, bytes } = await createTorrentFromPath(join(dir, 'content'), { pieceLength: 32768 })
    expect(torrent.infoHashHex).toBe(FIXTURE_HASHES['mk-folder.torrent'])
    expect(torrent.multiFile).toBe(true)
    expect(torrent.name).toBe('content')
    expect(torrent.files.map((f) => f.path.join('/'))).toEqual(['a-b/x', 'a.txt', 'a/x', 'sub/deeper/b.bin', 'sub/empty'])
    expect(torrent.createdBy).toBe('rxtorrent/0.1.0')
    expect(torrent.creationDate).toBeUndefined()
    expect(bytes.length).toBeGreaterThan(0)
  })

  it('a single file with trackers, web seed, comment and private flag matches mktorrent', async () => {
    const { torrent } = await createTorrentFromPath(join(dir, 'single.bin'), {
      pieceLength: 32768,
      announce: ['http://tracker.example/announce', 'udp://t2.example:6969/announce'],
      webSeeds: ['http://seed.example/'],
      comment: 'hello',
      private: true,
      creationDate: 1700000000
    })
    expect(torrent.infoHashHex).toBe(FIXTURE_HASHES['mk-single.torrent'])
    expect(torrent.multiFile).toBe(false)
    expect(torrent.announce).toEqual([['http://tracker.example/announce'], ['udp://t2.example:6969/announce']])
    expect(torrent.urlList).toEqual(['http://seed.example/'])
    expect(torrent.creationDate).toBe(1700000000)
  })

  it('hashes pieces across file boundaries for any piece length', async () => {
    const { torrent } = await createTorrentFromPath(join(dir, 'content'), { pieceLength: 1000 })
    const order = ['a-b/x', 'a.txt', 'a/x', 'sub/deeper/b.bin', 'sub/empty']
    const all = Buffer.concat(order.map((p) => readFileSync(join(dir, 'content', p))))
    const total = Object.values(FIXTURE_FILES).reduce((n, [len]) => n + len, 0)
    expect(all.length).toBe(total)
    expect(torrent.pieceCount).toBe(Math.ceil(total / 1000))
    for (let i = 0; i < torrent.pieceCount; i++) {
      const expected = createHash('sha1').update(all.subarray(i * 1000, (i + 1) * 1000)).digest()
      expect(Buffer.from(pieceHash(torrent, i))).toEqual(expected)
    }
  })

  it('chooses a default piece length and skips symlinks', async () => {
    const linked = join(dir, 'linked')
    mkdirSync(linked, { recursive: true })
    writeFileSync(join(linked, 'real'), new Uint8Array(5000).fill(7))
    symlinkSync(join(dir, 'single.bin'), join(linked, 'link-to-file'))
    symlinkSync(join(dir, 'content'), join(linked, 'link-to-dir'))
    const { torrent } = await createTorrentFromPath(linked)
    expect(torrent.pieceLength).toBe(16384)
    expect(torrent.files.map((f) => f.path)).toEqual([['real']])
  })

  it('rejects an empty folder and a pre-aborted signal', async () => {
    const empty = join(dir, 'empty-folder')
    mkdirSync(join(empty, 'inner'), { recursive: true })
    writeFileSync(join(empty, 'inner', 'zero'), new Uint8Array(0))
    await expect(createTorrentFromPath(empty)).rejects.toBeInstanceOf(UsageError)
    await expect(createTorrentFromPath(join(dir, 'content'), { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('libtorrent accepts the result and computes the same info-hash', async (ctx) => {
    const { bytes, torrent } = await createTorrentFromPath(join(dir, 'content'), { announce: ['http://t.example/a', 'http://u.example/a'], webSeeds: ['http://w/', 'http://x/'], creationDate: 1 })
    const file = join(dir, 'out.torrent')
    writeFileSync(file, bytes)
    const hex = libtorrentInfoHash(file)
    if (hex === undefined) {
      if (process.env.RXTORRENT_REQUIRE_INTEROP === '1') throw new Error('python3-libtorrent is required')
      ctx.skip('python3-libtorrent is not installed (/usr/bin/python3 -c "import libtorrent")')
      return
    }
    expect(hex).toBe(torrent.infoHashHex)
  })
})
