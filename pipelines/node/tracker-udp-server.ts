import { createHmac, randomBytes } from 'node:crypto'
import { createSocket, type RemoteInfo } from 'node:dgram'
import type { ConnectionIdIssuer, UdpRemote } from '../../lib/tracker/serve-udp.js'
import type { PeerAddress } from '../../lib/transport/types.js'

/** Options of {@link listenUdpTracker}. */
export interface UdpTrackerListenOptions {
  readonly host: string
  /** 0: any free port. */
  readonly port: number
  /** The reply to one packet, or undefined to drop it; must not throw. */
  readonly handle: (packet: Uint8Array, remote: UdpRemote) => Uint8Array | undefined
}

/** A bound UDP tracker socket. */
export interface UdpTrackerListener {
  readonly address: PeerAddress
  close: () => Promise<void>
}

/**
 * Serve UDP tracker packets with `node:dgram` (`udp6` when `host` is IPv6):
 * each datagram goes to `handle` and its reply, if any, is sent back to the
 * sender. Socket errors after binding are ignored (a UDP server keeps going).
 * @throws the bind error as a rejection
 * @see BEP 15
 */
export async function listenUdpTracker (options: UdpTrackerListenOptions): Promise<UdpTrackerListener> {
  const socket = createSocket({ type: options.host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false })
  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    let reply: Uint8Array | undefined
    try {
      reply = options.handle(msg, { host: rinfo.address, port: rinfo.port })
    } catch {
      reply = undefined
    }
    if (reply !== undefined) socket.send(reply, rinfo.port, rinfo.address, () => {})
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(options.port, options.host, () => { socket.off('error', reject); resolve() })
  })
  socket.on('error', () => {})
  const a = socket.address()
  return {
    address: { host: a.address, port: a.port },
    close: async () => { await new Promise<void>(resolve => { socket.close(() => { resolve() }) }) }
  }
}

/**
 * Stateless BEP 15 connection ids: an HMAC-SHA256 of the sender's IP address
 * and a one-minute time window under a random secret, cut to 64 bits. An id
 * is accepted in its own window and the two after it, so it lives at least
 * two minutes and less than three. The port is not part of it: clients such
 * as libtorrent share one cached id among all their sockets on an address.
 * @see BEP 15
 */
export function hmacConnectionIds (secret: Uint8Array = randomBytes(32), windowMs: number = 60_000): ConnectionIdIssuer {
  const idFor = (remote: UdpRemote, window: number): bigint => {
    const mac = createHmac('sha256', secret).update(`${remote.host}|${window}`).digest()
    return mac.readBigUInt64BE(0)
  }
  return {
    issue: (remote, now) => idFor(remote, Math.floor(now / windowMs)),
    check: (id, remote, now) => {
      const w = Math.floor(now / windowMs)
      return id === idFor(remote, w) || id === idFor(remote, w - 1) || id === idFor(remote, w - 2)
    }
  }
}
