/**
 * Datagram sockets: what a session's one UDP socket offers the protocols
 * that share it (the UDP tracker client now, the DHT and uTP later).
 * Types only; Node's implementation is `bindUdpSocket` in `pipelines/node/`.
 * @see BEP 5, BEP 15, BEP 29
 */
import type { PeerAddress } from './types.js'

/** One datagram received, with the address it came from. */
export interface Datagram {
  /** The payload, valid for the duration of the call it is passed to. */
  readonly data: Uint8Array
  /** The sender: IP literal (IPv6 without brackets) and port. */
  readonly from: PeerAddress
}

/** A bound UDP socket. */
export interface DatagramSocket {
  /** The local address the socket is bound to. */
  readonly address: PeerAddress
  /**
   * Send `data` to `to` (an IP literal and a port).
   * @throws nothing; rejects when the datagram cannot be sent (no route, socket closed, wrong address family)
   */
  send: (data: Uint8Array, to: PeerAddress) => Promise<void>
  /** Deliver every datagram received from now on to `receive` (one receiver; a second call replaces the first). */
  receive: (receive: (d: Datagram) => void) => void
  /** Unbind; later sends reject. Resolves once closed. */
  close: () => Promise<void>
}

/**
 * Request/response traffic keyed by a 32-bit transaction id (BEP 15 UDP
 * trackers) over a shared socket: an id claimed here is unique among every
 * user of the socket, and replies carrying it go to the claimant only.
 */
export interface TransactionDatagrams {
  /** Send a request. Rejects as {@link DatagramSocket.send}. */
  send: (data: Uint8Array, to: PeerAddress) => Promise<void>
  /**
   * Claim a transaction id no one else holds, drawing candidates from
   * `candidate` (the caller's randomness); replies carrying it go to
   * `receive` until {@link TransactionDatagrams.release}.
   * @throws RxTorrentError `no-transaction-id` when 64 candidates in a row were taken, `too-many-transactions` when the socket's limit of waiting transactions is reached
   */
  claim: (candidate: () => number, receive: (d: Datagram) => void) => number
  /** Give a claimed id back; later replies with it are dropped. */
  release: (transactionId: number) => void
}

/** Where a datagram that is neither a tracker reply nor dropped may go. */
export type DatagramProtocol = 'dht' | 'utp'
