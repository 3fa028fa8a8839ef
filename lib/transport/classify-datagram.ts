/**
 * Which protocol a datagram on a shared UDP socket belongs to. The three
 * shapes cannot be confused: a BEP 15 reply starts with a 32-bit action 0–3
 * (first byte 0x00), a KRPC message is a bencoded dictionary (`d`, 0x64),
 * and a uTP packet's first byte holds version 1 in its low nibble and a
 * type 0–4 in its high nibble (0x01, 0x11, 0x21, 0x31 or 0x41).
 * @see BEP 5, BEP 15, BEP 29
 */
import { BEP29, LIMITS } from '../constants.js'
import { UDP_ACTION } from '../tracker/udp-codec.js'

/** Why a datagram went to no one. */
export type DatagramDropReason =
  /** Zero bytes. */
  | 'empty'
  /** Longer than the limit (`LIMITS.maxDatagramLength`). */
  | 'oversized'
  /** Shaped as a UDP tracker reply, but no request waits for its transaction id. */
  | 'unknown-transaction'
  /** None of the three shapes. */
  | 'unrecognised'
  /** A DHT or uTP datagram while no consumer is attached for it. */
  | 'no-consumer'
  /** The consumer threw while handling it. */
  | 'consumer-failed'

/** The verdict of {@link classifyDatagram}. */
export type DatagramClass =
  | { readonly kind: 'tracker', readonly transactionId: number }
  | { readonly kind: 'dht' }
  | { readonly kind: 'utp', readonly packetType: number }
  | { readonly kind: 'drop', readonly reason: DatagramDropReason }

/** Options of {@link classifyDatagram}. */
export interface ClassifyDatagramOptions {
  /** Longest datagram accepted; default `LIMITS.maxDatagramLength`. */
  readonly maxLength?: number
}

/** Smallest BEP 15 reply: action and transaction id (an error or an empty scrape). */
const TRACKER_HEADER = 8
const BYTE_D = 0x64
const BYTE_E = 0x65

/**
 * Classify one datagram: a UDP tracker reply whose transaction id
 * `isTransaction` knows, a DHT message (a bencoded dictionary: `d` first,
 * `e` last), a uTP packet (a full 20-byte header of version 1 and a known
 * type), or a drop with its reason. Looks at a few bytes only; the consumer
 * decodes the rest and still checks everything.
 * @throws nothing: every input, of any length, gets a verdict
 * @see BEP 5, BEP 15, BEP 29
 */
export function classifyDatagram (data: Uint8Array, isTransaction: (transactionId: number) => boolean, options: ClassifyDatagramOptions = {}): DatagramClass {
  if (data.length === 0) return drop('empty')
  if (data.length > (options.maxLength ?? LIMITS.maxDatagramLength)) return drop('oversized')
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  if (data.length >= TRACKER_HEADER && view.getUint32(0) <= UDP_ACTION.error) {
    const transactionId = view.getUint32(4)
    return isTransaction(transactionId) ? { kind: 'tracker', transactionId } : drop('unknown-transaction')
  }
  const first = data[0] as number
  if (first === BYTE_D && data[data.length - 1] === BYTE_E) return { kind: 'dht' }
  const packetType = first >> 4
  if ((first & 0x0f) === BEP29.VERSION && packetType <= BEP29.MAX_TYPE && data.length >= BEP29.HEADER_LENGTH) return { kind: 'utp', packetType }
  return drop('unrecognised')
}

function drop (reason: DatagramDropReason): DatagramClass {
  return { kind: 'drop', reason }
}
