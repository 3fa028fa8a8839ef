/**
 * HTTP tracker codec, server side: announce and scrape queries in, bencoded
 * responses out.
 * @see BEP 3, BEP 7, BEP 23, BEP 24, BEP 31, BEP 48
 */
import { encode, compareBytes, type BEncodable } from '../bencode/index.js'
import { fromHex } from '../magnet/info-hash.js'
import { encodeCompactPeers } from './compact-peers.js'
import { parseIp } from './ip-address.js'
import { TRACKER_LIMITS } from './limits.js'
import { TrackerError } from './tracker-error.js'
import type { AnnounceEvent, AnnounceRequest, AnnounceResponse, ScrapeResponse } from './types.js'
import { bytesToLatin1, parseQueryBytes } from './url-query.js'

/** An announce as a server reads it, with the response format the client asked for. */
export type ParsedAnnounceQuery = AnnounceRequest & {
  /** BEP 23: `compact=0` asks for dictionary peers; anything else gets compact ones. */
  readonly compact: boolean
  /** `no_peer_id=1`: dictionary peers without `peer id`. */
  readonly noPeerId: boolean
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

const EVENTS: Readonly<Record<string, AnnounceEvent>> = { started: 'started', completed: 'completed', stopped: 'stopped' }

function one (params: Map<string, Uint8Array[]>, name: string): string | undefined {
  const v = params.get(name)?.[0]
  return v === undefined ? undefined : bytesToLatin1(v)
}

function integer (params: Map<string, Uint8Array[]>, name: string, required: boolean): number | undefined {
  const v = one(params, name)
  if (v === undefined || v === '') {
    if (required) throw new TrackerError('bad-request', `missing ${name}`)
    return undefined
  }
  if (!/^\d{1,16}$/.test(v) || !Number.isSafeInteger(Number(v))) throw new TrackerError('bad-request', `invalid ${name}`)
  return Number(v)
}

function hash20 (params: Map<string, Uint8Array[]>, name: string, code: string): Uint8Array {
  const v = params.get(name)
  if (v === undefined || v.length === 0) throw new TrackerError(code, `missing ${name}`)
  const bytes = v[0] as Uint8Array
  if (bytes.length !== 20) throw new TrackerError(code, `invalid ${name}: ${bytes.length} bytes, expected 20`)
  return bytes
}

/**
 * Parse the query of `GET /announce?…`. `info_hash` and `peer_id` are
 * percent-decoded bytewise and must be 20 bytes; `port` must be 1–65535;
 * `uploaded`, `downloaded` and `left` default to 0; an unknown `event` is
 * `none`; `key` is read as 1–8 hex digits; an `ip` that is not an IP address
 * is ignored.
 * @throws TrackerError `bad-info-hash`, `bad-peer-id`, `bad-port`, `bad-request`,
 *   with a message fit for a `failure reason`
 * @see BEP 3, BEP 23
 */
export function parseAnnounceQuery (rawQuery: string): ParsedAnnounceQuery {
  const params = parseQueryBytes(rawQuery)
  const infoHash = hash20(params, 'info_hash', 'bad-info-hash')
  const peerId = hash20(params, 'peer_id', 'bad-peer-id')
  let port: number | undefined
  try {
    port = integer(params, 'port', true)
  } catch (cause) {
    throw new TrackerError('bad-port', 'missing or invalid port', { cause })
  }
  if (port === undefined || port < 1 || port > 65535) throw new TrackerError('bad-port', 'port out of range')
  const event = EVENTS[one(params, 'event') ?? ''] ?? 'none'
  const r: { -readonly [K in keyof ParsedAnnounceQuery]: ParsedAnnounceQuery[K] } = {
    infoHash,
    peerId,
    port,
    uploaded: integer(params, 'uploaded', false) ?? 0,
    downloaded: integer(params, 'downloaded', false) ?? 0,
    left: integer(params, 'left', false) ?? 0,
    event,
    compact: one(params, 'compact') !== '0',
    noPeerId: one(params, 'no_peer_id') === '1'
  }
  const key = one(params, 'key')
  if (key !== undefined && /^[0-9a-fA-F]{1,8}$/.test(key)) r.key = parseInt(key, 16) >>> 0
  const numwant = integer(params, 'numwant', false)
  if (numwant !== undefined) r.numwant = numwant
  const trackerId = one(params, 'trackerid')
  if (trackerId !== undefined && trackerId !== '') r.trackerId = trackerId
  const ip = one(params, 'ip')
  if (ip !== undefined && parseIp(ip) !== undefined) r.ip = ip
  return r
}

/**
 * Parse the query of `GET /scrape?…`: every `info_hash` (20 bytes each).
 * An empty list means "all torrents", which a server may refuse.
 * @throws TrackerError `bad-info-hash` (not 20 bytes), `too-many-hashes`, `bad-request`
 * @see BEP 48
 */
export function parseScrapeQuery (rawQuery: string, options: { readonly maxHashes?: number } = {}): Uint8Array[] {
  const max = options.maxHashes ?? TRACKER_LIMITS.maxScrapeHashes
  const hashes = parseQueryBytes(rawQuery, max + 32).get('info_hash') ?? []
  if (hashes.length > max) throw new TrackerError('too-many-hashes', `more than ${max} info_hash parameters`)
  for (const h of hashes) if (h.length !== 20) throw new TrackerError('bad-info-hash', `invalid info_hash: ${h.length} bytes, expected 20`)
  return hashes
}

/**
 * Bencode an announce response. Compact: IPv4 peers in `peers` and IPv6
 * peers in `peers6`; otherwise a list of `{ ip, port, peer id }`
 * dictionaries. `external ip` is written as 4 or 16 bytes.
 * @throws nothing for values from a well-formed response
 * @see BEP 3, BEP 7, BEP 23, BEP 24
 */
export function encodeAnnounceResponse (r: AnnounceResponse, options: { readonly compact: boolean, readonly noPeerId?: boolean }): Uint8Array {
  const external = r.externalIp === undefined ? undefined : parseIp(r.externalIp)?.bytes
  const dict: Record<string, BEncodable | undefined> = {
    interval: r.interval,
    'min interval': r.minInterval,
    'tracker id': r.trackerId,
    'warning message': r.warning,
    complete: r.complete,
    incomplete: r.incomplete,
    'external ip': external
  }
  if (options.compact) {
    dict.peers = encodeCompactPeers(r.peers, 4)
    const v6 = encodeCompactPeers(r.peers, 6)
    if (v6.length > 0) dict.peers6 = v6
  } else {
    dict.peers = r.peers.map(p => ({
      ip: p.host,
      port: p.port,
      'peer id': options.noPeerId === true ? undefined : p.peerId
    }))
  }
  return encode(dict)
}

/**
 * Bencode a scrape response; `files` keys are the raw info-hashes (from the
 * hex keys of `r.files`; keys that are not hex are skipped), in bytewise order.
 * @throws nothing for values from a well-formed response
 * @see BEP 48
 */
export function encodeScrapeResponse (r: ScrapeResponse): Uint8Array {
  const entries: Array<{ key: Uint8Array, value: Uint8Array }> = []
  for (const [hex, e] of r.files) {
    const key = fromHex(hex)
    if (key === undefined) continue
    entries.push({ key, value: encode({ complete: e.complete, downloaded: e.downloaded, incomplete: e.incomplete, name: e.name }) })
  }
  entries.sort((a, b) => compareBytes(a.key, b.key))
  const ascii = new TextEncoder()
  const parts: Uint8Array[] = [ascii.encode('d5:filesd')]
  for (const e of entries) parts.push(ascii.encode(`${e.key.length}:`), e.key, e.value)
  parts.push(ascii.encode('ee'))
  let len = 0
  for (const p of parts) len += p.length
  const out = new Uint8Array(len)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

/**
 * Bencode a failure: `failure reason`, plus BEP 31 `retry in` (given in
 * seconds, written in whole minutes rounded up, or `never`).
 * @throws nothing
 * @see BEP 3, BEP 31
 */
export function encodeFailure (reason: string, retryIn?: number | 'never'): Uint8Array {
  const retry = retryIn === undefined ? undefined : retryIn === 'never' ? 'never' : Math.max(0, Math.ceil(retryIn / 60))
  return encode({ 'failure reason': reason.replace(LONE_SURROGATE, '\uFFFD'), 'retry in': retry })
}
