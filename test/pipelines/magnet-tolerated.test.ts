import { lastValueFrom } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { parseMagnet } from '../../lib/magnet/parse-magnet.js'
import { parseTorrent } from '../../lib/metainfo/parse-torrent.js'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { warningLine } from '../../pipelines/cli/progress.js'
import { downloadMagnet } from '../../pipelines/download-magnet.js'
import { nodeHasher, sha1 } from '../../pipelines/node/hasher.js'
import { seed } from '../../pipelines/seed.js'
import type { TorrentWarning } from '../../pipelines/types.js'
import { filledStorage, makeData } from './swarm-helpers.js'

const enc = new TextEncoder()

/** A single-file .torrent whose info dictionary has its keys out of order (as some clients write). */
function unsortedTorrent (data: Uint8Array, pieceLength: number, name: string): Uint8Array {
  const hashes = new Uint8Array(Math.ceil(data.length / pieceLength) * 20)
  for (let i = 0; i * pieceLength < data.length; i++) hashes.set(sha1(data.subarray(i * pieceLength, (i + 1) * pieceLength)), i * 20)
  const nameBytes = enc.encode(name)
  const parts = [
    enc.encode(`d4:infod4:name${nameBytes.length}:`), nameBytes,
    enc.encode(`6:lengthi${data.length}e12:piece lengthi${pieceLength}e6:pieces${hashes.length}:`), hashes,
    enc.encode('ee')
  ]
  return Buffer.concat(parts)
}

describe('metadata fetched by magnet is read as a .torrent is, and what was tolerated is reported', () => {
  it('a seed whose info keys are out of order: the download completes and says so as a warning', async () => {
    const data = makeData(6 * 16384, 77)
    const torrent = parseTorrent(unsortedTorrent(data, 16384, 'odd\u001b[2Jname.bin'), { sha1 })
    expect(torrent.tolerated?.length).toBeGreaterThan(0)
    const net = memoryNetwork()
    let resolve!: (a: PeerAddress) => void
    const listening = new Promise<PeerAddress>((r) => { resolve = r })
    const sub = seed(torrent, { data: '', storage: await filledStorage(data), transport: net.transport('10.0.0.1'), port: 0, hasher: nodeHasher, onListening: resolve }).subscribe({ error: () => {} })
    try {
      const addr = await listening
      const magnet = parseMagnet(`magnet:?xt=urn:btih:${torrent.infoHashHex}&x.pe=${addr.host}:${addr.port}`)
      const warnings: TorrentWarning[] = []
      const out = new MemoryStorage(data.length)
      const last = await lastValueFrom(downloadMagnet(magnet, { out: '', storage: out, transport: net.transport('10.0.0.2'), hasher: nodeHasher, onWarning: (w) => { warnings.push(w) } }))
      expect(last.piecesVerified).toBe(torrent.pieceCount)
      expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
      const tolerated = warnings.filter((w) => w.message.startsWith('metadata: '))
      expect(tolerated.map((w) => w.message)).toEqual((torrent.tolerated ?? []).map((t) => `metadata: ${t}`))
    } finally {
      sub.unsubscribe()
    }
  })

  it('a warning line escapes control and bidi characters, so a hostile name cannot rewrite the terminal', () => {
    const line = warningLine({ type: 'warning', message: 'peer x: name\u001b[2J\u202eevil' })
    expect(line).toBe('rxtorrent: warning: peer x: name\\u001b[2J\\u202eevil')
  })
})
