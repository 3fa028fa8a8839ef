/**
 * A connection of any transport (TCP, uTP, memory): the it-stream-types duplex
 * shape. Bytes are pulled from `source`; `sink` consumes an iterable and
 * resolves when it has been written out (or rejects when the connection fails).
 */
export interface Duplex {
  readonly source: AsyncIterable<Uint8Array>
  /** Write every chunk of `source` to the peer; resolves once written, rejects when the connection fails. */
  readonly sink: (source: AsyncIterable<Uint8Array>) => Promise<void>
  /** Tear the connection down now; pending reads end, pending writes reject. */
  close: (err?: Error) => void
  /** The remote address as `host:port`, when known. */
  readonly remote?: PeerAddress
  /**
   * True when each chunk of `source` is valid only until the next one is
   * pulled (the transport reuses its read buffers): consumers copy what they
   * keep. Absent or false: chunks may be kept.
   */
  readonly borrowedChunks?: boolean
}

/** A peer's address: a host name or IP literal (IPv6 without brackets) and a port. */
export interface PeerAddress {
  readonly host: string
  readonly port: number
}

/** Opens connections and accepts them. */
export interface Transport {
  /** Connect to `address`; rejects when it cannot, or with `signal.reason` when aborted. */
  dial: (address: PeerAddress, options?: { signal?: AbortSignal }) => Promise<Duplex>
  /** Accept connections on `port` (0: any free port), each passed to `onConnection`; resolves once listening. */
  listen: (options: { host?: string, port: number, signal?: AbortSignal }, onConnection: (conn: Duplex) => void) => Promise<Listener>
}

/** A listening transport, from {@link Transport.listen}. */
export interface Listener {
  readonly address: PeerAddress
  /** Stop listening; open connections are not closed. */
  close: () => Promise<void>
}

/** `host:port`, with brackets around an IPv6 host (`[::1]:6881`). */
export function formatAddress (a: PeerAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}
