import { RxTorrentError } from '../lib/errors.js'
import { formatAddress, type Duplex, type Listener, type PeerAddress, type Transport } from '../lib/transport/types.js'
import { memoryDuplexPair } from './memory-transport.js'

/** A set of in-memory hosts that can dial each other. */
export interface MemoryNetwork {
  /** The transport of one host; its listeners and dials use `host` as their address. */
  transport: (host: string) => Transport
  /** Listening addresses, for inspection. */
  readonly listening: ReadonlySet<string>
}

/**
 * An in-memory network for tests and simulations: each host gets a
 * `Transport` whose `dial` reaches the listeners of the others through a
 * `memoryDuplexPair` (bounded, with backpressure). Port 0 picks a free port.
 * Dialing an address nobody listens on rejects with `RxTorrentError`
 * `connection-refused`.
 */
export function memoryNetwork (options: { highWaterMark?: number } = {}): MemoryNetwork {
  const listeners = new Map<string, (conn: Duplex) => void>()
  let nextPort = 40000
  const transport = (host: string): Transport => ({
    async dial (address: PeerAddress, dialOptions: { signal?: AbortSignal } = {}): Promise<Duplex> {
      dialOptions.signal?.throwIfAborted()
      const accept = listeners.get(formatAddress(address))
      if (accept === undefined) throw new RxTorrentError('connection-refused', `nothing listens on ${formatAddress(address)}`, { disposition: 'disconnect' })
      const local: PeerAddress = { host, port: nextPort++ }
      const [ours, theirs] = memoryDuplexPair({
        ...(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }),
        addresses: [address, local]
      })
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
