/**
 * A session's UDP side: its socket bound on the TCP listener's port, the
 * demultiplexer over it, and the wait for `stopped` announces before the
 * socket closes.
 * @see BEP 5, BEP 15, BEP 29
 */
import { isRxTorrentError } from '../../lib/errors.js'
import { DatagramDemux } from '../../lib/transport/datagram-demux.js'
import type { DatagramSocket } from '../../lib/transport/datagram.js'
import { formatAddress, type Duplex, type Listener, type PeerAddress, type Transport } from '../../lib/transport/types.js'
import type { OwnedTrackerClient } from '../run-torrent.js'

/** Binds a session's UDP socket (Node's: `bindUdpSocket`). @throws as a rejection; code `udp-port-taken` when the port is in use */
export type BindUdp = (address: { readonly host: string, readonly port: number }) => Promise<DatagramSocket>

/** The session's listener and, when it could be bound, its UDP socket's demultiplexer. */
export interface PortPair {
  readonly listener: Listener
  readonly udp?: DatagramDemux
}

/** Port pairs tried when the session's port is 0 and the UDP port the TCP listener got is taken (as libtorrent retries). */
const PAIR_ATTEMPTS = 5

/**
 * Listen on TCP, then bind UDP to the same host and port. When the port was
 * 0 and that UDP port is taken, the pair is tried again on other ports
 * (up to 5 times). When it still cannot be bound, `warn` says so and the
 * session goes on with TCP only: each UDP tracker request then uses a
 * socket of its own, and the DHT and uTP have no socket.
 * @throws the listen error, as a rejection
 */
export async function listenPortPair (o: {
  readonly transport: Transport
  readonly bindUdp: BindUdp | undefined
  readonly host: string
  readonly port: number
  readonly signal: AbortSignal
  readonly onConnection: (conn: Duplex) => void
  readonly warn: (message: string) => void
}): Promise<PortPair> {
  for (let attempt = 1; ; attempt++) {
    const listener = await o.transport.listen({ host: o.host, port: o.port, signal: o.signal }, o.onConnection)
    if (o.bindUdp === undefined) return { listener }
    const where: PeerAddress = { host: o.host, port: listener.address.port }
    try {
      return { listener, udp: new DatagramDemux(await o.bindUdp(where)) }
    } catch (e) {
      const taken = isRxTorrentError(e) && e.code === 'udp-port-taken'
      if (taken && o.port === 0 && attempt < PAIR_ATTEMPTS && !o.signal.aborted) {
        await listener.close()
        continue
      }
      o.warn(`the session's UDP socket could not be bound on ${formatAddress(where)} (${e instanceof Error ? e.message : String(e)}): UDP trackers use a socket per request, the DHT and uTP cannot run`)
      return { listener }
    }
  }
}

/** A torrent platform's part that makes its tracker client. */
export interface TrackerClientMaker {
  /** As `RunOptions.makeTrackerClient`. */
  readonly makeTrackerClient?: () => OwnedTrackerClient
}

/**
 * The announces the session's tracker clients have in flight, so that
 * `close` can wait for the `stopped` announces before closing the socket
 * they go through.
 */
export class AnnouncesInFlight {
  readonly #pending = new Set<PromiseLike<unknown>>()

  /** A torrent's platform whose tracker client's announces are counted (see {@link AnnouncesInFlight.wrap}). */
  platform<T extends TrackerClientMaker> (parts: T): T {
    const make = parts.makeTrackerClient
    return make === undefined ? parts : { ...parts, makeTrackerClient: this.wrap(make) }
  }

  /** `make`, with every announce its clients send counted until it settles. */
  wrap (make: () => OwnedTrackerClient): () => OwnedTrackerClient {
    return () => {
      const client = make()
      return {
        ...client,
        announce: (url, req, options) => {
          const r = client.announce(url, req, options)
          if (isThenable(r)) this.#track(r)
          return r
        }
      }
    }
  }

  /** Resolves once no announce is in flight, or after `maxMs`. @throws nothing */
  async settled (maxMs: number): Promise<void> {
    if (this.#pending.size === 0) return
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, maxMs) })
    await Promise.race([Promise.allSettled([...this.#pending]), deadline])
    clearTimeout(timer)
  }

  #track (p: PromiseLike<unknown>): void {
    this.#pending.add(p)
    const done = (): void => { this.#pending.delete(p) }
    p.then(done, done)
  }
}

function isThenable (r: unknown): r is PromiseLike<unknown> {
  return typeof r === 'object' && r !== null && typeof (r as { then?: unknown }).then === 'function'
}
