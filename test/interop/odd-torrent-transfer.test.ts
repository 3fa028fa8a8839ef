/**
 * An odd .torrent that libtorrent opens (keys out of order, a trailing
 * newline, a folder name that sanitises to nothing, colliding names, a `/`
 * inside a name, trailing spaces, a long name, a control character, an
 * empty element, a padding file without a path, a symlink without a length)
 * moves between libtorrent and rxtorrent in both directions, each finding
 * the other's folder where it expects it:
 *
 * 1. the data laid out as rxtorrent lays it out is checked complete by a
 *    libtorrent seeder, and its metadata fetched by magnet reads the same;
 * 2. rxtorrent downloads it from that seeder, byte for byte;
 * 3. libtorrent downloads it from rxtorrent seeding that download;
 * 4. rxtorrent seeds the folder libtorrent saved, every piece verified.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import type { Torrent } from '../../lib/metainfo/types.js'
import { filePath } from '../../lib/storage/file-layout.js'
import { parseTorrentFile } from '../../pipelines/parse-torrent-file.js'
import { deterministicBytes, describeWithClients, freePort, hasLibtorrent, makeTempDir, removeDir, runCli, spawnCli, stopAll, waitForPort, type ManagedProcess } from './helpers/clients.js'
import { ltDownload, startLtSeeder } from './helpers/lt-peer.js'
import { dict, encodeRaw, type Raw } from './helpers/odd-torrents.js'

const PIECE = 16384
const dirs: string[] = []
afterEach(async () => {
  await stopAll()
  for (const d of dirs.splice(0)) await removeDir(d)
})

interface Entry { path?: Raw[], length?: number, attr?: string, symlink?: Raw[] }

const ENTRIES: Entry[] = [
  { path: ['a', 'bar.txt'], length: 1000 },
  { path: ['a', 'bar.txt'], length: 2000 },
  { path: ['trail  '], length: 3000 },
  { path: ['x/y'], length: 4000 },
  { path: ['é'.repeat(150) + '.txt'], length: 5000 },
  { attr: 'p', length: PIECE - 15000 },
  { path: ['c\u0001d'], length: 100 },
  { path: ['', 'e'], length: 100 },
  { path: ['link'], attr: 'l', symlink: ['trail  '] },
  { path: ['empty'], length: 0 },
  { path: ['EMPTY'], length: 7000 }
]

/** The torrent's bytes and the content of its byte stream. */
function oddTorrent (): { bytes: Uint8Array, stream: Uint8Array } {
  const total = ENTRIES.reduce((n, e) => n + (e.attr === 'l' ? 0 : e.length ?? 0), 0)
  const stream = deterministicBytes('odd-transfer', total)
  let at = 0
  for (const e of ENTRIES) {
    const n = e.attr === 'l' ? 0 : e.length ?? 0
    if (e.attr === 'p') stream.fill(0, at, at + n)
    at += n
  }
  const pieces: Uint8Array[] = []
  for (let p = 0; p < total; p += PIECE) pieces.push(createHash('sha1').update(stream.subarray(p, p + PIECE)).digest())
  const files = ENTRIES.map((e) => dict({ path: e.path, length: e.length, attr: e.attr, 'symlink path': e.symlink }))
  // keys out of order in info, and a newline after the torrent
  const info: Raw = { pairs: [['piece length', PIECE], ['name', '..'], ['pieces', Buffer.concat(pieces)], ['files', files]] }
  const bytes = encodeRaw(dict({ info, 'created by': 'odd' }))
  return { bytes: new Uint8Array([...bytes, 0x0a]), stream }
}

/** Writes each real file of `t` where rxtorrent lays it out under `dir`. */
async function layOut (t: Torrent, stream: Uint8Array, dir: string): Promise<void> {
  for (const f of t.files) {
    if (f.padding || f.attr.includes('l')) continue
    const path = join(dir, ...filePath(t, f))
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, stream.subarray(f.offset, f.offset + f.length))
  }
}

/** Files of `t` whose bytes under `dir` differ from the stream, or are missing. */
async function differences (t: Torrent, stream: Uint8Array, dir: string): Promise<string[]> {
  const bad: string[] = []
  for (const f of t.files) {
    if (f.padding || f.attr.includes('l')) continue
    const rel = filePath(t, f).join('/')
    const data = await readFile(join(dir, ...filePath(t, f))).catch(() => undefined)
    if (data === undefined || !Buffer.from(stream.subarray(f.offset, f.offset + f.length)).equals(data)) bad.push(rel)
  }
  return bad
}

/** `verified N/M` from `rxtorrent seed`'s check line, once it is printed. */
async function verifiedLine (seed: ManagedProcess): Promise<string> {
  const m = await seed.waitFor(() => /^(verified \d+\/\d+) pieces/m.exec(seed.stdout) ?? undefined, 30_000, 'the verified line')
  return m[1] as string
}

describeWithClients('an odd torrent moves between libtorrent and rxtorrent', [hasLibtorrent()], () => {
  it('each reads the folder the other saved', async () => {
    const work = await makeTempDir('rxt-odd-transfer-')
    dirs.push(work)
    const { bytes, stream } = oddTorrent()
    const torrentFile = join(work, 'odd.torrent')
    await writeFile(torrentFile, bytes)
    const t = parseTorrentFile(bytes)
    expect(t.name).toBe(t.infoHashHex)
    expect(t.files.filter((f) => !f.padding).map((f) => f.path.join('/'))).toEqual([
      'a/bar.txt', 'a/bar.1.txt', 'trail  ', 'xy', 'é'.repeat(120) + '.txt', 'c_d', '_/e', 'link', 'empty', 'EMPTY.1'
    ])

    // 1. libtorrent checks rxtorrent's layout complete
    const src = join(work, 'src')
    await layOut(t, stream, src)
    const seeder = await startLtSeeder(torrentFile, src)

    // 1b. the same info dictionary fetched by magnet (BEP 9) from libtorrent is read alike
    const fetched = await runCli(['info', `magnet:?xt=urn:btih:${t.infoHashHex}`, '--fetch', '--peer', seeder.address, '--json', '--timeout', '20'], { timeoutMs: 30_000 })
    expect(fetched.code, fetched.diagnostics).toBe(0)
    const record = JSON.parse(fetched.stdout) as { infoHash: string, name: string, files: Array<{ path: string }>, tolerated?: string[] }
    expect(record.infoHash).toBe(t.infoHashHex)
    expect(record.files.map((f) => f.path)).toEqual(t.files.filter((f) => !f.padding).map((f) => filePath(t, f).join('/')))
    expect(record.tolerated).toContain('keys out of order in info')

    // 2. rxtorrent downloads it from libtorrent
    const out = join(work, 'rx-out')
    const download = spawnCli(['download', torrentFile, '--out', out, '--peer', seeder.address, '--quiet'])
    const exit = await download.exited
    expect(exit.code, download.diagnostics()).toBe(0)
    expect(download.stderr).toContain('keys out of order in info')
    expect(await differences(t, stream, out)).toEqual([])
    await seeder.process.stop()

    // 3. libtorrent downloads it from rxtorrent seeding that folder
    const port = await freePort()
    const seed = spawnCli(['seed', torrentFile, '--data', out, '--port', String(port), '--host', '127.0.0.1'])
    expect(await verifiedLine(seed)).toBe(`verified ${t.pieceCount}/${t.pieceCount}`)
    await waitForPort(port, 30_000, seed)
    const ltOut = join(work, 'lt-out')
    await ltDownload(torrentFile, ltOut, { peers: [`127.0.0.1:${port}`], timeoutSeconds: 60 })
    expect(await differences(t, stream, ltOut)).toEqual([])
    await seed.stop()

    // 4. rxtorrent seeds the folder libtorrent saved
    const port2 = await freePort()
    const reseed = spawnCli(['seed', torrentFile, '--data', ltOut, '--port', String(port2), '--host', '127.0.0.1'])
    expect(await verifiedLine(reseed)).toBe(`verified ${t.pieceCount}/${t.pieceCount}`)
  }, 60_000)
})
