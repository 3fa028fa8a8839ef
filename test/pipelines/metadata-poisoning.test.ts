/**
 * Magnet metadata poisoning on a memory network under a virtual clock: a
 * scripted peer states a huge `metadata_size` before the honest seed states
 * the real one, then stays silent or answers with garbage; the metadata must
 * still come from the seed, in no virtual time, without waiting for the
 * liar's request timeout.
 */
import { describe, expect, it } from 'vitest'
import type { Subscription } from 'rxjs'
import { decodeExtendedHandshake, encodeExtendedHandshake } from '../../lib/extensions/extended-handshake.js'
import { decodeMetadataMessage, encodeMetadataMessage, metadataPieceLength } from '../../lib/extensions/ut-metadata.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { memoryNetwork } from '../../operators/memory-network.js'
import { VirtualClock } from '../../operators/virtual-clock.js'
import type { FetchedMetadata } from '../../pipelines/fetch-metadata.js'
import { fetchMetadata } from '../../pipelines/magnet-metadata.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { seed } from '../../pipelines/seed.js'
import type { TorrentWarning } from '../../pipelines/types.js'
import { createTorrent } from '../../lib/metainfo/create-torrent.js'
import { parseTorrent } from '../../lib/metainfo/parse-torrent.js'
import { filledStorage, makeData, makeTorrent, scriptedPeer, sha1 } from './swarm-helpers.js'

type Net = ReturnType<typeof memoryNetwork>
type Torrent = ReturnType<typeof makeTorrent>

const EVIL_ID = 3
const settle = async (): Promise<void> => { await new Promise<void>((resolve) => { setImmediate(resolve) }) }

/**
 * A peer that offers `ut_metadata` with `size` in its opening extended
 * handshake, then stays silent or answers each request with deterministic
 * garbage of the right length (piece `delay.piece` after `delay.ms` on the clock).
 * Counts the requests it saw.
 */
async function liar (net: Net, host: string, torrent: Torrent, data: Uint8Array, size: number, mode: 'silent' | 'garbage',
  delay?: { clock: VirtualClock, ms: number, piece: number }): Promise<{ address: PeerAddress, requests: () => number }> {
  let requests = 0
  let theirId: number | undefined
  const address = await scriptedPeer(net, host, torrent, data, {
    idTail: `liar-${mode}`,
    extended: true,
    opening: [{ type: 'extended', id: 0, payload: encodeExtendedHandshake({ m: { ut_metadata: EVIL_ID }, metadataSize: size }) }],
    onMessage: (m, reply) => {
      if (m.type !== 'extended') return
      if (m.id === 0) { theirId = decodeExtendedHandshake(m.payload).m.ut_metadata; return }
      const r = decodeMetadataMessage(m.payload)
      if (m.id !== EVIL_ID || r.msgType !== 'request') return
      requests++
      if (mode === 'silent' || theirId === undefined) return
      const junk = new Uint8Array(metadataPieceLength(size, r.piece)).fill(r.piece & 0xff)
      const answer = { type: 'extended', id: theirId, payload: encodeMetadataMessage({ msgType: 'data', piece: r.piece, totalSize: size, data: junk }) } as const
      if (delay === undefined || delay.piece !== r.piece) reply.send(answer)
      else delay.clock.schedule(() => { reply.send(answer) }, delay.ms)
    }
  })
  return { address, requests: () => requests }
}

/** A torrent over `data` split into `count` files named f0000.bin…, so its metadata spans several pieces. */
function manyFiles (data: Uint8Array, count: number): Torrent {
  const hashes = new Uint8Array(Math.ceil(data.length / 16384) * 20)
  for (let i = 0; i * 16384 < data.length; i++) hashes.set(sha1(data.subarray(i * 16384, (i + 1) * 16384)), i * 20)
  const each = Math.floor(data.length / count)
  const files = Array.from({ length: count }, (_, i) => ({ path: [`f${String(i).padStart(4, '0')}.bin`], length: i < count - 1 ? each : data.length - each * (count - 1) }))
  return parseTorrent(createTorrent({ name: 'many', multiFile: true, files, pieceLength: 16384, pieceHashes: hashes }), { sha1 })
}

async function startSeed (net: Net, host: string, torrent: Torrent, data: Uint8Array, clock: VirtualClock, subs: Subscription[]): Promise<PeerAddress> {
  let resolve!: (a: PeerAddress) => void
  const listening = new Promise<PeerAddress>((r) => { resolve = r })
  subs.push(seed(torrent, { data: '', storage: await filledStorage(data), transport: net.transport(host), port: 0, hasher: nodeHasher, trackers: false, pex: false, scheduler: clock, onListening: resolve }).subscribe({ error: () => {} }))
  return await listening
}

/** Runs fetchMetadata on the clock for at most `forMs` virtual ms; returns the result (or undefined) and the virtual time taken. */
async function fetchOn (clock: VirtualClock, net: Net, torrent: Torrent, peers: PeerAddress[], warnings: TorrentWarning[], forMs = 60_000): Promise<{ fetched: FetchedMetadata | undefined, ms: number }> {
  let fetched: FetchedMetadata | undefined
  let failed: unknown
  const ac = new AbortController()
  void fetchMetadata(torrent.infoHash, { peers, transport: net.transport('10.0.0.2'), scheduler: clock, signal: ac.signal, onWarning: (w) => warnings.push(w) })
    .then((f) => { fetched = f }, (e: unknown) => { failed = e })
  const start = clock.now()
  await clock.run({ forMs, settle, until: () => fetched !== undefined || failed !== undefined })
  const ms = clock.now() - start
  ac.abort()
  await settle()
  if (failed !== undefined && !(failed instanceof Error && /abort/i.test(failed.message))) throw failed
  return { fetched, ms }
}

describe('magnet metadata poisoning (memory network, virtual clock)', () => {
  const data = makeData(40 * 16384, 71)
  const torrent = makeTorrent(data, 16384, [300_000, data.length - 300_000])

  for (const mode of ['silent', 'garbage'] as const) {
    it(`a ${mode} peer stating 16 MiB first: the seed's metadata is fetched at once, and only the seed is reported`, async () => {
      const net = memoryNetwork()
      const clock = new VirtualClock()
      const subs: Subscription[] = []
      const evil = await liar(net, '10.0.0.9', torrent, data, 16 * 1024 * 1024, mode)
      const good = await startSeed(net, '10.0.0.1', torrent, data, clock, subs)
      const warnings: TorrentWarning[] = []
      const { fetched, ms } = await fetchOn(clock, net, torrent, [evil.address, good], warnings)
      for (const s of subs) s.unsubscribe()
      expect(fetched?.torrent.infoHashHex, warnings.map((w) => w.message).join('\n')).toBe(torrent.infoHashHex)
      expect(Buffer.compare(fetched?.torrent.infoBytes ?? new Uint8Array(0), torrent.infoBytes)).toBe(0)
      expect(ms).toBeLessThan(1000) // never waits for the liar's 15 s request timeout
      expect(evil.requests()).toBeGreaterThan(0)
      expect(fetched?.peers).toEqual([good])
      expect(warnings.some((w) => /size|mismatch/.test(w.message))).toBe(false)
    })
  }

  it('a slow peer stating the real size but sending garbage: the mixed assembly fails, then one source at a time finds and bans it', async () => {
    // 1,200 files: metadata of three pieces; the liar answers piece 1 100 ms late, so the seed
    // is asked for it too and the first assembly mixes the liar's pieces 0 and 2 with the seed's 1.
    const torrent = manyFiles(data, 1200)
    expect(torrent.infoBytes.length).toBeGreaterThan(2 * 16384)
    const net = memoryNetwork()
    const clock = new VirtualClock()
    const subs: Subscription[] = []
    const evil = await liar(net, '10.0.0.9', torrent, data, torrent.infoBytes.length, 'garbage', { clock, ms: 100, piece: 1 })
    const good = await startSeed(net, '10.0.0.1', torrent, data, clock, subs)
    const warnings: TorrentWarning[] = []
    const { fetched, ms } = await fetchOn(clock, net, torrent, [evil.address, good], warnings)
    for (const s of subs) s.unsubscribe()
    expect(fetched?.torrent.infoHashHex, warnings.map((w) => w.message).join('\n')).toBe(torrent.infoHashHex)
    expect(ms).toBeLessThan(1000)
    expect(evil.requests()).toBeGreaterThan(0)
    expect(fetched?.peers).toEqual([good])
    expect(fetched?.banned).toEqual([evil.address])
    expect(warnings.map((w) => w.message).filter((m) => /did not match/.test(m))).toEqual([
      `metadata of ${torrent.infoBytes.length} bytes from ${evil.address.host}:${evil.address.port}, ${good.host}:${good.port} did not match the info-hash; asking them one at a time`,
      `metadata of ${torrent.infoBytes.length} bytes from ${evil.address.host}:${evil.address.port} did not match the info-hash`
    ])
  })
})
