import { createSocket } from 'node:dgram'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../../../lib/magnet/info-hash.js'
import { createTorrent } from '../../../lib/metainfo/create-torrent.js'
import { parseTorrent } from '../../../lib/metainfo/parse-torrent.js'
import { main } from '../../../pipelines/cli/main.js'
import { formatScrape, parseTimeout, scrapeTrackers } from '../../../pipelines/cli/scrape.js'
import { sha1 } from '../../../pipelines/node/hasher.js'
import { nodeTrackerClient } from '../../../pipelines/node/tracker-client.js'
import { startTracker, type TrackerServer } from '../../../pipelines/tracker-server.js'
import { fakeIo } from './fake-io.js'

let tracker: TrackerServer
let dir = ''
let torrentPath = ''
let deadOnlyPath = ''
let infoHash: Uint8Array
let deadUdp = ''

/** A UDP port with nobody behind it: bound, then closed. */
async function closedUdpPort (): Promise<number> {
  const s = createSocket('udp4')
  await new Promise<void>(resolve => { s.bind(0, '127.0.0.1', resolve) })
  const port = s.address().port
  await new Promise<void>(resolve => { s.close(() => { resolve() }) })
  return port
}

beforeAll(async () => {
  tracker = await startTracker({ host: '127.0.0.1', httpPort: 0, udpPort: 0 })
  dir = await mkdtemp(join(tmpdir(), 'rxtorrent-scrape-'))
  deadUdp = `udp://127.0.0.1:${await closedUdpPort()}`
  const base = { name: 'x.bin', multiFile: false, files: [{ path: [], length: 5 }], pieceLength: 16384, pieceHashes: new Uint8Array(20).fill(1) }
  const bytes = createTorrent({ ...base, announce: [`${tracker.httpUrl ?? ''}`, `${tracker.udpUrl ?? ''}`, 'http://127.0.0.1:1/no-scrape-here'] })
  infoHash = parseTorrent(bytes, { sha1 }).infoHash
  torrentPath = join(dir, 'x.torrent')
  await writeFile(torrentPath, bytes)
  deadOnlyPath = join(dir, 'dead.torrent')
  await writeFile(deadOnlyPath, createTorrent({ ...base, announce: ['http://127.0.0.1:1/announce'] }))
  // one seeder and one leecher, announced over HTTP
  const client = nodeTrackerClient()
  const req = { infoHash, port: 6881, uploaded: 0, downloaded: 0, event: 'started' as const }
  await client.announce(tracker.httpUrl ?? '', { ...req, peerId: new Uint8Array(20).fill(1), left: 0 })
  await client.announce(tracker.httpUrl ?? '', { ...req, peerId: new Uint8Array(20).fill(2), port: 6882, left: 5 })
  await client.close()
})

afterAll(async () => {
  await tracker.close()
  await rm(dir, { recursive: true, force: true })
})

describe('rxtorrent scrape', () => {
  it('prints seeders, leechers and completed per tracker, errors per tracker, exit 0 when one answered', async () => {
    const io = fakeIo()
    const code = await main(['scrape', torrentPath, '--timeout', '5'], io)
    expect(code).toBe(0)
    const out = io.out()
    expect(out).toContain(`scrape of ${toHex(infoHash)}:`)
    expect(out).toContain(`${tracker.httpUrl ?? ''}: 1 seeders, 1 leechers, 0 completed`)
    expect(out).toContain(`${tracker.udpUrl ?? ''}: 1 seeders, 1 leechers, 0 completed`)
    expect(out).toMatch(/no-scrape-here: error: .*scrape/)
  })

  it('prints JSON with --json, for a magnet link too', async () => {
    const io = fakeIo()
    const magnet = `magnet:?xt=urn:btih:${toHex(infoHash)}&tr=${encodeURIComponent(tracker.udpUrl ?? '')}`
    expect(await main(['scrape', magnet, '--json'], io)).toBe(0)
    expect(JSON.parse(io.out())).toEqual({ infoHash: toHex(infoHash), trackers: [{ tracker: tracker.udpUrl, seeders: 1, leechers: 1, completed: 0 }] })
  })

  it('exits 1 when no tracker answered, and when there are none', async () => {
    const io = fakeIo()
    expect(await main(['scrape', deadOnlyPath, '--json'], io)).toBe(1)
    const record = JSON.parse(io.out()) as { trackers: Array<{ error?: string }> }
    expect(record.trackers).toHaveLength(1)
    expect(record.trackers[0]?.error).toMatch(/request failed|ECONNREFUSED/)
    const none = fakeIo()
    expect(await main(['scrape', `magnet:?xt=urn:btih:${toHex(infoHash)}`], none)).toBe(1)
    expect(none.err()).toContain('no trackers')
  })

  it('rejects bad flags with exit 2', async () => {
    const io = fakeIo()
    expect(await main(['scrape', torrentPath, '--timeout', '0'], io)).toBe(2)
    expect(await main(['scrape'], fakeIo())).toBe(2)
    expect(await main(['scrape', torrentPath, '--bogus'], fakeIo())).toBe(2)
    expect(() => parseTimeout('abc')).toThrow(/timeout/)
    expect(parseTimeout(undefined)).toBe(15)
  })

  it('shows help', async () => {
    const io = fakeIo()
    expect(await main(['scrape', '--help'], io)).toBe(0)
    expect(io.out()).toContain('Usage: rxtorrent scrape')
  })
})

describe('rxtorrent info --scrape', () => {
  it('adds the scrape rows to the info output', async () => {
    const io = fakeIo()
    expect(await main(['info', torrentPath, '--scrape', '--json'], io)).toBe(0)
    const record = JSON.parse(io.out()) as { name: string, scrape: unknown[] }
    expect(record.name).toBe('x.bin')
    expect(record.scrape).toContainEqual({ tracker: tracker.httpUrl, seeders: 1, leechers: 1, completed: 0 })
    const text = fakeIo()
    expect(await main(['info', torrentPath, '--scrape'], text)).toBe(0)
    expect(text.out()).toMatch(/name: +x\.bin[\s\S]*scrape of [0-9a-f]{40}:\n {2}http/)
    expect(await main(['info', deadOnlyPath, '--scrape'], fakeIo())).toBe(1)
  })
})

describe('scrapeTrackers', () => {
  it('keeps tracker order, reports unknown torrents and escapes hostile text', async () => {
    const client = {
      scrape: async (url: string) => {
        if (url === 'a') return { files: new Map([[toHex(infoHash), { complete: 3, incomplete: 4, downloaded: 5 }]]) }
        if (url === 'b') return { files: new Map() }
        throw new Error('evil\u001b[2J\nline')
      }
    }
    const rows = await scrapeTrackers(client, infoHash, ['a', 'b', 'c\u202e'])
    expect(rows).toEqual([
      { tracker: 'a', seeders: 3, leechers: 4, completed: 5 },
      { tracker: 'b', error: 'the tracker does not know this torrent' },
      { tracker: 'c\u202e', error: expect.stringContaining('evil') as unknown as string }
    ])
    const text = formatScrape({ infoHash: 'ff', trackers: rows })
    expect(text).not.toMatch(/[\u001b\u202e]/)
    expect(text.split('\n')).toHaveLength(5)
  })

  it('scrapes a UDP tracker that does not answer as an error row', async () => {
    const client = nodeTrackerClient({ timeoutMs: 200, udp: { retransmitBaseMs: 50 } })
    const rows = await scrapeTrackers(client, infoHash, [deadUdp])
    await client.close()
    expect(rows[0]).toMatchObject({ tracker: deadUdp, error: expect.stringMatching(/within 200 ms|no reply|unreachable/) as unknown as string })
  })
})
