import type { Bitfield } from '../pieces/bitfield.js'
import type { BlockRef } from '../pieces/geometry.js'

/**
 * What a peer's message meant, as reported by `PeerSession.handle`.
 * `have-all` and `have-none` are reported as `bitfield`; blocks we did not
 * request (or no longer wait for) are `unwanted-block`, counted as waste and
 * never written.
 * @see BEP 3, BEP 5 (`port`), BEP 6 (`rejected`, `suggest`, `allowed-fast`), BEP 10 (`extended`)
 */
export type PeerEvent =
  | { readonly type: 'choked' }
  | { readonly type: 'unchoked' }
  | { readonly type: 'interested' }
  | { readonly type: 'not-interested' }
  | { readonly type: 'have', readonly index: number }
  | { readonly type: 'bitfield', readonly bitfield: Bitfield }
  | { readonly type: 'request', readonly ref: BlockRef }
  | { readonly type: 'cancel', readonly ref: BlockRef }
  | { readonly type: 'block', readonly index: number, readonly begin: number, readonly block: Uint8Array }
  | { readonly type: 'unwanted-block', readonly index: number, readonly begin: number, readonly length: number }
  | { readonly type: 'rejected', readonly ref: BlockRef }
  | { readonly type: 'suggest', readonly index: number }
  | { readonly type: 'allowed-fast', readonly index: number }
  | { readonly type: 'port', readonly port: number }
  | { readonly type: 'extended', readonly id: number, readonly payload: Uint8Array }
  | { readonly type: 'keep-alive' }

/** The `type` of a {@link PeerEvent}. */
export type PeerEventType = PeerEvent['type']
