/**
 * BEP 27: what a torrent may share beyond its trackers. A private torrent's
 * peers come from its trackers only (no peer exchange, no trackers learned
 * from peers, no DHT, no local discovery) and its metadata is never offered
 * to a peer (ut_metadata), since a magnet link to it must not work.
 * @see BEP 27
 */

/** Which sources and services a torrent uses. */
export interface TorrentSharing {
  /** Answer BEP 9 metadata requests. */
  readonly serveMetadata: boolean
  /** BEP 11 peer exchange. */
  readonly peerExchange: boolean
  /** BEP 28 tracker exchange: trackers learned from peers are announced to. */
  readonly trackerExchange: boolean
  /** BEP 5 DHT. */
  readonly dht: boolean
  /** BEP 14 local service discovery. */
  readonly localDiscovery: boolean
}

/** Options of {@link sharingFor}: what the user switched off. */
export interface SharingOptions {
  readonly pex?: boolean
  readonly trackers?: boolean
  readonly dht?: boolean
  readonly localDiscovery?: boolean
}

/**
 * What `torrent` may share, given the user's switches: everything the user
 * left on, except what BEP 27 forbids a private torrent.
 * @throws nothing
 */
export function sharingFor (torrent: { readonly private: boolean }, options: SharingOptions = {}): TorrentSharing {
  const open = !torrent.private
  return {
    serveMetadata: open,
    peerExchange: open && options.pex !== false,
    trackerExchange: open && options.pex !== false && options.trackers !== false,
    dht: open && options.dht !== false,
    localDiscovery: open && options.localDiscovery !== false
  }
}
