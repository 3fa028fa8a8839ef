/**
 * What a UDP tracker answers to one packet: the pure part of a BEP 15
 * server. Connection ids come from an injected issuer, so the server keeps
 * no state per connection id.
 * @see BEP 15, BEP 41
 */
import { toHex } from '../magnet/info-hash.js'
import { isLoopback } from './address-scope.js'
import { normalizeIp } from './ip-address.js'
import type { TrackerIntervals } from './serve-http.js'
import type { SwarmRegistry } from './swarm-registry.js'
import { TrackerError } from './tracker-error.js'
import { decodeUdpRequest, encodeUdpResponse } from './udp-server-codec.js'

/** The sender of a UDP packet. */
export interface UdpRemote {
  readonly host: string
  readonly port: number
}

/** Issues connection ids and checks them later (BEP 15: valid for two minutes). */
export interface ConnectionIdIssuer {
  /** A connection id for `remote`, valid for a while from `now`. */
  issue: (remote: UdpRemote, now: number) => bigint
  /** Whether `connectionId` was issued to `remote` and is still valid at `now`. */
  check: (connectionId: bigint, remote: UdpRemote, now: number) => boolean
}

/**
 * The reply to `packet` from `remote`, or undefined when the packet is to be
 * dropped (shorter than 16 bytes, malformed, an unknown action). A connect
 * gets a fresh connection id; an announce or scrape with an id the issuer
 * does not accept gets an error reply. Peers are returned in the sender's
 * address family (18-byte entries to an IPv6 sender). The BEP 15 `ip` field
 * is honoured only when the sender is loopback, for the address listed to
 * other peers; the entry counts against the sender in the per-source cap.
 * @throws nothing
 * @see BEP 15
 */
export function serveUdpPacket (
  registry: SwarmRegistry,
  packet: Uint8Array,
  remote: UdpRemote,
  now: number,
  options: TrackerIntervals & { readonly connectionIds: ConnectionIdIssuer }
): Uint8Array | undefined {
  if (packet.length < 16) return undefined
  let req
  try {
    req = decodeUdpRequest(packet)
  } catch {
    return undefined
  }
  const sender = normalizeIp(remote.host)
  if (sender === undefined) return undefined
  const ipv6 = sender.family === 6
  const transactionId = req.transactionId
  if (req.action === 'connect') {
    return encodeUdpResponse({ action: 'connect', transactionId, connectionId: options.connectionIds.issue(remote, now) })
  }
  if (!options.connectionIds.check(req.connectionId, remote, now)) {
    return encodeUdpResponse({ action: 'error', transactionId, message: 'invalid connection id' })
  }
  try {
    if (req.action === 'scrape') {
      const files = registry.scrape(req.infoHashes).files
      const entries = req.infoHashes.map(h => {
        const e = files.get(toHex(h))
        return { complete: e?.complete ?? 0, downloaded: e?.downloaded ?? 0, incomplete: e?.incomplete ?? 0 }
      })
      return encodeUdpResponse({ action: 'scrape', transactionId, entries })
    }
    const host = req.request.ip !== undefined && isLoopback(remote.host) ? req.request.ip : remote.host
    if (req.request.port === 0) throw new TrackerError('bad-port', 'port 0')
    const r = registry.announce(req.request, { host, sender: remote.host }, now, { family: ipv6 ? 6 : 4 })
    return encodeUdpResponse({
      action: 'announce',
      transactionId,
      interval: options.interval,
      leechers: r.incomplete,
      seeders: r.complete,
      peers: r.peers
    }, { ipv6 })
  } catch (e) {
    const message = e instanceof TrackerError ? e.message : 'internal tracker error'
    return encodeUdpResponse({ action: 'error', transactionId, message })
  }
}
