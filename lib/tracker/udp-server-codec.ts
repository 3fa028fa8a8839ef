/**
 * UDP tracker packets, server side: requests in, replies out.
 * @see BEP 15, BEP 41
 */
import { utf8Lenient } from '../bencode/index.js'
import { encodeCompactPeers } from './compact-peers.js'
import { formatIp } from './ip-address.js'
import { TRACKER_LIMITS } from './limits.js'
import { TrackerError } from './tracker-error.js'
import type { AnnounceEvent, AnnounceRequest } from './types.js'
import { UDP_ACTION, UDP_PROTOCOL_ID, URL_DATA_OPTION, type UdpResponse } from './udp-codec.js'

/** A request received by a UDP tracker. */
export type UdpRequest =
  | { action: 'connect', transactionId: number }
  | { action: 'announce', connectionId: bigint, transactionId: number, request: AnnounceRequest, urlData?: string }
  | { action: 'scrape', connectionId: bigint, transactionId: number, infoHashes: Uint8Array[] }

const EVENTS: readonly AnnounceEvent[] = ['none', 'completed', 'started', 'stopped']

/** Options of {@link decodeUdpRequest}. */
export interface DecodeUdpRequestOptions {
  /** Most info-hashes in a scrape. Default `TRACKER_LIMITS.maxScrapeHashes` (74). */
  readonly maxScrapeHashes?: number
  /** Longest URLData kept, in bytes. Default `TRACKER_LIMITS.maxUrlDataLength`. */
  readonly maxUrlDataLength?: number
}

/**
 * Decode a request to a UDP tracker. Announce options (BEP 41) are read
 * until EndOfOptions or the end of the packet; URLData chunks are joined,
 * unknown options skipped, a truncated option ends parsing. Info-hashes and
 * peer ids are views into `packet`.
 * @throws TrackerError `short-packet` (under 16 bytes, or an announce under 98),
 *   `bad-request` (wrong protocol id, unknown action or event, scrape not a
 *   whole number of hashes), `too-many-hashes`; any such packet is dropped by a server
 * @see BEP 15, BEP 41
 */
export function decodeUdpRequest (packet: Uint8Array, options: DecodeUdpRequestOptions = {}): UdpRequest {
  if (packet.length < 16) throw new TrackerError('short-packet', `UDP tracker request of ${packet.length} bytes`)
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength)
  const connectionId = view.getBigUint64(0)
  const action = view.getUint32(8)
  const transactionId = view.getUint32(12)
  switch (action) {
    case UDP_ACTION.connect:
      if (connectionId !== UDP_PROTOCOL_ID) throw new TrackerError('bad-request', 'connect request without the protocol id')
      return { action: 'connect', transactionId }
    case UDP_ACTION.announce: {
      if (packet.length < 98) throw new TrackerError('short-packet', 'announce request shorter than 98 bytes')
      const event = EVENTS[view.getUint32(80)]
      if (event === undefined) throw new TrackerError('bad-request', 'unknown announce event')
      const ipBytes = packet.subarray(84, 88)
      const numwant = view.getInt32(92)
      const request: { -readonly [K in keyof AnnounceRequest]: AnnounceRequest[K] } = {
        infoHash: packet.subarray(16, 36),
        peerId: packet.subarray(36, 56),
        downloaded: safe(view.getBigUint64(56)),
        left: safe(view.getBigUint64(64)),
        uploaded: safe(view.getBigUint64(72)),
        event,
        key: view.getUint32(88),
        port: view.getUint16(96)
      }
      if (numwant >= 0) request.numwant = numwant
      if (ipBytes.some(b => b !== 0)) request.ip = formatIp(ipBytes) as string
      const urlData = readUrlData(packet, options.maxUrlDataLength ?? TRACKER_LIMITS.maxUrlDataLength)
      return urlData === undefined
        ? { action: 'announce', connectionId, transactionId, request }
        : { action: 'announce', connectionId, transactionId, request, urlData }
    }
    case UDP_ACTION.scrape: {
      const max = options.maxScrapeHashes ?? TRACKER_LIMITS.maxScrapeHashes
      const n = (packet.length - 16) / 20
      if (!Number.isInteger(n)) throw new TrackerError('bad-request', 'scrape request is not a whole number of info-hashes')
      if (n > max) throw new TrackerError('too-many-hashes', `more than ${max} info-hashes in one scrape`)
      const infoHashes: Uint8Array[] = []
      for (let i = 0; i < n; i++) infoHashes.push(packet.subarray(16 + 20 * i, 36 + 20 * i))
      return { action: 'scrape', connectionId, transactionId, infoHashes }
    }
    default:
      throw new TrackerError('bad-request', `unknown UDP tracker action ${action}`)
  }
}

/** A uint64 counter as a number, saturating at 2^53−1. */
function safe (n: bigint): number {
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n)
}

function readUrlData (packet: Uint8Array, max: number): string | undefined {
  const parts: Uint8Array[] = []
  let total = 0
  let at = 98
  while (at < packet.length) {
    const type = packet[at] as number
    if (type === 0) break
    if (type === 1) { at++; continue }
    const len = packet[at + 1]
    if (len === undefined || at + 2 + len > packet.length) break
    if (type === URL_DATA_OPTION && total + len <= max) {
      parts.push(packet.subarray(at + 2, at + 2 + len))
      total += len
    }
    at += 2 + len
  }
  if (parts.length === 0) return undefined
  const joined = new Uint8Array(total)
  let p = 0
  for (const part of parts) { joined.set(part, p); p += part.length }
  return utf8Lenient(joined)
}

/**
 * Encode a reply of a UDP tracker. Announce peers are written as 6-byte
 * IPv4 entries, or as 18-byte IPv6 entries when `ipv6` (the client reached
 * us over IPv6); peers of the other family are left out. Counts saturate at
 * 2^32−1. An error message is cut at 1024 bytes.
 * @throws nothing
 * @see BEP 15
 */
export function encodeUdpResponse (r: UdpResponse, options: { readonly ipv6?: boolean } = {}): Uint8Array {
  const u32 = (n: number): number => Math.min(Math.max(Math.floor(n), 0), 0xffffffff)
  const head = (size: number, action: number): { buf: Uint8Array, view: DataView } => {
    const buf = new Uint8Array(size)
    const view = new DataView(buf.buffer)
    view.setUint32(0, action)
    view.setUint32(4, r.transactionId >>> 0)
    return { buf, view }
  }
  switch (r.action) {
    case 'connect': {
      const { buf, view } = head(16, UDP_ACTION.connect)
      view.setBigUint64(8, BigInt.asUintN(64, r.connectionId))
      return buf
    }
    case 'announce': {
      const family = options.ipv6 === true ? 6 : 4
      const peers = encodeCompactPeers(r.peers, family)
      const { buf, view } = head(20 + peers.length, UDP_ACTION.announce)
      view.setUint32(8, u32(r.interval))
      view.setUint32(12, u32(r.leechers))
      view.setUint32(16, u32(r.seeders))
      buf.set(peers, 20)
      return buf
    }
    case 'scrape': {
      const { buf, view } = head(8 + 12 * r.entries.length, UDP_ACTION.scrape)
      r.entries.forEach((e, i) => {
        view.setUint32(8 + 12 * i, u32(e.complete))
        view.setUint32(12 + 12 * i, u32(e.downloaded))
        view.setUint32(16 + 12 * i, u32(e.incomplete))
      })
      return buf
    }
    case 'error': {
      const msg = new TextEncoder().encode(r.message).subarray(0, 1024)
      const { buf } = head(8 + msg.length, UDP_ACTION.error)
      buf.set(msg, 8)
      return buf
    }
  }
}
