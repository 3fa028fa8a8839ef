import { lastValueFrom } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { download } from '../../pipelines/download.js'
import { downloadMagnet } from '../../pipelines/download-magnet.js'
import { fetchMetadata } from '../../pipelines/magnet-metadata.js'
import { seed } from '../../pipelines/seed.js'
import { nodeHasher, sha1 } from '../../pipelines/node/hasher.js'
import { createTorrent } from '../../lib/metainfo/create-torrent.js'
import { parseTorrent } from '../../lib/metainfo/parse-torrent.js'
import { parseMagnet } from '../../lib/magnet/parse-magnet.js'
import type { TorrentWarning } from '../../pipelines/types.js'
import { filledStorage, makeData, makeTorrent } from './swarm-helpers.js'

type Net = ReturnType<typeof memoryNetwork>
type Torrent = ReturnType<typeof makeTorrent>

async function startSeed (net: Net, host: string, torrent: Torrent, data: Uint8Array, cleanups: Array<() => void>): Promise<PeerAddress> {
  let resolve!: (a: PeerAddress) => void
  const listening = new Promise<PeerAddress>((r) => { resolve = r })
  const sub = seed(torrent, { data: '', storage: await filledStorage(data), transport: net.transport(host), port: 0, hasher: nodeHasher, onListening: resolve, pex: { firstDelayMs: 1 } }).subscribe({ error: () => {} })
  cleanups.push(() => { sub.unsubscribe() })
  return await listening
}

describe('BEP 9 metadata exchange over a memory network', () => {
  it('fetches the metadata from a seed, verified against the info-hash, and downloads from a magnet link', async () => {
    const cleanups: Array<() => void> = []
    const data = makeData(40 * 16384, 51)
    const torrent = makeTorrent(data, 16384, [300000, data.length - 300000])
    const net = memoryNetwork()
    const addr = await startSeed(net, '10.0.0.1', torrent, data, cleanups)
    const fetched = await fetchMetadata(torrent.infoHash, { peers: [addr], transport: net.transport('10.0.0.2') })
    expect(fetched.torrent.infoHashHex).toBe(torrent.infoHashHex)
    expect(Buffer.compare(fetched.torrent.infoBytes, torrent.infoBytes)).toBe(0)
    expect(parseTorrent(fetched.torrentFile, { sha1 }).infoHashHex).toBe(torrent.infoHashHex)
    const magnet = parseMagnet(`magnet:?xt=urn:btih:${torrent.infoHashHex}&x.pe=${addr.host}:${addr.port}`)
    const out = new MemoryStorage(data.length)
    const states: string[] = []
    const last = await lastValueFrom(downloadMagnet(magnet, { out: '', storage: out, transport: net.transport('10.0.0.3'), hasher: nodeHasher }).pipe((s) => { s.subscribe((p) => states.push(p.state)); return s }))
    for (const c of cleanups) c()
    expect(states[0]).toBe('metadata')
    expect(last.piecesVerified).toBe(torrent.pieceCount)
    expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
  })

  it('a private torrent\'s metadata is never handed out (BEP 27)', async () => {
    const cleanups: Array<() => void> = []
    const data = makeData(4 * 16384, 52)
    const hashes = new Uint8Array(4 * 20)
    for (let i = 0; i < 4; i++) hashes.set(sha1(data.subarray(i * 16384, (i + 1) * 16384)), i * 20)
    const torrent = parseTorrent(createTorrent({ name: 'p', multiFile: false, files: [{ path: [], length: data.length }], pieceLength: 16384, pieceHashes: hashes, private: true }), { sha1 })
    const net = memoryNetwork()
    const addr = await startSeed(net, '10.0.0.1', torrent, data, cleanups)
    const warnings: TorrentWarning[] = []
    await expect(fetchMetadata(torrent.infoHash, { peers: [addr], transport: net.transport('10.0.0.2'), onWarning: (w) => warnings.push(w) })).rejects.toMatchObject({ code: 'no-peers' })
    for (const c of cleanups) c()
    // Asked once: a peer without the metadata is not dialed again (lib/swarm/dial-rules metadataPeerHopeless).
    expect(warnings.filter((w) => /does not offer its metadata/.test(w.message))).toHaveLength(1)
  })

  it('a peer serving metadata that does not match the info-hash is dropped; another peer completes it (D45)', async () => {
    const cleanups: Array<() => void> = []
    const data = makeData(8 * 16384, 53)
    const torrent = makeTorrent(data, 16384)
    const impostor = makeTorrent(makeData(8 * 16384, 54), 16384)
    const net = memoryNetwork()
    // The impostor seeds another torrent but answers for our info-hash: give it
    // our info-hash with its own info bytes.
    const lying = { ...impostor, infoHash: torrent.infoHash, infoHashHex: torrent.infoHashHex }
    const bad = await startSeed(net, '10.0.0.9', lying, makeData(8 * 16384, 54), cleanups)
    const good = await startSeed(net, '10.0.0.1', torrent, data, cleanups)
    const warnings: TorrentWarning[] = []
    const fetched = await fetchMetadata(torrent.infoHash, { peers: [bad, good], transport: net.transport('10.0.0.2'), onWarning: (w) => warnings.push(w) })
    for (const c of cleanups) c()
    expect(fetched.torrent.infoHashHex).toBe(torrent.infoHashHex)
  })
})

describe('BEP 11 peer exchange over a memory network', () => {
  it('a leecher connected only to a relay learns the seed through PEX and completes from it', async () => {
    const cleanups: Array<() => void> = []
    const data = makeData(12 * 16384, 55)
    const torrent = makeTorrent(data, 16384)
    const net = memoryNetwork()
    const seedAddr = await startSeed(net, '10.0.0.1', torrent, data, cleanups)
    // The relay holds nothing and never completes quickly: it is only connected to the seed, with a tiny request window.
    let relayResolve!: (a: PeerAddress) => void
    const relayListening = new Promise<PeerAddress>((r) => { relayResolve = r })
    const never = { pick: () => [] }
    const relay = download(torrent, { out: '', storage: new MemoryStorage(data.length), transport: net.transport('10.0.0.2'), port: 0, peers: [seedAddr], picker: never, hasher: nodeHasher, seed: true, onListening: relayResolve, pex: { firstDelayMs: 1 } }).subscribe({ error: () => {} })
    cleanups.push(() => { relay.unsubscribe() })
    const relayAddr = await relayListening
    // Let the relay's connection to the seed come up, so its first PEX message names the seed.
    await new Promise<void>((resolve) => { const t = setInterval(() => { if (net.listening.size >= 2) { clearInterval(t); resolve() } }, 1) })
    const events: string[] = []
    const out = new MemoryStorage(data.length)
    const last = await lastValueFrom(download(torrent, {
      out: '', storage: out, transport: net.transport('10.0.0.3'), peers: [relayAddr], hasher: nodeHasher, pex: { firstDelayMs: 1 },
      onExtensionEvent: (peer, name) => { events.push(`${peer} ${name}`) }
    }))
    for (const c of cleanups) c()
    expect(events.some((e) => e.startsWith(`${relayAddr.host}:${relayAddr.port} ut_pex`))).toBe(true)
    expect(last.piecesVerified).toBe(torrent.pieceCount)
    expect(Buffer.compare(await out.read(0, data.length), data)).toBe(0)
  })
})
