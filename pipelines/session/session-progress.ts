import type { Progress } from '../progress-types.js'

/** The whole session at one moment. */
export interface SessionTotals {
  readonly torrents: number
  /** Torrents with every wanted piece verified. */
  readonly complete: number
  readonly downloaded: number
  readonly uploaded: number
  /** Bytes per second, summed over the torrents. */
  readonly downloadRate: number
  readonly uploadRate: number
  /** Connected peers, summed over the torrents. */
  readonly peers: number
  /** Bytes still to verify, summed over the torrents. */
  readonly left: number
}

/** What `Session.progress$` emits: every torrent's latest progress and the totals. */
export interface SessionProgress {
  readonly torrents: readonly Progress[]
  readonly totals: SessionTotals
}

/** The totals of `torrents`. */
export function sessionTotals (torrents: readonly Progress[]): SessionTotals {
  let complete = 0
  let downloaded = 0
  let uploaded = 0
  let downloadRate = 0
  let uploadRate = 0
  let peers = 0
  let left = 0
  for (const p of torrents) {
    if (p.piecesVerified === p.pieceCount || p.state === 'seeding') complete++
    downloaded += p.downloaded
    uploaded += p.uploaded
    downloadRate += p.downloadRate
    uploadRate += p.uploadRate
    peers += p.peers
    left += p.length - p.bytesVerified
  }
  return { torrents: torrents.length, complete, downloaded, uploaded, downloadRate, uploadRate, peers, left }
}
