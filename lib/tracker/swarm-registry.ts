/**
 * The state of a tracker server: who announced which torrent, from where,
 * and when. Pure: the time is an argument and randomness is injected.
 * @see BEP 3, BEP 7, BEP 48
 */
import { toHex } from '../magnet/info-hash.js'
import { xorshift32 } from '../pieces/xorshift32.js'
import { formatIp, normalizeIp } from './ip-address.js'
import { TRACKER_LIMITS } from './limits.js'
import { TrackerError } from './tracker-error.js'
import type { AnnounceRequest, ScrapeEntry, ScrapeResponse, TrackerPeer } from './types.js'

/** Options of {@link SwarmRegistry}. */
export interface SwarmRegistryOptions {
  /** A peer that does not announce again within this time is dropped by {@link SwarmRegistry.expire}. */
  readonly peerTimeoutMs?: number
  /** Most torrents tracked; an announce for one more is refused. Default `TRACKER_LIMITS.maxTorrents`. */
  readonly maxTorrents?: number
  /** Most peers per torrent; a new peer beyond it evicts the least recently seen one. */
  readonly maxPeersPerTorrent?: number
  /** When given, only these info-hashes are tracked. */
  readonly allowList?: readonly Uint8Array[]
  /** Peers returned when the announce has no `numwant`. Default 50. */
  readonly defaultNumwant?: number
  /** Most peers returned to one announce. Default 200. */
  readonly maxNumwant?: number
  /** Numbers in [0, 1) used to sample peers. Default: a fixed-seed xorshift32. */
  readonly random?: () => number
}

/** What an announce gets back. */
export interface SwarmAnnounceResult {
  readonly peers: TrackerPeer[]
  /** Seeders, the requester included. */
  readonly complete: number
  /** Leechers, the requester included. */
  readonly incomplete: number
}

/** Counts of a registry, for monitoring. */
export interface SwarmRegistryStats {
  readonly torrents: number
  readonly peers: number
  readonly seeders: number
  readonly leechers: number
}

interface PeerEntry {
  host: string
  port: number
  family: 4 | 6
  peerId: Uint8Array
  seeder: boolean
  completed: boolean
  seen: number
}

interface Swarm {
  /** Peers by peer id hex, in order of their last announce (oldest first). */
  readonly peers: Map<string, PeerEntry>
  seeders: number
  downloaded: number
}

/**
 * A tracker's memory of its swarms. Bounded in torrents and in peers per
 * torrent; peers expire when {@link SwarmRegistry.expire} is called with a
 * time past their last announce plus the timeout.
 * @see BEP 3
 */
export class SwarmRegistry {
  private readonly swarms = new Map<string, Swarm>()
  private readonly allow: ReadonlySet<string> | undefined
  private readonly peerTimeoutMs: number
  private readonly maxTorrents: number
  private readonly maxPeersPerTorrent: number
  private readonly defaultNumwant: number
  private readonly maxNumwant: number
  private readonly random: () => number
  private peerCount = 0

  constructor (options: SwarmRegistryOptions = {}) {
    this.peerTimeoutMs = options.peerTimeoutMs ?? TRACKER_LIMITS.peerTimeoutMs
    this.maxTorrents = options.maxTorrents ?? TRACKER_LIMITS.maxTorrents
    this.maxPeersPerTorrent = options.maxPeersPerTorrent ?? TRACKER_LIMITS.maxPeersPerTorrent
    this.defaultNumwant = options.defaultNumwant ?? TRACKER_LIMITS.defaultNumwant
    this.maxNumwant = options.maxNumwant ?? TRACKER_LIMITS.maxNumwant
    this.random = options.random ?? xorshift32()
    this.allow = options.allowList === undefined ? undefined : new Set(options.allowList.map(toHex))
  }

  /**
   * Record an announce from `remote` (the address the request came from;
   * the peer is reachable at `remote.host` and `req.port`) and pick peers
   * for it: at most `numwant` (default 50, capped at 200), never the
   * requester, only leechers for a seeder, only peers of `family` when given.
   * `stopped` removes the peer and returns no peers; `completed` counts a
   * download once per peer.
   * @throws TrackerError `refused` (info-hash not on the allow-list, or the
   *   tracker already tracks `maxTorrents`), `bad-request` (remote host not an IP address)
   */
  announce (req: AnnounceRequest, remote: { readonly host: string }, now: number, filter: { readonly family?: 4 | 6 } = {}): SwarmAnnounceResult {
    const hash = toHex(req.infoHash)
    if (this.allow !== undefined && !this.allow.has(hash)) throw new TrackerError('refused', 'info-hash not allowed', { retryIn: 'never' })
    const ip = normalizeIp(remote.host)
    if (ip === undefined) throw new TrackerError('bad-request', 'remote address is not an IP address')
    let swarm = this.swarms.get(hash)
    const id = toHex(req.peerId)
    if (req.event === 'stopped') {
      if (swarm !== undefined) this.remove(hash, swarm, id)
      return { peers: [], complete: swarm?.seeders ?? 0, incomplete: swarm === undefined ? 0 : swarm.peers.size - swarm.seeders }
    }
    if (swarm === undefined) {
      if (this.swarms.size >= this.maxTorrents) throw new TrackerError('refused', 'tracker is full', { retryIn: 3600 })
      swarm = { peers: new Map(), seeders: 0, downloaded: 0 }
      this.swarms.set(hash, swarm)
    }
    const old = swarm.peers.get(id)
    const seeder = req.left === 0
    const entry: PeerEntry = {
      host: formatIp(ip.bytes) as string,
      port: req.port,
      family: ip.family,
      peerId: old?.peerId ?? req.peerId.slice(),
      seeder,
      completed: old?.completed ?? false,
      seen: now
    }
    if (req.event === 'completed' && !entry.completed) {
      entry.completed = true
      swarm.downloaded++
    }
    if (old !== undefined) {
      swarm.peers.delete(id)
      if (old.seeder) swarm.seeders--
      this.peerCount--
    } else if (swarm.peers.size >= this.maxPeersPerTorrent) {
      const oldest = swarm.peers.keys().next().value
      if (oldest !== undefined) this.remove(hash, swarm, oldest)
      if (!this.swarms.has(hash)) this.swarms.set(hash, swarm)
    }
    swarm.peers.set(id, entry)
    if (seeder) swarm.seeders++
    this.peerCount++
    const want = Math.min(req.numwant ?? this.defaultNumwant, this.maxNumwant)
    return {
      peers: this.pick(swarm, id, seeder, want, filter.family),
      complete: swarm.seeders,
      incomplete: swarm.peers.size - swarm.seeders
    }
  }

  /**
   * Counts for each requested info-hash (zeros for unknown ones), keyed by
   * hex; with no info-hashes, every tracked torrent.
   * @throws nothing
   * @see BEP 48
   */
  scrape (infoHashes: readonly Uint8Array[]): ScrapeResponse {
    const files = new Map<string, ScrapeEntry>()
    const entry = (s: Swarm | undefined): ScrapeEntry => ({
      complete: s?.seeders ?? 0,
      incomplete: s === undefined ? 0 : s.peers.size - s.seeders,
      downloaded: s?.downloaded ?? 0
    })
    if (infoHashes.length === 0) {
      for (const [hash, s] of this.swarms) files.set(hash, entry(s))
    } else {
      for (const h of infoHashes) {
        const hash = toHex(h)
        files.set(hash, entry(this.swarms.get(hash)))
      }
    }
    return { files }
  }

  /**
   * Forget peers last seen `peerTimeoutMs` or more before `now`, and
   * torrents left without peers. Returns how many peers were dropped.
   * @throws nothing
   */
  expire (now: number): number {
    const cutoff = now - this.peerTimeoutMs
    let dropped = 0
    for (const [hash, swarm] of this.swarms) {
      for (const [id, p] of swarm.peers) {
        if (p.seen > cutoff) break
        this.remove(hash, swarm, id)
        dropped++
      }
    }
    return dropped
  }

  /** Current counts. */
  stats (): SwarmRegistryStats {
    let seeders = 0
    for (const s of this.swarms.values()) seeders += s.seeders
    return { torrents: this.swarms.size, peers: this.peerCount, seeders, leechers: this.peerCount - seeders }
  }

  private remove (hash: string, swarm: Swarm, id: string): void {
    const p = swarm.peers.get(id)
    if (p === undefined) return
    swarm.peers.delete(id)
    if (p.seeder) swarm.seeders--
    this.peerCount--
    if (swarm.peers.size === 0) this.swarms.delete(hash)
  }

  /** Up to `want` random peers other than `self`, by partial Fisher–Yates. */
  private pick (swarm: Swarm, self: string, seeder: boolean, want: number, family: 4 | 6 | undefined): TrackerPeer[] {
    if (want <= 0) return []
    const candidates: PeerEntry[] = []
    for (const [id, p] of swarm.peers) {
      if (id === self || (seeder && p.seeder) || (family !== undefined && p.family !== family)) continue
      candidates.push(p)
    }
    const n = Math.min(want, candidates.length)
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.random() * (candidates.length - i))
      const t = candidates[i] as PeerEntry
      candidates[i] = candidates[j] as PeerEntry
      candidates[j] = t
    }
    return candidates.slice(0, n).map(p => ({ host: p.host, port: p.port, peerId: p.peerId }))
  }
}
