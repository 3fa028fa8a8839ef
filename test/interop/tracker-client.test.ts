/**
 * rxtorrent's tracker client against opentracker (Debian's whitelist build)
 * on loopback: HTTP and UDP announces and scrapes, and the typed failure for
 * an info-hash opentracker does not serve.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { toHex } from '../../lib/magnet/info-hash.js'
import { TrackerError } from '../../lib/tracker/tracker-error.js'
import type { AnnounceRequest } from '../../lib/tracker/types.js'
import { nodeTrackerClient, type TrackerClient } from '../../pipelines/node/tracker-client.js'
import { describeWithClients, hasOpentracker, makeTempDir, removeDir, stopAll } from './helpers/clients.js'
import { startOpentracker, type Opentracker } from './helpers/opentracker.js'

const infoHash = new Uint8Array(20).map((_, i) => 0x10 + i)
const unknownHash = new Uint8Array(20).fill(0xee)
const base: AnnounceRequest = { infoHash, peerId: new Uint8Array(20), port: 0, uploaded: 0, downloaded: 0, left: 0, event: 'started' }
const peerId = (n: number): Uint8Array => new TextEncoder().encode(`-RX0100-interop${String(n).padStart(5, '0')}`)

describeWithClients('tracker client against opentracker', [hasOpentracker()], () => {
  let dir = ''
  let httpUrl = ''
  let udpUrl = ''
  let client: TrackerClient
  let tracker: Opentracker | undefined

  beforeAll(async () => {
    dir = await makeTempDir('rxtorrent-opentracker-')
    // Under watchdog.py: opentracker drops to `nobody`, which clears PR_SET_PDEATHSIG.
    tracker = await startOpentracker(join(dir, 'chroot'), [toHex(infoHash)])
    httpUrl = tracker.httpAnnounce
    udpUrl = tracker.udpAnnounce
    client = nodeTrackerClient({ timeoutMs: 10_000, udp: { retransmitBaseMs: 1000 } })
  })

  afterAll(async () => {
    await client?.close()
    await tracker?.stop()
    await stopAll()
    if (dir !== '') await removeDir(dir)
  })

  it('announces a seeder over HTTP and a leecher over UDP; each sees the other', async () => {
    const seeder = await client.announce(httpUrl, { ...base, peerId: peerId(1), port: 7001, left: 0 })
    expect(seeder.interval).toBeGreaterThan(0)
    expect(seeder.complete).toBe(1)
    const leecher = await client.announce(udpUrl, { ...base, peerId: peerId(2), port: 7002, left: 1000, key: 42, numwant: 50 })
    expect(leecher.peers).toContainEqual({ host: '127.0.0.1', port: 7001 })
    expect(leecher.complete).toBe(1)
    expect(leecher.incomplete).toBe(1)
    const again = await client.announce(httpUrl, { ...base, peerId: peerId(1), port: 7001, left: 0, event: 'none' })
    expect(again.peers).toContainEqual({ host: '127.0.0.1', port: 7002 })
  })

  it('scrapes over HTTP (BEP 48 URL) and over UDP with the same counts', async () => {
    const viaHttp = await client.scrape(httpUrl, [infoHash])
    const viaUdp = await client.scrape(udpUrl, [infoHash])
    const hex = toHex(infoHash)
    expect(viaHttp.files.get(hex)).toMatchObject({ complete: 1, incomplete: 1 })
    expect(viaUdp.files.get(hex)).toMatchObject({ complete: 1, incomplete: 1 })
  })

  it('a stopped announce removes the peer', async () => {
    await client.announce(udpUrl, { ...base, peerId: peerId(2), port: 7002, left: 1000, event: 'stopped' })
    const r = await client.scrape(httpUrl, [infoHash])
    expect(r.files.get(toHex(infoHash))).toMatchObject({ complete: 1, incomplete: 0 })
  })

  it('an info-hash outside the whitelist is a typed failure over HTTP and UDP', async () => {
    const viaHttp = await client.announce(httpUrl, { ...base, infoHash: unknownHash, peerId: peerId(3), port: 7003 }).catch((e: unknown) => e)
    expect(viaHttp).toBeInstanceOf(TrackerError)
    expect(viaHttp).toMatchObject({ code: 'failure' })
    // opentracker answers a UDP announce for a hash it does not serve with an error packet or not at all.
    const quick = nodeTrackerClient({ timeoutMs: 1500, udp: { retransmitBaseMs: 500 } })
    const viaUdp = await quick.announce(udpUrl, { ...base, infoHash: unknownHash, peerId: peerId(3), port: 7003 }).catch((e: unknown) => e)
    await quick.close()
    expect(viaUdp).toBeInstanceOf(TrackerError)
    expect((viaUdp as TrackerError).code).toMatch(/^(failure|timeout)$/)
  })
})
