/**
 * A `DatagramSocket` over `node:dgram`: bound to a host and port (a
 * session binds it to the port its TCP listener got), unconnected, so one
 * socket talks to every tracker, DHT node and uTP peer.
 * @see BEP 5, BEP 15, BEP 29
 */
import { createSocket, type RemoteInfo } from 'node:dgram'
import { isIPv4 } from 'node:net'
import type { Datagram, DatagramSocket } from '../../lib/transport/datagram.js'
import { formatAddress, type PeerAddress } from '../../lib/transport/types.js'
import { TransportError } from './tcp.js'

/** Options of {@link bindUdpSocket}. */
export interface BindUdpOptions {
  /** Address to bind; an IPv6 one (`::`) makes a dual-stack `udp6` socket. Default `0.0.0.0`. */
  readonly host?: string
  /** Port to bind; 0 for any free one. */
  readonly port: number
}

/**
 * Bind a UDP socket. Datagrams received before a receiver is set are
 * dropped. Sending to an IPv4 address from an IPv6 socket goes through its
 * IPv4-mapped form, and senders are reported in their plain IPv4 form.
 * @throws TransportError `udp-port-taken` (EADDRINUSE) or `udp-bind-failed`, as a rejection
 */
export async function bindUdpSocket (options: BindUdpOptions): Promise<DatagramSocket> {
  const host = options.host ?? '0.0.0.0'
  const v6 = host.includes(':')
  const socket = createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: false })
  let receiver: ((d: Datagram) => void) | undefined
  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    receiver?.({ data: msg, from: { host: unmapped(rinfo.address), port: rinfo.port } })
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (e: NodeJS.ErrnoException) => {
      try { socket.close() } catch { /* never bound */ }
      const where = formatAddress({ host, port: options.port })
      reject(e.code === 'EADDRINUSE'
        ? new TransportError('udp-port-taken', `UDP port ${where} is taken`, { disposition: 'fatal', cause: e, details: { host, port: options.port } })
        : new TransportError('udp-bind-failed', `cannot bind UDP ${where}: ${e.message}`, { disposition: 'fatal', cause: e, details: { host, port: options.port } }))
    })
    socket.bind({ port: options.port, address: host, exclusive: true }, () => { socket.removeAllListeners('error'); resolve() })
  })
  // Errors of an unconnected socket come back through each send's callback.
  socket.on('error', () => {})
  const a = socket.address()
  let closed: Promise<void> | undefined
  return {
    address: { host: a.address, port: a.port },
    send: async (data, to) => {
      const target = v6 && isIPv4(to.host) ? `::ffff:${to.host}` : to.host
      await new Promise<void>((resolve, reject) => {
        try {
          socket.send(data, to.port, target, (e) => { if (e === null || e === undefined) resolve(); else reject(sendError(to, e)) })
        } catch (e) {
          reject(sendError(to, e))
        }
      })
    },
    receive: (receive) => { receiver = receive },
    close: async () => {
      closed ??= new Promise<void>((resolve) => { socket.close(() => { resolve() }) })
      await closed
    }
  }
}

function unmapped (address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address
}

function sendError (to: PeerAddress, e: unknown): TransportError {
  const message = e instanceof Error ? e.message : String(e)
  return new TransportError('udp-send-failed', `cannot send a datagram to ${formatAddress(to)}: ${message}`, { cause: e, details: { ...to } })
}
