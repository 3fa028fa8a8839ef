import { admittedPeers } from '../lib/swarm/swarm-selectors.js'
import { checkPieces } from '../operators/check-pieces.js'
import type { TorrentRuntime } from './torrent-runtime.js'
import type { Progress } from './types.js'

/**
 * What the user sees of a torrent now: pieces and bytes verified, rates over
 * the last second, the peers admitted with their own rates and totals.
 */
export function runtimeProgress (rt: TorrentRuntime): Progress {
  const now = rt.scheduler.now()
  rt.flushTransfers()
  const swarm = rt.swarm
  const admitted = admittedPeers(swarm)
  const downloadRate = rt.down.rate(now)
  let bytesVerified = rt.have.count * rt.torrent.pieceLength
  if (rt.have.has(rt.torrent.pieceCount - 1)) bytesVerified -= rt.torrent.pieceLength * rt.torrent.pieceCount - rt.torrent.length
  const left = rt.torrent.length - bytesVerified
  return {
    state: rt.state,
    infoHash: rt.torrent.infoHashHex,
    name: rt.torrent.name,
    piecesVerified: rt.have.count,
    pieceCount: rt.torrent.pieceCount,
    piecesChecked: rt.piecesChecked,
    bytesVerified,
    length: rt.torrent.length,
    downloaded: rt.down.total,
    uploaded: rt.up.total,
    downloadRate,
    uploadRate: rt.up.rate(now),
    peers: admitted.length,
    eta: left === 0 ? 0 : downloadRate > 0 ? Math.round(left / downloadRate) : null,
    hashFailures: rt.hashFailures,
    elapsedMs: now - rt.startedAt,
    peerStats: admitted.map((p) => ({
      address: p.key,
      client: p.client,
      downloadRate: rt.engine.peers.get(p.key)?.downRate.rate(now) ?? 0,
      uploadRate: rt.engine.peers.get(p.key)?.upRate.rate(now) ?? 0,
      downloaded: p.downloaded,
      uploaded: p.uploaded
    }))
  }
}

/**
 * Re-verify whatever data the storage already holds, so a finished download
 * is not fetched again and a partial one resumes; an empty storage is not
 * read at all.
 */
export async function checkRuntime (rt: TorrentRuntime, signal?: AbortSignal): Promise<void> {
  rt.state = 'checking'
  if (await rt.storage.isEmpty?.() === true) {
    // Nothing on disk yet: every piece is missing, no need to read them.
    rt.piecesChecked = rt.torrent.pieceCount
    rt.state = rt.complete ? 'seeding' : 'downloading'
    rt.verified$.next(rt.have.count)
    return
  }
  for await (const { index, ok } of checkPieces({
    geometry: rt.geometry, pieceHashes: rt.torrent.pieceHashes, storage: rt.storage, hasher: rt.hasher, ...(signal === undefined ? {} : { signal })
  })) {
    rt.piecesChecked++
    if (ok) rt.planner.pieceVerified(index)
  }
  rt.state = rt.complete ? 'seeding' : 'downloading'
  rt.verified$.next(rt.have.count)
}
