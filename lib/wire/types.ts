/**
 * Peer wire messages as a discriminated union on `type`.
 * @see BEP 3 (core), BEP 5 (`port`), BEP 6 (Fast extension), BEP 10 (extended)
 */

export interface KeepAlive { readonly type: 'keep-alive' }
/** BEP 3 `choke` (id 0): the sender will not serve our requests. */
export interface Choke { readonly type: 'choke' }
/** BEP 3 `unchoke` (id 1): the sender will serve our requests. */
export interface Unchoke { readonly type: 'unchoke' }
/** BEP 3 `interested` (id 2): the sender wants pieces we have. */
export interface Interested { readonly type: 'interested' }
/** BEP 3 `not interested` (id 3). */
export interface NotInterested { readonly type: 'not-interested' }
/** BEP 3 `have` (id 4): the sender now has piece `index`. */
export interface Have { readonly type: 'have', readonly index: number }
/** Raw bitfield bytes; its length and spare bits are checked against the torrent by the session, which knows the piece count. */
export interface BitfieldMessage { readonly type: 'bitfield', readonly bits: Uint8Array }
/** BEP 3 `request` (id 6): send `length` bytes of piece `index` from `begin`. */
export interface Request { readonly type: 'request', readonly index: number, readonly begin: number, readonly length: number }
/** `block` is a view into the received chunk, not a copy. */
export interface Piece { readonly type: 'piece', readonly index: number, readonly begin: number, readonly block: Uint8Array }
/** BEP 3 `cancel` (id 8): withdraw a `request`. */
export interface Cancel { readonly type: 'cancel', readonly index: number, readonly begin: number, readonly length: number }
/** BEP 5 */
export interface Port { readonly type: 'port', readonly port: number }
/** BEP 6 */
export interface SuggestPiece { readonly type: 'suggest-piece', readonly index: number }
/** BEP 6 `have all` (id 0x0e): in place of a bitfield, the sender has every piece. */
export interface HaveAll { readonly type: 'have-all' }
/** BEP 6 `have none` (id 0x0f): in place of a bitfield, the sender has no piece. */
export interface HaveNone { readonly type: 'have-none' }
/** BEP 6 `reject request` (id 0x10): the sender will not serve this request. */
export interface RejectRequest { readonly type: 'reject-request', readonly index: number, readonly begin: number, readonly length: number }
/** BEP 6 `allowed fast` (id 0x11): piece `index` may be requested while choked. */
export interface AllowedFast { readonly type: 'allowed-fast', readonly index: number }
/** BEP 10: `id` is 0 for the extended handshake, otherwise the id the receiver assigned. */
export interface Extended { readonly type: 'extended', readonly id: number, readonly payload: Uint8Array }
/** Any id we do not know; the payload is kept. Sessions decide whether to tolerate it. */
export interface UnknownMessage { readonly type: 'unknown', readonly id: number, readonly payload: Uint8Array }

/** A peer wire message: a discriminated union on `type`. */
export type Message =
  | KeepAlive | Choke | Unchoke | Interested | NotInterested | Have | BitfieldMessage
  | Request | Piece | Cancel | Port
  | SuggestPiece | HaveAll | HaveNone | RejectRequest | AllowedFast
  | Extended | UnknownMessage

/** The `type` of a {@link Message}. */
export type MessageType = Message['type']

/** The 68-byte handshake. @see BEP 3 */
export interface Handshake {
  /** 8 reserved bytes (BEP 4 assigns the bits). */
  readonly reserved: Uint8Array
  readonly infoHash: Uint8Array
  readonly peerId: Uint8Array
}

/** Extension bits negotiated from both reserved fields. */
export interface Capabilities {
  readonly fast: boolean
  readonly extended: boolean
  readonly dht: boolean
}
