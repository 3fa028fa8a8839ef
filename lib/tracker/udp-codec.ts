/**
 * UDP tracker packets, client side: connect, announce (with BEP 41 URLData)
 * and scrape requests out, replies in.
 * @see BEP 15, BEP 41
 */
import { utf8Lenient } from '../bencode/index.js'
import { compactEntryLength, decodeCompactPeers } from './compact-peers.js'
import { parseIp } from './ip-address.js'
import { TRACKER_LIMITS } from './limits.js'
import { TrackerError } from './tracker-error.js'
import type { AnnounceEvent, AnnounceRequest, TrackerPeer } from './types.js'

/** The magic constant of a connect request. */
export const UDP_PROTOCOL_ID: bigint = 0x41727101980n

/** BEP 15 action codes. */
export const UDP_ACTION = { connect: 0, announce: 1, scrape: 2, error: 3 } as const

/** BEP 15 event codes. */
export const UDP_EVENT: Readonly<Record<AnnounceEvent, number>> = { none: 0, completed: 1, started: 2, stopped: 3 }

/** A reply from a UDP tracker. */
export type UdpResponse =
  | { action: 'connect', transactionId: number, connectionId: bigint }
  | { action: 'announce', transactionId: number, interval: number, leechers: number, seeders: number, peers: TrackerPeer[] }
  | { action: 'scrape', transactionId: number, entries: Array<{ complete: number, downloaded: number, incomplete: number }> }
  | { action: 'error', transactionId: number, message: string }

/** Longest error message kept from an error reply, in bytes. */
const MAX_ERROR_MESSAGE = 1024

/** BEP 41 option type carrying part of the announce URL's path and query. */
export const URL_DATA_OPTION = 2

function header (size: number, connectionId: bigint, action: number, transactionId: number): { buf: Uint8Array, view: DataView } {
  const buf = new Uint8Array(size)
  const view = new DataView(buf.buffer)
  view.setBigUint64(0, BigInt.asUintN(64, connectionId))
  view.setUint32(8, action)
  view.setUint32(12, transactionId >>> 0)
  return { buf, view }
}

function u64 (n: number): bigint {
  return BigInt(Number.isSafeInteger(n) && n > 0 ? n : 0)
}

/**
 * A 16-byte connect request.
 * @throws nothing
 * @see BEP 15
 */
export function encodeConnectRequest (transactionId: number): Uint8Array {
  return header(16, UDP_PROTOCOL_ID, UDP_ACTION.connect, transactionId).buf
}

/**
 * A 98-byte announce request, followed by BEP 41 URLData options when
 * `urlData` (the announce URL's path and query) is given, split into chunks
 * of at most 255 bytes. `ip` is sent only when it is IPv4; `numwant`
 * defaults to -1 (the tracker's choice).
 * @throws nothing
 * @see BEP 15, BEP 41
 */
export function encodeAnnounceRequest (connectionId: bigint, transactionId: number, req: AnnounceRequest, options: { readonly urlData?: string } = {}): Uint8Array {
  const url = options.urlData === undefined || options.urlData === '' ? undefined : new TextEncoder().encode(options.urlData)
  const chunks = url === undefined ? 0 : Math.ceil(url.length / 255)
  const { buf, view } = header(98 + (url?.length ?? 0) + 2 * chunks, connectionId, UDP_ACTION.announce, transactionId)
  buf.set(req.infoHash.subarray(0, 20), 16)
  buf.set(req.peerId.subarray(0, 20), 36)
  view.setBigUint64(56, u64(req.downloaded))
  view.setBigUint64(64, u64(req.left))
  view.setBigUint64(72, u64(req.uploaded))
  view.setUint32(80, UDP_EVENT[req.event])
  const ip = req.ip === undefined ? undefined : parseIp(req.ip)
  if (ip?.family === 4) buf.set(ip.bytes, 84)
  view.setUint32(88, (req.key ?? 0) >>> 0)
  view.setInt32(92, req.numwant === undefined ? -1 : Math.min(Math.max(Math.floor(req.numwant), 0), 0x7fffffff))
  view.setUint16(96, req.port & 0xffff)
  if (url !== undefined) {
    let at = 98
    for (let i = 0; i < url.length; i += 255) {
      const part = url.subarray(i, i + 255)
      buf[at++] = URL_DATA_OPTION
      buf[at++] = part.length
      buf.set(part, at)
      at += part.length
    }
  }
  return buf
}

/**
 * A scrape request for up to `maxHashes` info-hashes.
 * @throws TrackerError `too-many-hashes` (more than `maxHashes`, default 74), `bad-info-hash` (not 20 bytes)
 * @see BEP 15
 */
export function encodeScrapeRequest (connectionId: bigint, transactionId: number, infoHashes: readonly Uint8Array[], options: { readonly maxHashes?: number } = {}): Uint8Array {
  const max = options.maxHashes ?? TRACKER_LIMITS.maxScrapeHashes
  if (infoHashes.length > max) throw new TrackerError('too-many-hashes', `more than ${max} info-hashes in one UDP scrape`, { disposition: 'fatal' })
  const { buf } = header(16 + 20 * infoHashes.length, connectionId, UDP_ACTION.scrape, transactionId)
  infoHashes.forEach((h, i) => {
    if (h.length !== 20) throw new TrackerError('bad-info-hash', 'info-hash is not 20 bytes', { disposition: 'fatal' })
    buf.set(h, 16 + 20 * i)
  })
  return buf
}

/**
 * Decode a reply from a UDP tracker. Strict: an announce whose peer list is
 * not a whole number of entries (6 bytes, or 18 when `ipv6`) is an error,
 * unlike HTTP. Peers with port 0 are dropped. Matching the transaction id
 * and the sender is the caller's job.
 * @throws TrackerError (disposition `ignore`) `short-packet` (shorter than the
 *   action's fixed part), `bad-compact-peers`, `bad-response` (unknown action,
 *   scrape counts not a multiple of 12 bytes)
 * @see BEP 15
 */
export function decodeUdpResponse (packet: Uint8Array, options: { readonly ipv6: boolean }): UdpResponse {
  if (packet.length < 8) throw new TrackerError('short-packet', `UDP tracker reply of ${packet.length} bytes`)
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength)
  const action = view.getUint32(0)
  const transactionId = view.getUint32(4)
  switch (action) {
    case UDP_ACTION.connect:
      if (packet.length < 16) throw new TrackerError('short-packet', 'connect reply shorter than 16 bytes')
      return { action: 'connect', transactionId, connectionId: view.getBigUint64(8) }
    case UDP_ACTION.announce: {
      if (packet.length < 20) throw new TrackerError('short-packet', 'announce reply shorter than 20 bytes')
      const family = options.ipv6 ? 6 : 4
      const rest = packet.subarray(20)
      if (rest.length % compactEntryLength(family) !== 0) {
        throw new TrackerError('bad-compact-peers', `peer list of ${rest.length} bytes is not a multiple of ${compactEntryLength(family)}`)
      }
      return {
        action: 'announce',
        transactionId,
        interval: view.getUint32(8),
        leechers: view.getUint32(12),
        seeders: view.getUint32(16),
        peers: decodeCompactPeers(rest, family)
      }
    }
    case UDP_ACTION.scrape: {
      if ((packet.length - 8) % 12 !== 0) throw new TrackerError('bad-response', 'scrape reply is not a whole number of entries')
      const entries: Array<{ complete: number, downloaded: number, incomplete: number }> = []
      for (let at = 8; at < packet.length; at += 12) {
        entries.push({ complete: view.getUint32(at), downloaded: view.getUint32(at + 4), incomplete: view.getUint32(at + 8) })
      }
      return { action: 'scrape', transactionId, entries }
    }
    case UDP_ACTION.error:
      return { action: 'error', transactionId, message: utf8Lenient(packet.subarray(8, 8 + MAX_ERROR_MESSAGE)) }
    default:
      throw new TrackerError('bad-response', `unknown UDP tracker action ${action}`)
  }
}
