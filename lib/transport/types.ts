/**
 * A connection of any transport (TCP, uTP, memory): the it-stream-types duplex
 * shape. Bytes are pulled from `source`; `sink` consumes an iterable and
 * resolves when it has been written out (or rejects when the connection fails).
 */
export interface Duplex {
  readonly source: AsyncIterable<Uint8Array>
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

export interface PeerAddress {
  readonly host: string
  readonly port: number
}

/** Opens connections and accepts them. */
export interface Transport {
  dial: (address: PeerAddress, options?: { signal?: AbortSignal }) => Promise<Duplex>
  listen: (options: { host?: string, port: number, signal?: AbortSignal }, onConnection: (conn: Duplex) => void) => Promise<Listener>
}

export interface Listener {
  readonly address: PeerAddress
  close: () => Promise<void>
}

export function formatAddress (a: PeerAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}
