/**
 * Tracker protocol values shared by the HTTP and UDP codecs, the clients and
 * the server.
 * @see BEP 3, BEP 7, BEP 15, BEP 23, BEP 24, BEP 48
 */

/** The `event` of an announce; `none` is a regular interval announce. */
export type AnnounceEvent = 'started' | 'completed' | 'stopped' | 'none'

/** One announce, as a client sends it and a server receives it. */
export interface AnnounceRequest {
  /** 20-byte info-hash. */
  readonly infoHash: Uint8Array
  /** 20-byte peer id. */
  readonly peerId: Uint8Array
  readonly port: number
  readonly uploaded: number
  readonly downloaded: number
  readonly left: number
  readonly event: AnnounceEvent
  /** uint32 that identifies the client across IP changes. */
  readonly key?: number
  readonly numwant?: number
  readonly trackerId?: string
  /** The client's own address, when it states one. */
  readonly ip?: string
}

/** A peer handed out by a tracker. IPv6 hosts are written without brackets. */
export interface TrackerPeer {
  readonly host: string
  readonly port: number
  readonly peerId?: Uint8Array
}

/** A successful announce response. */
export interface AnnounceResponse {
  /** Seconds until the next regular announce. */
  readonly interval: number
  /** Seconds the client must wait at least between announces. */
  readonly minInterval?: number
  readonly trackerId?: string
  readonly warning?: string
  /** Seeders. */
  readonly complete?: number
  /** Leechers. */
  readonly incomplete?: number
  /** IPv4 and IPv6 (BEP 7) peers together. */
  readonly peers: readonly TrackerPeer[]
  /** Our address as the tracker sees it (BEP 24). */
  readonly externalIp?: string
  /** True when the response had no usable `interval` and `interval` is a default. */
  readonly intervalDefaulted?: boolean
}

/** Counts for one torrent in a scrape response. */
export interface ScrapeEntry {
  readonly complete: number
  readonly incomplete: number
  readonly downloaded: number
  readonly name?: string
}

/** A scrape response: entries keyed by lower-case info-hash hex. */
export interface ScrapeResponse {
  readonly files: ReadonlyMap<string, ScrapeEntry>
}
