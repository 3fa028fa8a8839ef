/**
 * Default limits of the tracker codecs and the tracker server. Each is an
 * option of the function that enforces it.
 * @see BEP 3, BEP 15, BEP 48
 */
export const TRACKER_LIMITS = {
  /** Largest HTTP tracker response body accepted (ADVERSARIAL E49). */
  maxResponseBytes: 1024 * 1024,
  /** Most peers kept from one announce response. */
  maxPeersPerResponse: 2000,
  /** Most scrape entries kept from one scrape response. */
  maxScrapeEntries: 10_000,
  /** Most info-hashes in one scrape request (a UDP scrape of 74 fits in one packet). */
  maxScrapeHashes: 74,
  /** Longest HTTP request URL a tracker server reads. */
  maxRequestUrlLength: 8192,
  /** Longest BEP 41 URLData a tracker server keeps from one UDP packet. */
  maxUrlDataLength: 2048,
  /** Peers returned by an announce that does not say `numwant`. */
  defaultNumwant: 50,
  /** Most peers a server returns to one announce. */
  maxNumwant: 200,
  /** Announce interval a client assumes when the response has none (seconds). */
  defaultInterval: 1800,
  /** A peer that does not re-announce within this time is forgotten. */
  peerTimeoutMs: 2 * 1800 * 1000 + 5 * 60 * 1000,
  /** Most torrents a tracker server tracks. */
  maxTorrents: 10_000,
  /** Most peers a tracker server keeps per torrent. */
  maxPeersPerTorrent: 5000,
  /** Most peers a tracker server keeps over all torrents (≈ 300–450 bytes of heap each, under 100 MiB of RSS at the cap; see SwarmRegistry). */
  maxPeers: 150_000,
  /** Most peer entries one source (IPv4 address or IPv6 /64) may hold in a tracker server, over all torrents. */
  maxPeersPerAddress: 1000
} as const

/** The shape of {@link TRACKER_LIMITS}, writable, for options that override some of them. */
export type TrackerLimits = { -readonly [K in keyof typeof TRACKER_LIMITS]: number }
