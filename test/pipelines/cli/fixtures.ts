import type { Progress } from '../../../pipelines/types.js'

/** A progress snapshot with sensible defaults. */
export function progress (over: Partial<Progress> = {}): Progress {
  return {
    state: 'downloading',
    infoHash: 'ab'.repeat(20),
    name: 'x',
    piecesVerified: 5,
    pieceCount: 20,
    piecesChecked: 20,
    bytesVerified: 5 * 16384,
    length: 20 * 16384,
    downloaded: 100_000,
    uploaded: 0,
    downloadRate: 1.5 * 1024 * 1024,
    uploadRate: 0,
    peers: 3,
    eta: 187,
    hashFailures: 0,
    elapsedMs: 1000,
    ...over
  }
}
