/**
 * BEP 40 canonical peer priority: a number both ends of a connection agree
 * on, used to decide which connections to keep when over a limit, so that a
 * swarm cannot be monopolised by whoever connects first or most often.
 * @see BEP 40
 */
import { UsageError } from '../errors.js'
import { normalizeIp, type IpBytes } from '../tracker/ip-address.js'
import type { PeerAddress } from '../transport/types.js'
import { crc32c } from './crc32c.js'

/**
 * The BEP 40 priority of the connection between `a` and `b`, an unsigned
 * 32-bit number; symmetric (`p(a, b) === p(b, a)`).
 *
 * - Same IP: CRC32-C of the two ports as 16-bit big-endian, smaller first.
 * - Otherwise CRC32-C of both masked addresses, smaller first. IPv4 masks
 *   are `FF.FF.55.55`, or `FF.FF.FF.55` within one /16, or the whole address
 *   within one /24. IPv6 starts from `FFFF:FFFF:FFFF:5555:…` and, as the BEP
 *   says, takes one more `FF` byte for each further leading byte the two
 *   addresses share (/48 → `…:FF55:…`, /56 → `…:FFFF:5555…`, and so on).
 * - IPv4-mapped IPv6 counts as IPv4. An IPv4 address paired with an IPv6
 *   one (which BEP 40 leaves open) is taken as `::ffff:a.b.c.d` and the
 *   IPv6 rule applies.
 *
 * Each side must use the address the other side sees it as.
 *
 * @throws {UsageError} `bad-ip` when a host is not an IP address (resolve
 *   names first); `bad-port` when a port is not an integer in 0–65535.
 * @see BEP 40
 */
export function canonicalPeerPriority (a: PeerAddress, b: PeerAddress): number {
  const ipA = parseHost(a)
  const ipB = parseHost(b)
  checkPort(a)
  checkPort(b)
  let x = ipA.bytes
  let y = ipB.bytes
  if (ipA.family !== ipB.family) {
    x = ipA.family === 4 ? mapToIpv6(x) : x
    y = ipB.family === 4 ? mapToIpv6(y) : y
  }
  const common = commonPrefixBytes(x, y)
  if (common === x.length) {
    return hashPair(portBytes(a.port), portBytes(b.port))
  }
  // 2 leading FF bytes for IPv4, 6 for IPv6, one more per shared byte beyond that.
  const full = Math.max(x.length === 4 ? 2 : 6, common + 1)
  return hashPair(mask(x, full), mask(y, full))
}

/**
 * `peers` sorted by their BEP 40 priority with `self` (the address the
 * peers see us as), highest first: keep the head, drop the tail when over a
 * connection limit. Equal priorities keep their input order; peers whose
 * priority cannot be computed (a host name, a bad port) come last, in input
 * order. Returns a new array; `peers` is not changed.
 * @throws {UsageError} `bad-ip` / `bad-port` when `self` is not a valid IP
 *   address and port.
 * @see BEP 40
 */
export function byPriority<T extends PeerAddress> (self: PeerAddress, peers: readonly T[]): T[] {
  parseHost(self)
  checkPort(self)
  const ranked = peers.map((peer, index) => ({ peer, index, priority: tryPriority(self, peer) }))
  ranked.sort((p, q) => (q.priority - p.priority) || (p.index - q.index))
  return ranked.map(r => r.peer)
}

function tryPriority (self: PeerAddress, peer: PeerAddress): number {
  if (normalizeIp(peer.host) === undefined || !validPort(peer.port)) return -1
  return canonicalPeerPriority(self, peer)
}

function parseHost (address: PeerAddress): IpBytes {
  const ip = normalizeIp(address.host)
  if (ip === undefined) {
    throw new UsageError('bad-ip', `not an IP address: ${JSON.stringify(address.host)}`, { details: { host: address.host } })
  }
  return ip
}

function validPort (port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 0xffff
}

function checkPort (address: PeerAddress): void {
  if (!validPort(address.port)) {
    throw new UsageError('bad-port', `port must be an integer in 0-65535, got ${address.port}`, { details: { port: address.port } })
  }
}

function mapToIpv6 (v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16)
  out[10] = 0xff
  out[11] = 0xff
  out.set(v4, 12)
  return out
}

function commonPrefixBytes (x: Uint8Array, y: Uint8Array): number {
  let i = 0
  while (i < x.length && x[i] === y[i]) i++
  return i
}

/** A copy of `ip` with the first `full` bytes kept and the rest masked by 0x55. */
function mask (ip: Uint8Array, full: number): Uint8Array {
  const out = new Uint8Array(ip.length)
  for (let i = 0; i < ip.length; i++) out[i] = i < full ? (ip[i] as number) : (ip[i] as number) & 0x55
  return out
}

function portBytes (port: number): Uint8Array {
  return new Uint8Array([port >>> 8, port & 0xff])
}

/** CRC32-C of the two byte strings, the smaller (bytewise) first. */
function hashPair (x: Uint8Array, y: Uint8Array): number {
  const [first, second] = compareBytes(x, y) <= 0 ? [x, y] : [y, x]
  return crc32c(second, crc32c(first))
}

function compareBytes (x: Uint8Array, y: Uint8Array): number {
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] as number) - (y[i] as number)
    if (d !== 0) return d
  }
  return 0
}
