import { fetchMetadataWith, type FetchedMetadata, type FetchMetadataOptions } from './fetch-metadata.js'
import { nodeMetadataDefaults } from './node/defaults.js'

/**
 * Fetch a torrent's metadata (its info dictionary) from peers by BEP 9
 * `ut_metadata`, given only its info-hash: peers from the list and from the
 * trackers are dialed through a connect queue; each that offers the
 * metadata states its size and is asked for pieces of that size only
 * (peers that disagree are fetched side by side, so one that states a huge
 * size and stalls delays nobody). The bytes are checked against the
 * info-hash and parsed with the same limits and path sanitising as a
 * .torrent file; a peer whose bytes fail the hash is banned.
 *
 * Runs {@link fetchMetadataWith} on Node: TCP unless `transport` is given,
 * SHA-1 from node:crypto, the Node tracker client.
 *
 * Resolves with the torrent; rejects with `RxTorrentError` `no-peers` when
 * every peer was tried and none could give it (and no tracker is left), or
 * with the signal's reason.
 *
 * @example
 * ```ts
 * const { torrent } = await fetchMetadata(magnet.infoHash, { peers: magnet.peers, trackers: magnet.trackers.map((t) => [t]) })
 * ```
 * @see BEP 9, BEP 10
 */
export async function fetchMetadata (infoHash: Uint8Array, options: FetchMetadataOptions = {}): Promise<FetchedMetadata> {
  return await fetchMetadataWith(infoHash, { ...options, ...nodeMetadataDefaults(options) })
}
