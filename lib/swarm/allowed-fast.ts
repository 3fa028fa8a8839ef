/**
 * The BEP 6 allowed-fast set: the pieces a peer may request from us while
 * choked, derived from its IPv4 /24 and the info-hash so that every address
 * in one /24 gets the same set.
 * @see BEP 6
 */
import { UsageError } from '../errors.js'
import { normalizeIp } from '../tracker/ip-address.js'

/** Options of {@link allowedFastSet}. */
export interface AllowedFastSetOptions {
  /**
   * The peer's address as we see it (the other end of the connection):
   * dotted-quad IPv4, or IPv4-mapped IPv6 (`::ffff:a.b.c.d`), which counts
   * as that IPv4 address. Any other IPv6 address gives an empty set.
   */
  readonly ip: string
  /** The torrent's 20-byte info-hash. */
  readonly infoHash: Uint8Array
  /** Number of pieces in the torrent. */
  readonly pieceCount: number
  /** How many pieces the set should hold. */
  readonly k: number
  /** SHA-1, injected (lib has no crypto); must return at least 20 bytes. */
  readonly sha1: (data: Uint8Array) => Uint8Array
}

/**
 * The allowed-fast set for one peer, in the order the BEP 6 algorithm
 * generates it: SHA-1 of `(ip & 0xFFFFFF00) ++ infoHash`, then SHA-1 of
 * each previous digest; each digest yields five big-endian 32-bit words,
 * each taken modulo `pieceCount`, skipping indices already chosen.
 *
 * The result has `min(k, pieceCount)` distinct indices, all below
 * `pieceCount`. When `k >= pieceCount` every piece is allowed and the result
 * is `0 … pieceCount-1` in ascending order, without hashing. The number of
 * digests grows quickly as `k` approaches `pieceCount` (coupon collecting),
 * so `k` should stay small, as the BEP intends (10 is usual).
 *
 * BEP 6 defines the set for IPv4 only. An IPv6 address (other than an
 * IPv4-mapped one) gives `[]`: no pieces are allowed fast.
 *
 * @throws {UsageError} `bad-ip` when `ip` is not an IP address;
 *   `bad-info-hash` when `infoHash` is not 20 bytes; `bad-count` when
 *   `pieceCount` or `k` is not a non-negative safe integer or `pieceCount`
 *   exceeds 2^32; `bad-sha1` when `sha1` returns fewer than 20 bytes.
 * @see BEP 6
 */
export function allowedFastSet (options: AllowedFastSetOptions): number[] {
  const { infoHash, pieceCount, k, sha1 } = options
  const ip = normalizeIp(options.ip)
  if (ip === undefined) {
    throw new UsageError('bad-ip', `not an IP address: ${JSON.stringify(options.ip)}`, { details: { ip: options.ip } })
  }
  if (infoHash.length !== 20) {
    throw new UsageError('bad-info-hash', `info-hash must be 20 bytes, got ${infoHash.length}`, { details: { length: infoHash.length } })
  }
  checkCount('pieceCount', pieceCount, 2 ** 32)
  checkCount('k', k, Number.MAX_SAFE_INTEGER)
  if (ip.family !== 4) return []
  const size = Math.min(k, pieceCount)
  if (size === pieceCount) return Array.from({ length: pieceCount }, (_, i) => i)

  const seed = new Uint8Array(24)
  seed.set(ip.bytes.subarray(0, 3), 0)
  seed.set(infoHash, 4)
  const chosen = new Set<number>()
  const order: number[] = []
  let x: Uint8Array = seed
  while (order.length < size) {
    x = sha1(x)
    if (x.length < 20) {
      throw new UsageError('bad-sha1', `sha1 returned ${x.length} bytes, expected 20`, { details: { length: x.length } })
    }
    const view = new DataView(x.buffer, x.byteOffset, 20)
    for (let i = 0; i < 5 && order.length < size; i++) {
      const index = view.getUint32(i * 4) % pieceCount
      if (!chosen.has(index)) {
        chosen.add(index)
        order.push(index)
      }
    }
  }
  return order
}

function checkCount (name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new UsageError('bad-count', `${name} must be an integer in [0, ${max}], got ${value}`, { details: { [name]: value } })
  }
}

/** How many pieces a peer is offered to fetch while choked (BEP 6 suggests 10). */
export const ALLOWED_FAST_K = 10

/**
 * BEP 6, what we offer a peer that connects from `host`: its allowed-fast
 * set of `k` pieces by the spec's algorithm, keeping only those `has` says
 * we hold. Nothing for a torrent of `2k` pieces or fewer (the set would be
 * most of it) or for a host that is not an IPv4 address (IPv6, or a name on
 * the memory network).
 */
export function allowedFastOffer (options: { host: string | undefined, infoHash: Uint8Array, pieceCount: number, has: (index: number) => boolean, sha1: (data: Uint8Array) => Uint8Array, k?: number }): number[] {
  const k = options.k ?? ALLOWED_FAST_K
  if (options.host === undefined || options.pieceCount <= 2 * k) return []
  try {
    return allowedFastSet({ ip: options.host, infoHash: options.infoHash, pieceCount: options.pieceCount, k, sha1: options.sha1 }).filter(options.has)
  } catch {
    return []
  }
}
