/**
 * The `ut_pex` message codec: peers a neighbour connected to or dropped since
 * its last message, as compact IPv4 and IPv6 lists with one flag byte each.
 * @see BEP 11
 */
import { decode, encode, isBDict, type BValue } from '../bencode/index.js'
import { BencodeError, ProtocolError } from '../errors.js'
import { compactEntryLength, decodeCompactPeers, encodeCompactPeers, type CompactFamily } from '../tracker/compact-peers.js'
import { formatIp, normalizeIp } from '../tracker/ip-address.js'
import type { PeerAddress } from '../transport/types.js'

/** BEP 11 flag bits of an added peer. */
export const PEX_FLAGS = {
  /** The peer prefers encrypted connections. */
  ENCRYPTION: 0x01,
  /** The peer is a seed or upload-only. */
  SEED: 0x02,
  /** The peer supports uTP. */
  UTP: 0x04,
  /** The peer supports `ut_holepunch`. */
  HOLEPUNCH: 0x08,
  /** The sender connected out to the peer, so it is reachable. */
  REACHABLE: 0x10
} as const

/** Default limits of the PEX codec and state. */
export const PEX_LIMITS = {
  /** Largest `ut_pex` payload accepted: 500 KiB, as libtorrent. */
  maxBytes: 500 * 1024,
  /** Entries kept from each of `added`, `added6`, `dropped`, `dropped6` (libtorrent and Transmission use 50). */
  maxPeers: 50,
  /** Least time between two PEX messages to one peer. */
  intervalMs: 60_000,
  /** Bencode nesting accepted: the message is one flat dictionary. */
  maxBencodeDepth: 4,
  /** Bencode tokens accepted: six keys and values, with room for extra keys. */
  maxBencodeTokens: 1_000
} as const

/** A peer announced in `added`/`added6`, with its BEP 11 flag byte (0 when unknown). */
export interface PexPeer {
  readonly host: string
  readonly port: number
  readonly flags: number
}

/** A decoded or to-be-encoded `ut_pex` message. */
export interface PexMessage {
  readonly added: readonly PexPeer[]
  readonly dropped: readonly PeerAddress[]
}

/** Options of {@link decodePex}. */
export interface PexDecodeOptions {
  /** Entries kept per compact list; the rest are ignored. Default `PEX_LIMITS.maxPeers` (50). */
  readonly maxPeers?: number
  /** Largest payload accepted. Default `PEX_LIMITS.maxBytes` (500 KiB). */
  readonly maxBytes?: number
}

/**
 * A stable key for an address: the canonical IP form (IPv4-mapped IPv6 as
 * IPv4) and the port. Undefined when `host` is not an IP address or the port
 * is not in 1..65535, i.e. when the address cannot travel in a PEX message.
 * @throws nothing
 * @see BEP 11
 */
export function pexAddressKey (address: PeerAddress): string | undefined {
  const { port } = address
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined
  const ip = normalizeIp(address.host)
  if (ip === undefined) return undefined
  return `${formatIp(ip.bytes) as string}/${port}`
}

/**
 * Encode a `ut_pex` payload. Peers are split by address family into
 * `added`/`added.f` and `added6`/`added6.f`, `dropped` and `dropped6`; all six
 * keys are always present. Peers whose host is not an IP address or whose
 * port is outside 1..65535 are skipped. Flags are sent as their low byte.
 * No count limit is applied: callers bound the lists (see `PexState`).
 * @throws nothing
 * @see BEP 11
 */
export function encodePex (m: PexMessage): Uint8Array {
  const added4: PexPeer[] = []
  const added6: PexPeer[] = []
  for (const p of m.added) {
    if (pexAddressKey(p) === undefined) continue
    const ip = normalizeIp(p.host)
    if (ip?.family === 4) added4.push(p)
    else added6.push(p)
  }
  return encode({
    added: encodeCompactPeers(added4, 4),
    'added.f': flagBytes(added4),
    added6: encodeCompactPeers(added6, 6),
    'added6.f': flagBytes(added6),
    dropped: encodeCompactPeers(m.dropped, 4),
    dropped6: encodeCompactPeers(m.dropped, 6)
  })
}

/**
 * Decode a `ut_pex` payload. Dictionaries may be unsorted; unknown keys and
 * keys of the wrong type are ignored. Each compact list keeps whole entries
 * only: a trailing partial entry (an odd-length list) is ignored, as for
 * HTTP tracker `peers`. Entries with port 0 are dropped. At most `maxPeers`
 * entries are kept from each list, the rest are ignored (truncation, as
 * libtorrent and Transmission do). A flag list shorter than its peer list
 * gives flags 0 to the peers it does not cover; extra flag bytes are ignored.
 * Hosts are strings, so the result keeps nothing of `payload` alive.
 * @throws ProtocolError (disposition `disconnect`): `pex-too-long` when the
 *   payload exceeds `maxBytes`; `bad-pex` when it is not bencode or not a
 *   dictionary.
 * @see BEP 11
 */
export function decodePex (payload: Uint8Array, options: PexDecodeOptions = {}): PexMessage {
  const maxBytes = options.maxBytes ?? PEX_LIMITS.maxBytes
  const maxPeers = options.maxPeers ?? PEX_LIMITS.maxPeers
  if (payload.length > maxBytes) {
    throw new ProtocolError('pex-too-long', `ut_pex message of ${payload.length} bytes exceeds ${maxBytes}`, { details: { length: payload.length } })
  }
  let value: BValue
  try {
    value = decode(payload, { strict: false, maxDepth: PEX_LIMITS.maxBencodeDepth, maxTokens: PEX_LIMITS.maxBencodeTokens })
  } catch (cause) {
    if (cause instanceof BencodeError) throw new ProtocolError('bad-pex', `ut_pex message is not valid bencode: ${cause.message}`, { cause })
    throw cause
  }
  if (!isBDict(value)) throw new ProtocolError('bad-pex', 'ut_pex message is not a dictionary')
  const added = [
    ...decodeAdded(bytesOf(value.added), bytesOf(value['added.f']), 4, maxPeers),
    ...decodeAdded(bytesOf(value.added6), bytesOf(value['added6.f']), 6, maxPeers)
  ]
  const dropped = [
    ...decodeCompactPeers(bytesOf(value.dropped), 4, maxPeers),
    ...decodeCompactPeers(bytesOf(value.dropped6), 6, maxPeers)
  ].map(({ host, port }): PeerAddress => ({ host, port }))
  return { added, dropped }
}

const EMPTY = new Uint8Array(0)

function bytesOf (v: BValue | undefined): Uint8Array {
  return v instanceof Uint8Array ? v : EMPTY
}

function flagBytes (peers: readonly PexPeer[]): Uint8Array {
  const out = new Uint8Array(peers.length)
  peers.forEach((p, i) => { out[i] = Number.isInteger(p.flags) ? p.flags & 0xff : 0 })
  return out
}

/** Decodes one compact list entry by entry so each keeps its own flag byte. */
function decodeAdded (list: Uint8Array, flags: Uint8Array, family: CompactFamily, maxPeers: number): PexPeer[] {
  const size = compactEntryLength(family)
  const out: PexPeer[] = []
  for (let i = 0, at = 0; at + size <= list.length && out.length < maxPeers; i++, at += size) {
    const [peer] = decodeCompactPeers(list.subarray(at, at + size), family)
    if (peer !== undefined) out.push({ host: peer.host, port: peer.port, flags: flags[i] ?? 0 })
  }
  return out
}
