/**
 * HTTP tracker codec, client side: announce and scrape URLs out, bencoded
 * responses in.
 * @see BEP 3, BEP 7, BEP 23, BEP 24, BEP 31, BEP 48
 */
import { decode, isBDict, utf8OrUndefined, type BDict, type BValue } from '../bencode/index.js'
import { BencodeError } from '../errors.js'
import { toHex } from '../magnet/info-hash.js'
import { decodeCompactPeers } from './compact-peers.js'
import { formatIp, normalizeIp } from './ip-address.js'
import { TRACKER_LIMITS } from './limits.js'
import { rawDictEntries } from './raw-dict.js'
import { TrackerError } from './tracker-error.js'
import type { AnnounceRequest, AnnounceResponse, ScrapeEntry, ScrapeResponse, TrackerPeer } from './types.js'
import { percentEncodeBytes, percentEncodeText } from './url-query.js'

/** Options of {@link parseAnnounceResponse}. */
export interface ParseResponseOptions {
  /** Most peers kept (IPv4 first, then IPv6). Default `TRACKER_LIMITS.maxPeersPerResponse`. */
  readonly maxPeers?: number
  /** Largest body accepted. Default `TRACKER_LIMITS.maxResponseBytes` (1 MiB). */
  readonly maxResponseBytes?: number
}

function withQuery (url: string, query: string): string {
  const hash = url.indexOf('#')
  const base = hash < 0 ? url : url.slice(0, hash)
  const sep = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&'
  return base + sep + query
}

function uint (n: number): string {
  return String(Number.isFinite(n) && n > 0 ? Math.floor(n) : 0)
}

/**
 * The announce URL for `req`: every BEP 3 parameter plus `compact=1`, the
 * binary ones percent-encoded bytewise, appended to the query the announce
 * URL already has (private trackers keep passkeys there). `key` is eight hex
 * digits; `event` is omitted for `none`. A `#fragment` is dropped.
 * @throws nothing
 * @see BEP 3, BEP 23
 */
export function buildAnnounceUrl (announceUrl: string, req: AnnounceRequest): string {
  const q = [
    `info_hash=${percentEncodeBytes(req.infoHash)}`,
    `peer_id=${percentEncodeBytes(req.peerId)}`,
    `port=${uint(req.port)}`,
    `uploaded=${uint(req.uploaded)}`,
    `downloaded=${uint(req.downloaded)}`,
    `left=${uint(req.left)}`,
    'compact=1'
  ]
  if (req.event !== 'none') q.push(`event=${req.event}`)
  if (req.key !== undefined) q.push(`key=${(req.key >>> 0).toString(16).padStart(8, '0')}`)
  if (req.numwant !== undefined) q.push(`numwant=${uint(req.numwant)}`)
  if (req.trackerId !== undefined) q.push(`trackerid=${percentEncodeText(req.trackerId)}`)
  if (req.ip !== undefined) q.push(`ip=${percentEncodeText(req.ip)}`)
  return withQuery(announceUrl, q.join('&'))
}

/**
 * BEP 48 scrape URL: the announce URL whose last path segment starts with
 * `announce`, with that word replaced by `scrape`. Undefined when the
 * tracker cannot be scraped by convention.
 * @throws nothing
 * @see BEP 48
 */
export function scrapeUrlOf (announceUrl: string): string | undefined {
  const end = announceUrl.search(/[?#]/)
  const path = end < 0 ? announceUrl : announceUrl.slice(0, end)
  const slash = path.lastIndexOf('/')
  if (slash < 0 || !path.slice(slash + 1).startsWith('announce')) return undefined
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]+\//i.test(path.slice(0, slash + 1))) return undefined
  return path.slice(0, slash + 1) + 'scrape' + path.slice(slash + 1 + 'announce'.length) + (end < 0 ? '' : announceUrl.slice(end))
}

/**
 * The scrape URL for `infoHashes`: one `info_hash` parameter each, appended
 * to the scrape URL's query.
 * @throws nothing
 * @see BEP 48
 */
export function buildScrapeUrl (scrapeUrl: string, infoHashes: readonly Uint8Array[]): string {
  if (infoHashes.length === 0) return scrapeUrl
  return withQuery(scrapeUrl, infoHashes.map(h => `info_hash=${percentEncodeBytes(h)}`).join('&'))
}

/** Decode a tracker body as a dictionary; raise the tracker's own failure. */
function decodeBody (bytes: Uint8Array, maxBytes: number): BDict {
  if (bytes.length > maxBytes) throw new TrackerError('too-large', `tracker response larger than ${maxBytes} bytes`)
  let value: BValue
  try {
    value = decode(bytes, { strict: false })
  } catch (cause) {
    if (cause instanceof BencodeError) throw new TrackerError('bad-response', `tracker response is not bencoded: ${cause.message}`, { cause })
    throw cause
  }
  if (!isBDict(value)) throw new TrackerError('bad-response', 'tracker response is not a dictionary')
  const failure = value['failure reason']
  if (failure !== undefined) {
    const reason = failure instanceof Uint8Array ? utf8OrUndefined(failure) ?? 'unreadable failure reason' : 'tracker failure'
    const retryIn = retryInOf(value['retry in'])
    throw new TrackerError('failure', reason, { details: { reason }, ...(retryIn === undefined ? {} : { retryIn }) })
  }
  return value
}

/** BEP 31 `retry in`: minutes, or the string `never`; returned in seconds. */
function retryInOf (v: BValue | undefined): number | 'never' | undefined {
  if (typeof v === 'number' && v >= 0) return v * 60
  if (v instanceof Uint8Array && utf8OrUndefined(v) === 'never') return 'never'
  return undefined
}

function count (dict: BDict, key: string): number | undefined {
  const v = dict[key]
  return typeof v === 'number' && v >= 0 ? v : undefined
}

function text (dict: BDict, key: string): string | undefined {
  const v = dict[key]
  return v instanceof Uint8Array ? utf8OrUndefined(v) : undefined
}

const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/

/** BEP 3 dictionary peers: entries without a usable `ip` or `port` are skipped. */
function dictPeers (list: readonly BValue[], max: number): TrackerPeer[] {
  const peers: TrackerPeer[] = []
  for (const item of list) {
    if (peers.length >= max) break
    if (!isBDict(item)) continue
    const port = item.port
    const rawIp = text(item, 'ip')
    if (typeof port !== 'number' || port < 1 || port > 65535 || rawIp === undefined) continue
    const ip = normalizeIp(rawIp)
    const host = ip !== undefined ? formatIp(ip.bytes) as string : rawIp.length <= 253 && HOSTNAME.test(rawIp) ? rawIp : undefined
    if (host === undefined) continue
    const id = item['peer id']
    peers.push(id instanceof Uint8Array && id.length === 20 ? { host, port, peerId: id.slice() } : { host, port })
  }
  return peers
}

/**
 * Parse an HTTP announce response. Compact `peers` (BEP 23) and `peers6`
 * (BEP 7) keep their whole entries and ignore a partial tail; dictionary
 * peers without a usable address are skipped; port 0 peers are dropped.
 * A missing or non-positive `interval` becomes 1800 s with `intervalDefaulted`.
 * Dictionary keys may come in any order.
 * @throws TrackerError `failure` (the tracker's `failure reason`, with BEP 31
 *   `retryIn`), `bad-response` (not bencode, not a dictionary), `too-large`
 * @see BEP 3, BEP 7, BEP 23, BEP 24, BEP 31
 */
export function parseAnnounceResponse (bytes: Uint8Array, options: ParseResponseOptions = {}): AnnounceResponse {
  const maxPeers = options.maxPeers ?? TRACKER_LIMITS.maxPeersPerResponse
  const dict = decodeBody(bytes, options.maxResponseBytes ?? TRACKER_LIMITS.maxResponseBytes)
  const interval = count(dict, 'interval')
  const minInterval = count(dict, 'min interval')
  const peersValue = dict.peers
  let peers: TrackerPeer[] = []
  if (peersValue instanceof Uint8Array) peers = decodeCompactPeers(peersValue, 4, maxPeers)
  else if (Array.isArray(peersValue)) peers = dictPeers(peersValue, maxPeers)
  const peers6 = dict.peers6
  if (peers6 instanceof Uint8Array && peers.length < maxPeers) peers = peers.concat(decodeCompactPeers(peers6, 6, maxPeers - peers.length))
  const external = dict['external ip']
  const externalIp = external instanceof Uint8Array ? formatIp(external) : undefined
  const r: { -readonly [K in keyof AnnounceResponse]: AnnounceResponse[K] } = {
    interval: interval !== undefined && interval > 0 ? interval : TRACKER_LIMITS.defaultInterval,
    peers
  }
  if (interval === undefined || interval <= 0) r.intervalDefaulted = true
  if (minInterval !== undefined && minInterval > 0) r.minInterval = minInterval
  const trackerId = text(dict, 'tracker id')
  if (trackerId !== undefined) r.trackerId = trackerId
  const warning = text(dict, 'warning message')
  if (warning !== undefined) r.warning = warning
  const complete = count(dict, 'complete')
  if (complete !== undefined) r.complete = complete
  const incomplete = count(dict, 'incomplete')
  if (incomplete !== undefined) r.incomplete = incomplete
  if (externalIp !== undefined) r.externalIp = externalIp
  return r
}

/**
 * Parse an HTTP scrape response. `files` keys are the raw 20-byte (or 32-byte)
 * info-hashes, returned as lower-case hex; entries that are not dictionaries
 * are skipped; missing counts are 0.
 * @throws TrackerError `failure`, `bad-response` (not bencode, no `files`
 *   dictionary), `too-large`
 * @see BEP 48
 */
export function parseScrapeResponse (bytes: Uint8Array, options: { readonly maxResponseBytes?: number, readonly maxEntries?: number } = {}): ScrapeResponse {
  const maxEntries = options.maxEntries ?? TRACKER_LIMITS.maxScrapeEntries
  const dict = decodeBody(bytes, options.maxResponseBytes ?? TRACKER_LIMITS.maxResponseBytes)
  if (!isBDict(dict.files)) throw new TrackerError('bad-response', 'scrape response has no "files" dictionary')
  const files = new Map<string, ScrapeEntry>()
  // The decoder turns keys into text; the info-hash keys are binary, so they are read from the raw bytes.
  const top = rawDictEntries(bytes, 0)
  let filesEntry: { valueStart: number } | undefined
  for (const e of top) if (bytesEqualAscii(bytes, e.keyStart, e.keyEnd, 'files')) filesEntry = e
  if (filesEntry === undefined) return { files }
  for (const e of rawDictEntries(bytes, filesEntry.valueStart)) {
    if (files.size >= maxEntries) break
    const len = e.keyEnd - e.keyStart
    if (len !== 20 && len !== 32) continue
    const value = decode(bytes.subarray(e.valueStart, e.valueEnd), { strict: false })
    if (!isBDict(value)) continue
    const entry: { -readonly [K in keyof ScrapeEntry]: ScrapeEntry[K] } = {
      complete: count(value, 'complete') ?? 0,
      incomplete: count(value, 'incomplete') ?? 0,
      downloaded: count(value, 'downloaded') ?? 0
    }
    const name = text(value, 'name')
    if (name !== undefined) entry.name = name
    files.set(toHex(bytes.subarray(e.keyStart, e.keyEnd)), entry)
  }
  return { files }
}

function bytesEqualAscii (bytes: Uint8Array, start: number, end: number, s: string): boolean {
  if (end - start !== s.length) return false
  for (let i = 0; i < s.length; i++) if (bytes[start + i] !== s.charCodeAt(i)) return false
  return true
}
