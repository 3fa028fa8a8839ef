import { RxTorrentError, UsageError } from '../lib/errors.js'
import { formatAddress, type Duplex, type Listener, type PeerAddress, type Transport } from '../lib/transport/types.js'
import { memoryDuplexPair } from './memory-transport.js'
import { AccessLink, pacedDuplexPair, type LinkRates, type PacingOptions } from './paced-link.js'

/** A set of in-memory hosts that can dial each other. */
export interface MemoryNetwork {
  /** The transport of one host; its listeners and dials use `host` as their address. */
  transport: (host: string) => Transport
  /** Listening addresses, for inspection. */
  readonly listening: ReadonlySet<string>
}

/** Options of {@link memoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Bytes buffered in each direction of a connection before its writer waits. Default 64 KiB. */
  readonly highWaterMark?: number
  /**
   * Paces every connection on `pacing.scheduler`'s clock through the hosts'
   * access links ({@link pacedDuplexPair}); `links(host)` gives a host's
   * rates, asked once per host (`{}` for no limit and no delay). Absent:
   * connections are plain `memoryDuplexPair`s and bytes cross at once.
   */
  readonly links?: (host: string) => LinkRates | undefined
  /** The clock and timer grid of the pacing; required with `links`. */
  readonly pacing?: PacingOptions
  /**
   * With `links`: called once per direction of each new connection, from
   * host `from` to host `to`; the function it returns sees every chunk that
   * direction delivers (e.g. to count bytes).
   */
  readonly observe?: (from: string, to: string) => ((chunk: Uint8Array) => void) | undefined
}

/**
 * An in-memory network for tests and simulations: each host gets a
 * `Transport` whose `dial` reaches the listeners of the others through a
 * `memoryDuplexPair` (bounded, with backpressure), or a `pacedDuplexPair`
 * with the hosts' link rates and latency when `links` is given. Port 0 picks a free port.
 * Dialing an address nobody listens on rejects with `RxTorrentError`
 * `connection-refused`.
 * @throws UsageError `bad-link` when `links` is given without `pacing`, or (on the first dial of a host) when its rates are invalid
 */
export function memoryNetwork (options: MemoryNetworkOptions = {}): MemoryNetwork {
  const listeners = new Map<string, (conn: Duplex) => void>()
  let nextPort = 40000
  const { links, pacing } = options
  if (links !== undefined && pacing === undefined) throw new UsageError('bad-link', 'memoryNetwork: links need pacing.scheduler')
  const accessLinks = new Map<string, AccessLink>()
  const linkOf = (host: string): AccessLink => {
    let link = accessLinks.get(host)
    if (link === undefined) {
      link = new AccessLink(links?.(host) ?? {})
      accessLinks.set(host, link)
    }
    return link
  }
  const pair = (from: string, to: string, addresses: [PeerAddress, PeerAddress]): [Duplex, Duplex] => {
    if (links === undefined || pacing === undefined) {
      return memoryDuplexPair({ ...(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }), addresses })
    }
    return pacedDuplexPair(linkOf(from), linkOf(to), { ...pacing, addresses, observe: [options.observe?.(from, to), options.observe?.(to, from)] })
  }
  const transport = (host: string): Transport => ({
    async dial (address: PeerAddress, dialOptions: { signal?: AbortSignal } = {}): Promise<Duplex> {
      dialOptions.signal?.throwIfAborted()
      const accept = listeners.get(formatAddress(address))
      if (accept === undefined) throw new RxTorrentError('connection-refused', `nothing listens on ${formatAddress(address)}`, { disposition: 'disconnect' })
      const local: PeerAddress = { host, port: nextPort++ }
      const [ours, theirs] = pair(host, address.host, [address, local])
      accept(theirs)
      return ours
    },
    async listen (listenOptions: { host?: string, port: number, signal?: AbortSignal }, onConnection: (conn: Duplex) => void): Promise<Listener> {
      const address: PeerAddress = { host, port: listenOptions.port === 0 ? nextPort++ : listenOptions.port }
      const key = formatAddress(address)
      if (listeners.has(key)) throw new RxTorrentError('address-in-use', `${key} is already listening`, { disposition: 'fatal' })
      listeners.set(key, onConnection)
      const close = async (): Promise<void> => { listeners.delete(key) }
      listenOptions.signal?.addEventListener('abort', () => { void close() }, { once: true })
      return { address, close }
    }
  })
  return {
    transport,
    get listening () { return new Set(listeners.keys()) }
  }
}
