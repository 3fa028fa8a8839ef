import type { TrackerPeer } from './types.js'
import { formatIp, normalizeIp } from './ip-address.js'

/** Address family of a compact peer list: 6-byte IPv4 or 18-byte IPv6 entries. */
export type CompactFamily = 4 | 6

/** Bytes of one compact entry of `family`: address then big-endian port. */
export function compactEntryLength (family: CompactFamily): 6 | 18 {
  return family === 4 ? 6 : 18
}

/**
 * Decode a compact peer list (`peers`, `peers6`, PEX `added`). Whole entries
 * are parsed and a trailing partial entry is ignored (the lenient HTTP rule;
 * callers that must be strict check the length first). Entries with port 0
 * are dropped. Hosts are strings, so the result does not keep
 * `bytes` alive.
 * @throws nothing
 * @see BEP 23, BEP 7, BEP 11
 */
export function decodeCompactPeers (bytes: Uint8Array, family: CompactFamily, maxPeers: number = Infinity): TrackerPeer[] {
  const size = compactEntryLength(family)
  const addrLen = size - 2
  const peers: TrackerPeer[] = []
  for (let at = 0; at + size <= bytes.length && peers.length < maxPeers; at += size) {
    const port = ((bytes[at + addrLen] as number) << 8) | (bytes[at + addrLen + 1] as number)
    if (port === 0) continue
    peers.push({ host: formatIp(bytes.subarray(at, at + addrLen)) as string, port })
  }
  return peers
}

/**
 * Encode the peers of `family` as a compact list; peers of the other family,
 * with a host that is not an IP address, or with a port outside 1–65535 are
 * skipped. IPv4-mapped IPv6 hosts count as IPv4.
 * @throws nothing
 * @see BEP 23, BEP 7
 */
export function encodeCompactPeers (peers: readonly TrackerPeer[], family: CompactFamily): Uint8Array {
  const size = compactEntryLength(family)
  const out = new Uint8Array(peers.length * size)
  let at = 0
  for (const p of peers) {
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) continue
    const ip = normalizeIp(p.host)
    if (ip === undefined || ip.family !== family) continue
    out.set(ip.bytes, at)
    out[at + size - 2] = p.port >> 8
    out[at + size - 1] = p.port & 0xff
    at += size
  }
  return out.subarray(0, at)
}
