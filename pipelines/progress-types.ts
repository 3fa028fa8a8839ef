/** What a running torrent reports: its progress and its warnings. */

/** A snapshot of a torrent's progress, emitted by `download` and `seed`. */
export interface Progress {
  /** `metadata`: fetching a magnet link's metadata; `checking`: re-verifying existing data; `downloading`; `seeding`: every piece verified. */
  readonly state: 'metadata' | 'checking' | 'downloading' | 'seeding'
  readonly infoHash: string
  readonly name: string
  /** Pieces verified on disk. */
  readonly piecesVerified: number
  readonly pieceCount: number
  /** Pieces re-checked so far while `state` is `checking`. */
  readonly piecesChecked: number
  /** Bytes of verified pieces. */
  readonly bytesVerified: number
  /** Total bytes of the torrent. */
  readonly length: number
  /** Payload bytes received and sent since start. */
  readonly downloaded: number
  readonly uploaded: number
  /** Bytes per second over the last second. */
  readonly downloadRate: number
  readonly uploadRate: number
  /** Connected peers (handshake done). */
  readonly peers: number
  /** Seconds left at the current rate, `null` when unknown. */
  readonly eta: number | null
  /** Pieces that failed their hash since start. */
  readonly hashFailures: number
  /** Milliseconds since start, from the scheduler. */
  readonly elapsedMs: number
  /** Each connected peer: address, client (from its peer id), rates and payload bytes. */
  readonly peerStats?: ReadonlyArray<PeerStats>
}

/** One connected peer in {@link Progress.peerStats}: its address, client and rates. */
export interface PeerStats {
  readonly address: string
  readonly client: string
  readonly downloadRate: number
  readonly uploadRate: number
  readonly downloaded: number
  readonly uploaded: number
}

/** Something worth telling the user that does not stop the torrent. */
export interface TorrentWarning {
  readonly type: 'warning'
  readonly message: string
  readonly peer?: string
  readonly error?: Error
}
