/**
 * The user's choker is in control, against real peers: an rxtorrent seed
 * started through the public API with a choker that unchokes only the single
 * fastest interested peer serves four libtorrent leechers at once, and never
 * has more than one of them unchoked.
 */
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import type { Subscription } from 'rxjs'
import { afterEach, expect, it } from 'vitest'
import { parseTorrentFile, seed, type Choker, type PeerAddress, type TorrentRuntime } from '../../pipelines/index.js'
import { describeWithClients, hasLibtorrent, stopAll } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import { ltDownload } from './helpers/lt-peer.js'

const subs: Subscription[] = []
afterEach(async () => {
  while (subs.length > 0) subs.pop()?.unsubscribe()
  await stopAll()
  await removeWorkspaces()
})

const rounds: Array<{ early: boolean, interested: number, unchoke: number }> = []
const fastestOnly: Choker = {
  name: 'fastest-only',
  decide (peers, ctx) {
    const best = peers.filter((p) => p.interested).sort((a, b) => b.uploadRate - a.uploadRate || (a.id < b.id ? -1 : 1))[0]
    rounds.push({ early: ctx.early === true, interested: peers.filter((p) => p.interested).length, unchoke: best === undefined ? 0 : 1 })
    return { unchoke: new Set(best === undefined ? [] : [best.id]) }
  }
}

describeWithClients('a user-written choker against libtorrent leechers', [hasLibtorrent()], () => {
  it('a fastest-only choker serves four libtorrent leechers one at a time', { timeout: 120_000 }, async () => {
    const ws = await makeWorkspace({ kind: 'single', name: 'choked.bin', size: 4 * MiB + 77 }, 'rxtorrent', 64 * KiB, 'choker-control')
    const torrent = parseTorrentFile(await readFile(ws.torrent))
    let rt: TorrentRuntime | undefined
    let listening!: (a: PeerAddress) => void
    const address = new Promise<PeerAddress>((resolve) => { listening = resolve })
    subs.push(seed(torrent, {
      data: ws.src, host: '127.0.0.1', port: 0, trackers: false, pex: false, uploadLimit: 4 * MiB,
      choker: fastestOnly, onRuntime: (r) => { rt = r }, onListening: listening
    }).subscribe())
    const { port } = await address
    let most = 0
    const unchokedSeen = new Set<string>()
    const watch = rt?.swarm$.subscribe((s) => {
      const open = [...s.peers.values()].filter((p) => !p.amChoking)
      most = Math.max(most, open.length)
      for (const p of open) unchokedSeen.add(p.key)
    })
    if (watch !== undefined) subs.push(watch)
    await Promise.all([0, 1, 2, 3].map(async (i) => await ltDownload(ws.torrent, join(ws.out, String(i)), { peers: [`127.0.0.1:${port}`], timeoutSeconds: 90 })))
    for (const i of [0, 1, 2, 3]) expect(await ws.compare(join(ws.out, String(i)))).toEqual([])
    expect(most).toBe(1)
    expect(unchokedSeen.size).toBe(4)
    // Several peers were interested at once, and early rounds (a leecher done, a new one interested) moved the slot.
    expect(rounds.some((r) => r.interested >= 2)).toBe(true)
    expect(rounds.some((r) => r.early)).toBe(true)
  })
})
