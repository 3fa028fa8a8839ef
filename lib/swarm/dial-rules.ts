/**
 * Which known addresses a torrent (or a metadata fetch) dials, and when it
 * has run out of peers: the rules behind the peer dialer, pure and
 * synchronous. Addresses are compared by their `formatAddress` key
 * (`host:port`, IPv6 in brackets).
 * @see BEP 3, BEP 40
 */
import { isRxTorrentError } from '../errors.js'
import type { PeerAddress } from '../transport/types.js'
import { formatAddress } from '../transport/types.js'

/**
 * The host part of an address key: `10.0.0.1:6881` → `10.0.0.1`,
 * `[::1]:6881` → `::1`. A key without a port is returned as it is.
 * @throws nothing
 */
export function hostOfKey (key: string): string {
  return key.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
}

/**
 * Is `key` our own listening address, as given or as the loopback form a
 * tracker on this machine hands back (`127.0.0.1:<our port>`)? False while
 * we do not listen.
 * @throws nothing
 */
export function isOwnAddress (key: string, listen: PeerAddress | undefined): boolean {
  return listen !== undefined && (key === formatAddress(listen) || key === `127.0.0.1:${listen.port}`)
}

/** What {@link dialVetoed} looks at for one address. */
export interface DialFacts {
  /** Is this address key, or this bare host, banned? */
  readonly isBanned: (keyOrHost: string) => boolean
  /** Our listening address, once bound. */
  readonly listen?: PeerAddress | undefined
  /** Is a connection to this address open already (dialed, or accepted from its reachable address)? */
  readonly isConnectedAt?: (key: string) => boolean
}

/**
 * Not to be dialed: a banned address or host, ourselves, or a peer already
 * connected by another route (it dialed us; a crossed dial would be refused
 * as a duplicate peer id anyway).
 * @throws nothing (unless a callback throws)
 */
export function dialVetoed (key: string, facts: DialFacts): boolean {
  return facts.isBanned(key) || facts.isBanned(hostOfKey(key)) || isOwnAddress(key, facts.listen) || facts.isConnectedAt?.(key) === true
}

/** What {@link peersExhausted} looks at. */
export interface ExhaustionFacts {
  /** The connect queue has nothing connected, dialing or left to try (`ConnectQueue.exhausted`). */
  readonly queueExhausted: boolean
  /** Peer sources (trackers, web seeds, user sources) that may still yield peers or data. */
  readonly liveSources: number
  /** We accept incoming connections: a peer may still come to us. */
  readonly listening: boolean
}

/**
 * No peer is left to download from, and none can come: the queue is
 * exhausted, every source has ended, and we are not listening. A
 * download that is not complete then fails with `no-peers`.
 * @throws nothing
 */
export function peersExhausted (facts: ExhaustionFacts): boolean {
  return facts.queueExhausted && facts.liveSources === 0 && !facts.listening
}

/**
 * How a dial failure's message is shown once: a transport's message that
 * already names the dial (`cannot connect to <address>: …`) loses that
 * prefix, so the caller can add it once.
 * @throws nothing
 */
export function dialFailureReason (address: PeerAddress, message: string): string {
  const prefix = `cannot connect to ${formatAddress(address)}: `
  return message.startsWith(prefix) ? message.slice(prefix.length) : message
}

/** Error codes after which a peer is not dialed again for a magnet's metadata. */
const METADATA_HOPELESS = new Set(['no-metadata', 'no-extensions', 'metadata-rejected'])

/**
 * A peer that ended a metadata fetch with this error code is not dialed
 * again for the metadata: it lacks the extension protocol or `ut_metadata`,
 * or rejected a piece (it does not have the metadata). Timeouts, resets and
 * malformed messages are retried with backoff.
 * @throws nothing
 * @see BEP 9
 */
export function metadataPeerHopeless (code: string): boolean {
  return METADATA_HOPELESS.has(code)
}

/**
 * How a connection's end is named (its swarm record, its dial outcome):
 * `closed` when it ended cleanly, else the error's code, or its name when
 * it is not one of ours.
 * @throws nothing
 */
export function closeReason (error: Error | undefined): string {
  return error === undefined ? 'closed' : isRxTorrentError(error) ? error.code : error.name
}

/** Ends at a connection limit: held, no failure of the peer. */
const LIMIT_REASONS = new Set(['replaced-by-priority', 'connection-limit'])
/** Ends where the peer hung up (a peer at its limit closes during the handshake): held, and a failure. */
const HUNG_UP_REASONS = new Set(['closed', 'connection-closed', 'truncated-handshake'])

/**
 * The connect queue's hold for a dialed connection that ended with
 * `reason` (`ConnectQueue.closed`): `limit` when it ended at a connection
 * limit or we `replaced` it for a peer of higher BEP 40 priority, `hung-up`
 * when the peer closed it, none otherwise.
 * @throws nothing
 * @see BEP 40
 */
export function closeHold (reason: string, replaced: boolean): 'limit' | 'hung-up' | undefined {
  return replaced || LIMIT_REASONS.has(reason) ? 'limit' : HUNG_UP_REASONS.has(reason) ? 'hung-up' : undefined
}
