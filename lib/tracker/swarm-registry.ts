/**
 * The state of a tracker server: who announced which torrent, from where,
 * and when. Pure: the time is an argument and randomness is injected.
 * @see BEP 3, BEP 7, BEP 48
 */
import { fromHex } from '../magnet/info-hash.js'
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
  /** Most peers over all torrents; an announce that would add one more is refused. Default `TRACKER_LIMITS.maxPeers`. */
  readonly maxPeers?: number
  /**
   * Most peer entries one source may hold over all torrents (an IPv4
   * address, or an IPv6 /64, which one host can fill alone); an announce that
   * would add one more is refused. Default `TRACKER_LIMITS.maxPeersPerAddress`.
   */
  readonly maxPeersPerAddress?: number
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
  /** The peer id in hex: the key of the entry in its swarm (the same string). */
  readonly id: string
  host: string
  port: number
  family: 4 | 6
  /** Whom the entry counts against: the IPv4 address, or the IPv6 /64. */
  source: string
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
 * A tracker's memory of its swarms. Bounded in torrents, in peers per
 * torrent (a new peer evicts the stalest), in peers overall and in peer
 * entries per source address (an IPv4 address or an IPv6 /64): over those
 * two, an announce that would add an entry is refused with a failure reason
 * and a BEP 31 `retry in`, while re-announces of known peers go on. Refusal
 * rather than eviction keeps a host that forges announces (new peer ids,
 * ports, info-hashes) from displacing anybody but itself; the per-source cap
 * is checked before a torrent is created, so forged info-hashes make no
 * empty swarms. Memory: ≈ 280 bytes of heap a peer entry from an IPv4
 * source and ≈ 440 from an IPv6 one (each entry its own /64: a longer host
 * and a per-source count of its own), measured after a GC;
 * test/lib/tracker/swarm-registry-bounds.test.ts holds an IPv4 entry under
 * 400 bytes and a torrent under 1,000 without one. With the defaults
 * (`TRACKER_LIMITS`: 150,000 peers, 1,000 per source, 10,000 torrents) a
 * full registry measured 41 MiB of heap and 78 MiB of RSS (IPv4) and 63 MiB
 * of heap and 95 MiB of RSS (IPv6); a tracker process filled to the cap by
 * UDP announces from 150 sources grew by 73 MiB of RSS (at 400,000 peers:
 * 142 MiB, and 211 MiB for the registry alone with IPv6 sources).
 * One source alone can hold at most 1,000 entries (under 1 MiB).
 * Peers expire when {@link SwarmRegistry.expire} is called with a time past
 * their last announce plus the timeout.
 * @see BEP 3, BEP 31; ADVERSARIAL E (tracker server)
 */
export class SwarmRegistry {
  private readonly swarms = new Map<string, Swarm>()
  private readonly allow: ReadonlySet<string> | undefined
  private readonly peerTimeoutMs: number
  private readonly maxTorrents: number
  private readonly maxPeersPerTorrent: number
  private readonly maxPeers: number
  private readonly maxPeersPerAddress: number
  /** Peer entries per source (see `PeerEntry.source`); a source with none is not kept. */
  private readonly perSource = new Map<string, number>()
  private readonly defaultNumwant: number
  private readonly maxNumwant: number
  private readonly random: () => number
  private peerCount = 0

  constructor (options: SwarmRegistryOptions = {}) {
    this.peerTimeoutMs = options.peerTimeoutMs ?? TRACKER_LIMITS.peerTimeoutMs
    this.maxTorrents = options.maxTorrents ?? TRACKER_LIMITS.maxTorrents
    this.maxPeersPerTorrent = options.maxPeersPerTorrent ?? TRACKER_LIMITS.maxPeersPerTorrent
    this.maxPeers = options.maxPeers ?? TRACKER_LIMITS.maxPeers
    this.maxPeersPerAddress = options.maxPeersPerAddress ?? TRACKER_LIMITS.maxPeersPerAddress
    this.defaultNumwant = options.defaultNumwant ?? TRACKER_LIMITS.defaultNumwant
    this.maxNumwant = options.maxNumwant ?? TRACKER_LIMITS.maxNumwant
    this.random = options.random ?? xorshift32()
    this.allow = options.allowList === undefined ? undefined : new Set(options.allowList.map(flatHex))
  }

  /**
   * Record an announce from `remote` (the peer is reachable at `remote.host`
   * and `req.port`; the entry counts against the source of `remote.sender`,
   * the address the request came from, which defaults to `remote.host` and
   * differs only when a loopback sender names another address) and pick peers
   * for it: at most `numwant` (default 50, capped at 200), never the
   * requester, only leechers for a seeder, only peers of `family` when given.
   * `stopped` removes the peer and returns no peers; `completed` counts a
   * download once per peer.
   * @throws TrackerError `refused` (info-hash not on the allow-list; or, for
   *   an announce that would add a peer entry, the tracker already tracks
   *   `maxTorrents` torrents or `maxPeers` peers, or the source already holds
   *   `maxPeersPerAddress` entries), `bad-request` (remote host or sender not an IP address)
   */
  announce (req: AnnounceRequest, remote: { readonly host: string, readonly sender?: string }, now: number, filter: { readonly family?: 4 | 6 } = {}): SwarmAnnounceResult {
    const hash = flatHex(req.infoHash)
    if (this.allow !== undefined && !this.allow.has(hash)) throw new TrackerError('refused', 'info-hash not allowed', { retryIn: 'never' })
    const ip = normalizeIp(remote.host)
    if (ip === undefined) throw new TrackerError('bad-request', 'remote address is not an IP address')
    let swarm = this.swarms.get(hash)
    const id = flatHex(req.peerId)
    if (req.event === 'stopped') {
      if (swarm !== undefined) this.remove(hash, swarm, id)
      return { peers: [], complete: swarm?.seeders ?? 0, incomplete: swarm === undefined ? 0 : swarm.peers.size - swarm.seeders }
    }
    const from = remote.sender === undefined || remote.sender === remote.host ? ip : normalizeIp(remote.sender)
    if (from === undefined) throw new TrackerError('bad-request', 'sender address is not an IP address')
    const host = formatIp(ip.bytes) as string
    const source = from === ip ? (ip.family === 4 ? host : sourceOf6(ip.bytes)) : sourceOf(from)
    const old = swarm?.peers.get(id)
    if (old === undefined || old.source !== source) this.admit(source)
    if (swarm === undefined) {
      if (this.swarms.size >= this.maxTorrents) throw new TrackerError('refused', 'tracker is full', { retryIn: 3600 })
      swarm = { peers: new Map(), seeders: 0, downloaded: 0 }
      this.swarms.set(hash, swarm)
    }
    const seeder = req.left === 0
    const entry: PeerEntry = {
      id,
      host,
      port: req.port,
      family: ip.family,
      source,
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
      this.release(old.source)
    } else if (swarm.peers.size >= this.maxPeersPerTorrent) {
      const oldest = swarm.peers.keys().next().value
      if (oldest !== undefined) this.remove(hash, swarm, oldest)
      if (!this.swarms.has(hash)) this.swarms.set(hash, swarm)
    }
    swarm.peers.set(id, entry)
    if (seeder) swarm.seeders++
    this.peerCount++
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1)
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
        const hash = flatHex(h)
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

  /** Peer entries held by the source of `host` (its IPv4 address or IPv6 /64). */
  entriesFrom (host: string): number {
    const ip = normalizeIp(host)
    if (ip === undefined) return 0
    return this.perSource.get(sourceOf(ip)) ?? 0
  }

  /**
   * Refuses one more entry for `source` when it, or the tracker, is at its
   * cap. The errors are made once: a flood of refused announces allocates
   * nothing and captures no stack (≈ 10 µs each otherwise).
   */
  private admit (source: string): void {
    if ((this.perSource.get(source) ?? 0) >= this.maxPeersPerAddress) {
      throw (this.sourceFull ??= new TrackerError('refused', `too many peers from your address (at most ${this.maxPeersPerAddress})`, { retryIn: 600, details: { limit: this.maxPeersPerAddress } }))
    }
    if (this.peerCount >= this.maxPeers) throw (this.trackerFull ??= new TrackerError('refused', 'tracker is full', { retryIn: 3600, details: { limit: this.maxPeers } }))
  }

  private sourceFull: TrackerError | undefined
  private trackerFull: TrackerError | undefined

  private release (source: string): void {
    const n = (this.perSource.get(source) ?? 0) - 1
    if (n > 0) this.perSource.set(source, n)
    else this.perSource.delete(source)
  }

  private remove (hash: string, swarm: Swarm, id: string): void {
    const p = swarm.peers.get(id)
    if (p === undefined) return
    swarm.peers.delete(id)
    if (p.seeder) swarm.seeders--
    this.peerCount--
    this.release(p.source)
    if (swarm.peers.size === 0) this.swarms.delete(hash)
  }

  /** Up to `want` random peers other than `self`, by partial Fisher–Yates. */
  private pick (swarm: Swarm, self: string, seeder: boolean, want: number, family: 4 | 6 | undefined): TrackerPeer[] {
    if (want <= 0) return []
    const candidates: PeerEntry[] = []
    for (const p of swarm.peers.values()) {
      if (p.id === self || (seeder && p.seeder) || (family !== undefined && p.family !== family)) continue
      candidates.push(p)
    }
    const n = Math.min(want, candidates.length)
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.random() * (candidates.length - i))
      const t = candidates[i] as PeerEntry
      candidates[i] = candidates[j] as PeerEntry
      candidates[j] = t
    }
    return candidates.slice(0, n).map(p => ({ host: p.host, port: p.port, peerId: fromHex(p.id) as Uint8Array }))
  }
}

const HEX_BYTES = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

/** Lower-case hex as one flat string (a `+=` loop leaves a rope of 20 pieces, ~1 KiB, in every key kept). */
function flatHex (bytes: Uint8Array): string {
  const parts = new Array<string>(bytes.length)
  for (let i = 0; i < bytes.length; i++) parts[i] = HEX_BYTES[bytes[i] as number] as string
  return parts.join('')
}

/** Whom an entry from `ip` counts against: the IPv4 address, or the IPv6 /64. */
function sourceOf (ip: { readonly family: 4 | 6, readonly bytes: Uint8Array }): string {
  return ip.family === 4 ? formatIp(ip.bytes) as string : sourceOf6(ip.bytes)
}

/** The /64 an IPv6 address belongs to, as `hhhh:hhhh:hhhh:hhhh::/64`. */
function sourceOf6 (bytes: Uint8Array): string {
  return `${flatHex(bytes.subarray(0, 8))}::/64`
}
