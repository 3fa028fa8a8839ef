import { admittedPeers } from '../lib/swarm/swarm-selectors.js'
import { checkPieces } from '../operators/check-pieces.js'
import type { Torrent } from '../lib/metainfo/types.js'
import type { Bitfield } from '../lib/pieces/bitfield.js'
import type { PieceGeometry } from '../lib/pieces/geometry.js'
import type { RequestPlanner } from '../lib/pieces/request-planner.js'
import type { RateMeter } from '../lib/stats/rate-meter.js'
import type { Hasher, Storage } from '../lib/storage/types.js'
import type { SwarmState } from '../lib/swarm/swarm-state.js'
import type { BehaviorSubject, SchedulerLike } from 'rxjs'
import type { Progress } from './progress-types.js'
import type { CheckSlots } from './check-slots.js'

/** What resume data lets a start skip: `trusted` pieces are verified without reading, only `recheck` is read and hashed. */
export interface CheckResume {
  readonly trusted: Bitfield
  readonly recheck: Bitfield
}

/** What the progress snapshot and the re-check read of a running torrent (`TorrentRuntime` provides it). */
export interface RuntimeView {
  readonly torrent: Torrent
  readonly geometry: PieceGeometry
  readonly storage: Storage
  readonly hasher: Hasher
  readonly scheduler: SchedulerLike
  readonly have: Bitfield
  readonly planner: RequestPlanner
  readonly complete: boolean
  readonly swarm: SwarmState
  readonly down: RateMeter
  readonly up: RateMeter
  readonly hashFailures: number
  readonly startedAt: number
  readonly engine: { readonly peers: ReadonlyMap<string, { readonly downRate: RateMeter, readonly upRate: RateMeter }> }
  readonly verified$: BehaviorSubject<number>
  state: Progress['state']
  piecesChecked: number
  /** Report every connection's pending bytes to the swarm state. */
  flushTransfers: () => void
}

/**
 * What the user sees of a torrent now: pieces and bytes verified, rates over
 * the last second, the peers admitted with their own rates and totals.
 */
export function runtimeProgress (rt: RuntimeView): Progress {
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
 * read at all. With `slots` (a session's), the reading waits for a slot.
 */
export async function checkRuntime (rt: RuntimeView, signal?: AbortSignal, resume?: CheckResume, slots?: CheckSlots): Promise<void> {
  rt.state = 'checking'
  if (resume !== undefined) {
    // Resume data: trusted pieces count as verified without a read; only the
    // pieces of files that changed since the record are read and hashed.
    for (const index of resume.trusted.indices()) rt.planner.pieceVerified(index)
    rt.piecesChecked = rt.torrent.pieceCount - resume.recheck.count
  }
  // Nothing on disk (yet, or any more: resume data whose files were deleted
  // since): every piece left to check is missing, no need to read them.
  if ((resume === undefined || resume.recheck.count > 0) && await rt.storage.isEmpty?.() === true) {
    rt.piecesChecked = rt.torrent.pieceCount
    rt.state = rt.complete ? 'seeding' : 'downloading'
    rt.verified$.next(rt.have.count)
    return
  }
  const only = resume === undefined ? undefined : [...resume.recheck.indices()]
  // Nothing to read (resume data trusts every piece): no slot to wait for.
  const release = slots === undefined || only?.length === 0 ? undefined : await slots.acquire(signal)
  try {
    for await (const { index, ok } of checkPieces({
      geometry: rt.geometry,
      pieceHashes: rt.torrent.pieceHashes,
      storage: rt.storage,
      hasher: rt.hasher,
      ...(signal === undefined ? {} : { signal }),
      ...(only === undefined ? {} : { only })
    })) {
      rt.piecesChecked++
      if (ok) rt.planner.pieceVerified(index)
    }
  } finally {
    release?.()
  }
  rt.state = rt.complete ? 'seeding' : 'downloading'
  rt.verified$.next(rt.have.count)
}
