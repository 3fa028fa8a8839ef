/**
 * Magnet metadata poisoning (ADVERSARIAL D43–D45, issue 11 item 3): a hostile
 * peer listed first in the magnet's `x.pe` states a `metadata_size` of 16 MiB
 * before the honest libtorrent seeder states the real one, then either stays
 * silent or answers every `ut_metadata` request with garbage of the right
 * shape. `rxtorrent download <magnet>` must fetch the real metadata from the
 * seeder anyway, verify it against the info-hash, and complete within
 * seconds, byte-identical.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, afterEach, expect, it } from 'vitest'
import { decodeExtendedHandshake, encodeExtendedHandshake } from '../../lib/extensions/extended-handshake.js'
import { decodeMetadataMessage, encodeMetadataMessage } from '../../lib/extensions/ut-metadata.js'
import { FrameDecoder, encodeHandshake, encodeMessage, makeReserved } from '../../lib/wire/index.js'
import { describeWithClients, hasLibtorrent, runCli, stopAll } from './helpers/clients.js'
import { MiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import { magnetUri } from './helpers/lt-magnet.js'
import { ltTorrentInfo, startLtSeeder } from './helpers/lt-peer.js'

const EVIL_SIZE = 16 * MiB
/** The id the evil peer asks us to send `ut_metadata` with. */
const EVIL_UT_METADATA = 3

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => { s.close(() => { resolve() }) })
  await stopAll()
  await removeWorkspaces()
})
afterAll(async () => {
  await stopAll()
  await removeWorkspaces()
})

/** Deterministic garbage for the data messages (no unseeded randomness). */
function garbage (piece: number): Uint8Array {
  const out = new Uint8Array(16 * 1024)
  let x = (piece * 2654435761 + 1) >>> 0
  for (let i = 0; i < out.length; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; out[i] = x >>> 24 }
  return out
}

/**
 * A hostile peer on 127.0.0.1: on connect it sends its handshake and an
 * extended handshake offering `ut_metadata` with `metadata_size` 16 MiB at
 * once (so it speaks before any honest peer), then stays silent or answers
 * every metadata request with 16 KiB of garbage stating `total_size` 16 MiB.
 * Resolves with its `host:port`; `requests` counts the requests it saw.
 */
async function startEvilPeer (infoHashHex: string, mode: 'silent' | 'garbage'): Promise<{ address: string, requests: () => number }> {
  const infoHash = Buffer.from(infoHashHex, 'hex')
  let requests = 0
  const server = createServer((socket: Socket) => {
    socket.on('error', () => {})
    socket.write(encodeHandshake({ reserved: makeReserved({ fast: true, extended: true }), infoHash, peerId: Buffer.from('-EV0001-poisonpoison') }))
    socket.write(encodeMessage({ type: 'extended', id: 0, payload: encodeExtendedHandshake({ m: { ut_metadata: EVIL_UT_METADATA }, metadataSize: EVIL_SIZE, v: 'evil' }) }))
    let skip = 68
    let theirId: number | undefined
    const frames = new FrameDecoder({ maxMessageLength: 1024 * 1024 })
    socket.on('data', (chunk: Buffer) => {
      const cut = Math.min(skip, chunk.length)
      skip -= cut
      let messages
      try { messages = frames.push(chunk.subarray(cut)) } catch { socket.destroy(); return }
      for (const m of messages) {
        if (m.type !== 'extended') continue
        if (m.id === 0) { theirId = decodeExtendedHandshake(m.payload).m.ut_metadata; continue }
        if (m.id !== EVIL_UT_METADATA) continue
        const request = decodeMetadataMessage(m.payload)
        if (request.msgType !== 'request') continue
        requests++
        if (mode === 'silent' || theirId === undefined) continue
        const data = garbage(request.piece)
        socket.write(encodeMessage({ type: 'extended', id: theirId, payload: encodeMetadataMessage({ msgType: 'data', piece: request.piece, totalSize: EVIL_SIZE, data }) }))
      }
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', () => { resolve() }) })
  const a = server.address()
  const port = typeof a === 'object' && a !== null ? a.port : 0
  return { address: `127.0.0.1:${port}`, requests: () => requests }
}

describeWithClients('magnet metadata poisoning against a libtorrent seeder (BEP 9)', [hasLibtorrent()], () => {
  for (const mode of ['silent', 'garbage'] as const) {
    it(`a ${mode} peer stating 16 MiB first does not stop the download from an honest libtorrent seeder`, async () => {
      const ws = await makeWorkspace({ kind: 'single', name: `poison-${mode}.bin`, size: 2 * MiB + 333 }, 'libtorrent', 16 * 1024, `poison-${mode}`)
      const { infoHash } = await ltTorrentInfo(ws.torrent)
      const evil = await startEvilPeer(infoHash, mode)
      const seeder = await startLtSeeder(ws.torrent, ws.src)
      const magnet = magnetUri(infoHash, ws.layout.name, [evil.address, seeder.address])
      const started = performance.now()
      const result = await runCli(['download', magnet, '--out', ws.out, '--quiet'], { timeoutMs: 30_000 })
      const seconds = (performance.now() - started) / 1000
      expect(result.code, result.diagnostics).toBe(0)
      expect(await ws.compare()).toEqual([])
      expect(seconds, result.diagnostics).toBeLessThan(15)
      // The evil peer was really asked: it was listed first and stated its size first.
      expect(evil.requests(), result.diagnostics).toBeGreaterThan(0)
    })
  }
})
