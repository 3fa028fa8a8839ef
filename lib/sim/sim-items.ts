/**
 * What travels on a simulated connection: wire messages
 * as objects (never encoded; their encoded length is charged to the links)
 * and the two extension messages the engine's swarm needs (BEP 11 peer
 * exchange, BEP 21 upload-only) as values.
 */
import type { PexMessage } from '../extensions/ut-pex.js'
import type { Message } from '../wire/types.js'

/** Something sent on a simulated connection. */
export type SimItem =
  | Message
  | { readonly type: 'sim-pex', readonly message: PexMessage, readonly bytes: number }
  | { readonly type: 'sim-upload-only', readonly uploadOnly: boolean }

/** Bytes of the BitTorrent handshake (BEP 3), each way. */
export const HANDSHAKE_BYTES = 68
/** Bytes charged for each side's extended handshake (BEP 10): a typical dictionary. */
export const EXTENDED_HANDSHAKE_BYTES = 150

/** The encoded length of `item` on the wire, length prefix included. */
export function itemBytes (item: SimItem): number {
  switch (item.type) {
    case 'keep-alive': return 4
    case 'choke': case 'unchoke': case 'interested': case 'not-interested': case 'have-all': case 'have-none': return 5
    case 'have': case 'suggest-piece': case 'allowed-fast': return 9
    case 'port': return 7
    case 'request': case 'cancel': case 'reject-request': return 17
    case 'piece': return 13 + item.block.length
    case 'bitfield': return 5 + item.bits.length
    case 'extended': return 6 + item.payload.length
    case 'unknown': return 5 + item.payload.length
    case 'sim-pex': return 6 + item.bytes
    case 'sim-upload-only': return 9
  }
}
