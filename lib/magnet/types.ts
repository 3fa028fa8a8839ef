import type { PeerAddress } from '../transport/types.js'

/**
 * A parsed magnet link. Lists keep the order of the URI, without duplicates.
 * @see BEP 9 (magnet links), BEP 53 (`so`)
 */
export interface Magnet {
  /** The 20-byte v1 info-hash (`xt=urn:btih:`). */
  readonly infoHash: Uint8Array
  /** Lower-case hex of `infoHash`. */
  readonly infoHashHex: string
  /** The 32-byte v2 info-hash from `xt=urn:btmh:1220…`, when present (kept, not used yet). */
  readonly infoHashV2?: Uint8Array
  /** Display name (`dn`). */
  readonly name?: string
  /** Tracker URLs (`tr`, `tr.1`, …). */
  readonly trackers: readonly string[]
  /** Web seed URLs (`ws`). */
  readonly webSeeds: readonly string[]
  /** Peers to try first (`x.pe`). */
  readonly peers: readonly PeerAddress[]
  /** File indices to download (`so`, BEP 53), sorted and distinct; absent means all. */
  readonly selectOnly?: readonly number[]
  /** Total size in bytes (`xl`). */
  readonly exactLength?: number
  /** Search keywords (`kt`). */
  readonly keywords?: readonly string[]
  /**
   * What was tolerated while parsing, one line each (a non-http(s)/udp
   * tracker dropped, a bad `so` item skipped…); absent when nothing was.
   */
  readonly warnings?: readonly string[]
}
