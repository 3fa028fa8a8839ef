import type { PeerAddress } from '../../lib/transport/types.js'
import type { HandshakenConnection } from '../peer-handshake.js'

/**
 * A listener several torrents share (a session's): it runs each incoming
 * handshake and hands the connection to the torrent whose info-hash the
 * peer named. A torrent registers with `route` once it can serve peers.
 */
export interface SharedListener {
  /** Where the listener accepts connections. */
  readonly address: PeerAddress
  /**
   * Hand connections whose handshake names `infoHash` to `accept` until the
   * returned function is called; `accept` settles when the connection ends.
   * A second route for one info-hash replaces the first.
   */
  route: (infoHash: Uint8Array, accept: (hs: HandshakenConnection) => Promise<void>) => () => void
}
